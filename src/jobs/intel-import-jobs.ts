import { randomUUID } from 'node:crypto';
import type { Actor, IntelImportRecord, Store } from '../store/types.js';
import { intelImportKeyOf } from './import-intel-handler.js';
import type { ImportIntelJob, JobQueue, JobStatus } from './types.js';

/**
 * Intel imports that survive a restart (issue 7), as vets do: the import is recorded in the store
 * before its job is queued, the job marks it imported in the transaction that stores the source,
 * and `serve` requeues every pending one at start. The in-process queue (SQLite) keeps jobs in
 * memory only; the record is what a restart rebuilds the job from, under the job id the requester
 * was given, and what `/jobs/:id` answers from once the queue has forgotten the job.
 */

export interface EnqueuedImport {
  readonly jobId: string;
  readonly record: IntelImportRecord;
  /** False when the file was imported under that name already: no job was queued. */
  readonly isQueued: boolean;
}

/** The job that carries out a recorded import (its first request's format, tags and requester). */
export function importJobOf(record: IntelImportRecord): ImportIntelJob {
  return {
    sha256: record.sha256,
    name: record.name,
    format: record.format,
    ...(record.tags.length > 0 ? { tags: record.tags } : {}),
    ...(record.requestedBy ? { requestedBy: record.requestedBy } : {}),
  };
}

/**
 * Asks for an uploaded file to be imported: records the import (or finds it: one per file and
 * name), then queues its job under the recorded job id. The same file and name while pending joins
 * that job; once imported nothing is queued; after a failure the import is tried again.
 */
export async function enqueueIntelImport(
  store: Store,
  queue: JobQueue,
  actor: Actor,
  job: ImportIntelJob,
): Promise<EnqueuedImport> {
  const importKey = intelImportKeyOf(job.sha256, job.name);
  const record = await store.requestIntelImport(actor, {
    importKey,
    name: job.name,
    sha256: job.sha256,
    format: job.format,
    tags: job.tags ?? [],
    ...(job.requestedBy ? { requestedBy: job.requestedBy } : {}),
    jobId: randomUUID(),
  });
  if (record.state === 'imported') return { jobId: record.jobId, record, isQueued: false };
  const jobId = await queue.enqueue('import-intel', importJobOf(record), {
    singletonKey: importKey,
    id: record.jobId,
  });
  return { jobId, record, isQueued: true };
}

/**
 * At start: every import left pending by a stopped or crashed process gets its job again, under
 * the job id its requester holds (the singleton key makes this harmless where the job still
 * exists, as with pg-boss). Returns the imports requeued.
 */
export async function requeueInterruptedImports(
  store: Store,
  queue: JobQueue,
): Promise<readonly IntelImportRecord[]> {
  const pending = await store.listIntelImports({ states: ['pending'] });
  // Oldest first, as they were asked for.
  for (const record of [...pending].reverse()) {
    await queue.enqueue('import-intel', importJobOf(record), {
      singletonKey: record.importKey,
      id: record.jobId,
    });
  }
  return pending;
}

/**
 * A recorded import as the status of the job its requester was given, for when the queue no longer
 * knows that job (the in-process queue after a restart, or past the finished jobs it keeps).
 * `attempts` is what the store can tell: 0 while pending, 1 once settled.
 */
export function importJobStatus(record: IntelImportRecord): JobStatus {
  const isSettled = record.state !== 'pending';
  return {
    id: record.jobId,
    name: 'import-intel',
    state: record.state === 'pending' ? 'queued' : record.state === 'imported' ? 'completed' : 'failed',
    attempts: isSettled ? 1 : 0,
    createdAt: record.createdAt,
    ...(record.state === 'failed' ? { error: record.error ?? 'the import failed' } : {}),
    ...(record.state === 'failed' && record.code !== undefined ? { code: record.code } : {}),
    ...(isSettled ? { finishedAt: record.updatedAt } : {}),
  };
}

/** The queue's status of a job, else the status its recorded import gives it, else undefined. */
export async function jobStatusOf(
  store: Store,
  queue: JobQueue,
  jobId: string,
): Promise<JobStatus | undefined> {
  const status = await queue.status(jobId);
  if (status !== undefined) return status;
  const record = await store.findIntelImportByJob(jobId);
  return record === undefined ? undefined : importJobStatus(record);
}
