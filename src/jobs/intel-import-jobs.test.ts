import { randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runSql, withPostgresSchema } from '../../test/support/postgres.js';
import { FsBlobStore } from '../store/fs-blob-store.js';
import { openStore } from '../store/open-store.js';
import type { Actor, Store } from '../store/types.js';
import { importIntelHandler } from './import-intel-handler.js';
import { InProcessQueue } from './in-process-queue.js';
import { enqueueIntelImport, jobStatusOf, requeueInterruptedImports } from './intel-import-jobs.js';
import { PgBossQueue } from './pg-boss-queue.js';
import type { ImportIntelJob, JobQueue, JobStatus } from './types.js';
import { startWorker } from './worker.js';

/**
 * Imports that survive a restart: the in-process queue of the SQLite setup forgets every job when
 * the process ends; the import recorded in the store is what the next start rebuilds it from.
 * A "restart" here is a new queue over the same store, the old one dropped unstopped (as kill -9).
 */

let dir: string;
let store: Store;
let blobs: FsBlobStore;
const analyst: Actor = { kind: 'user', id: 'u-analyst' };

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'countersign-import-jobs-'));
  store = await openStore({ url: `sqlite:${join(dir, 'store.db')}` });
  blobs = new FsBlobStore(dir);
});
afterAll(async () => {
  await store?.close();
  await rm(dir, { recursive: true, force: true });
});

async function upload(text: string): Promise<string> {
  return (await blobs.put(Readable.from([Buffer.from(text)]))).sha256;
}

const importOf = (sha256: string, name: string, format = 'auto'): ImportIntelJob => ({
  sha256,
  name,
  format,
  tags: ['restart'],
  requestedBy: analyst,
});

async function settled(status: () => Promise<JobStatus | undefined>): Promise<JobStatus> {
  for (let i = 0; i < 400; i++) {
    const current = await status();
    if (current?.state === 'completed' || current?.state === 'failed') return current;
    await sleep(20);
  }
  throw new Error('the job did not settle');
}

/** A queue that runs the import-intel handler, as `serve` does on SQLite. */
async function workingQueue(options: { maxAttempts?: number } = {}): Promise<InProcessQueue> {
  const queue = new InProcessQueue({ retryDelayMs: 0, ...options });
  await queue.work('import-intel', importIntelHandler({ store, blobs }));
  await queue.start();
  return queue;
}

const sourcesNamed = async (name: string) =>
  (await store.listIntelSources()).filter((source) => source.name === name);

describe('when the process stops before an accepted import ran', () => {
  it('requeues it at the next start under the job id its requester holds, and stores it once', async () => {
    const sha256 = await upload('restart-c2[.]invalid\n');
    const lost = new InProcessQueue(); // nobody works it: the job dies with the process
    const { jobId, record, isQueued } = await enqueueIntelImport(
      store,
      lost,
      analyst,
      importOf(sha256, 'restart'),
    );
    expect(isQueued).toBe(true);
    expect(jobId).toBe(record.jobId);
    expect(record.state).toBe('pending');

    const next = await workingQueue();
    // Before the requeue the new queue does not know the job; the record answers for it.
    expect(await jobStatusOf(store, next, jobId)).toMatchObject({ id: jobId, state: 'queued', attempts: 0 });
    const requeued = await requeueInterruptedImports(store, next);
    expect(requeued.map((item) => item.jobId)).toContain(jobId);
    expect(await settled(() => next.status(jobId))).toMatchObject({ id: jobId, state: 'completed' });

    const sources = await sourcesNamed('restart');
    expect(sources).toHaveLength(1);
    expect(await store.findIndicators('domain', ['restart-c2.invalid'])).toHaveLength(1);
    const done = await store.findIntelImportByJob(jobId);
    expect(done).toMatchObject({ state: 'imported', sourceId: sources[0]?.id });
    // The source names the analyst who uploaded it, whoever ran the job.
    const entry = (await store.auditLog({ limit: 500 })).items.find(
      (item) => item.action === 'intel.import' && item.entityId === sources[0]?.id,
    );
    expect(entry?.actor).toEqual(analyst);

    // Another start: nothing pending, nothing imported again; the job still answers, from the store.
    const third = await workingQueue();
    expect(await requeueInterruptedImports(store, third)).toEqual([]);
    expect(await jobStatusOf(store, third, jobId)).toMatchObject({
      id: jobId,
      state: 'completed',
      attempts: 1,
    });
    expect(await sourcesNamed('restart')).toHaveLength(1);
    // The same file and name posted again: imported already, no job.
    const again = await enqueueIntelImport(store, third, analyst, importOf(sha256, 'restart'));
    expect(again).toMatchObject({ isQueued: false, jobId });
    expect(third.pending()).toBe(0);
    await Promise.all([lost.stop({ graceMs: 0 }), next.stop(), third.stop()]);
  });

  it('keeps it pending when a stop hands the running job back, and the next start finishes it', async () => {
    const sha256 = await upload('handed-back[.]invalid\n');
    const queue = new InProcessQueue();
    let started = false;
    await startWorker({
      store,
      blobs,
      queue,
      onIntelImportStart: async (_job, context) => {
        started = true;
        await sleep(600_000, undefined, { signal: context.signal });
      },
    });
    const { jobId } = await enqueueIntelImport(store, queue, analyst, importOf(sha256, 'handed-back'));
    while (!started) await sleep(10);
    await queue.stop({ graceMs: 0 });
    expect(await store.findIntelImportByJob(jobId)).toMatchObject({ state: 'pending' });

    const next = await workingQueue();
    await requeueInterruptedImports(store, next);
    expect(await settled(() => next.status(jobId))).toMatchObject({ state: 'completed' });
    expect(await sourcesNamed('handed-back')).toHaveLength(1);
    await next.stop();
  });

  it('joins the pending job when the same file and name come again', async () => {
    const sha256 = await upload('joined[.]invalid\n');
    const idle = new InProcessQueue();
    const first = await enqueueIntelImport(store, idle, analyst, importOf(sha256, 'joined'));
    const second = await enqueueIntelImport(store, idle, analyst, importOf(sha256, 'joined'));
    expect(second.jobId).toBe(first.jobId);
    expect(idle.pending()).toBe(1);
    await idle.stop({ graceMs: 0 });
  });
});

describe('when an import fails', () => {
  it('records the parser message and code at once, answers for the job after a restart, and tries again when asked', async () => {
    const sha256 = await upload('{"type": "bundle", "objects": ');
    const queue = await workingQueue();
    const { jobId } = await enqueueIntelImport(store, queue, analyst, importOf(sha256, 'broken', 'stix'));
    expect(await settled(() => queue.status(jobId))).toMatchObject({ state: 'failed', attempts: 1 });
    const failed = await store.findIntelImportByJob(jobId);
    expect(failed).toMatchObject({ state: 'failed', code: 'E_INTEL_MALFORMED' });
    expect(failed?.error).toContain('broken');
    expect(failed?.error).not.toContain(dir);
    expect((await store.listIntelImports({ states: ['failed'] })).map((item) => item.jobId)).toContain(jobId);

    const next = await workingQueue();
    // Other tests' pending imports may be requeued here; never the failed one.
    expect((await requeueInterruptedImports(store, next)).map((item) => item.jobId)).not.toContain(jobId);
    expect(await jobStatusOf(store, next, jobId)).toMatchObject({
      id: jobId,
      state: 'failed',
      code: 'E_INTEL_MALFORMED',
      error: failed?.error,
    });
    // Asked again (as text this time): the import is pending under a new job, and fails as text does not.
    const retry = await enqueueIntelImport(store, next, analyst, importOf(sha256, 'broken', 'text'));
    expect(retry.isQueued).toBe(true);
    expect(retry.jobId).not.toBe(jobId);
    expect(retry.record).toMatchObject({ id: failed?.id, state: 'pending', format: 'text' });
    await settled(() => next.status(retry.jobId));
    expect((await store.findIntelImportByJob(retry.jobId))?.state).not.toBe('pending');
    await Promise.all([queue.stop(), next.stop()]);
  });

  it('stays pending while retries are left, and fails with the last error after the last attempt', async () => {
    const missing = 'f'.repeat(64); // never uploaded: every attempt fails the same (not permanent)
    const queue = new InProcessQueue({ retryDelayMs: 0, maxAttempts: 2 });
    const seen: string[] = [];
    await queue.work('import-intel', async (job, context) => {
      seen.push((await store.listIntelImports()).find((item) => item.sha256 === missing)?.state ?? 'none');
      await importIntelHandler({ store, blobs })(job, context);
    });
    await queue.start();
    const { jobId } = await enqueueIntelImport(store, queue, analyst, importOf(missing, 'no-blob'));
    expect(await settled(() => queue.status(jobId))).toMatchObject({ state: 'failed', attempts: 2 });
    expect(seen).toEqual(['pending', 'pending']);
    expect(await store.findIntelImportByJob(jobId)).toMatchObject({
      state: 'failed',
      code: 'E_BLOB_NOT_FOUND',
    });
    await queue.stop();
  });
});

describe('InProcessQueue job ids asked for', () => {
  it('uses the id asked for, and another when that id is known already', async () => {
    const queue = new InProcessQueue();
    const wanted = randomUUID();
    const first = await queue.enqueue('vet-release', { releaseId: 'a' }, { id: wanted });
    expect(first).toBe(wanted);
    const second = await queue.enqueue('vet-release', { releaseId: 'b' }, { id: wanted });
    expect(second).not.toBe(wanted);
    expect((await queue.status(second))?.state).toBe('queued');
    await queue.stop({ graceMs: 0 });
  });
});

describe('PgBossQueue job ids asked for', { timeout: 60_000 }, () => {
  it('uses the id asked for, joins by singleton key, and gives another id when the one asked for is finished', async () => {
    const pg = await withPostgresSchema('import_ids');
    const queue: JobQueue = new PgBossQueue({
      connectionString: pg.url,
      schema: `${pg.schema}_q`,
      retryDelaySeconds: 0,
      pollingIntervalSeconds: 0.5,
      maxAttempts: 1,
    });
    try {
      await queue.start();
      const wanted = randomUUID();
      const job = { sha256: 'a'.repeat(64), name: 'pg', format: 'auto' };
      expect(await queue.enqueue('import-intel', job, { singletonKey: 'k', id: wanted })).toBe(wanted);
      // The same key while queued: that job, whatever id is asked for.
      expect(await queue.enqueue('import-intel', job, { singletonKey: 'k', id: randomUUID() })).toBe(wanted);
      await queue.work('import-intel', async () => {
        throw new Error('boom');
      });
      expect(await settled(() => queue.status(wanted))).toMatchObject({ state: 'failed' });
      // Requeued with the finished job's id: pg-boss cannot reuse it, so the job gets its own.
      const again = await queue.enqueue('import-intel', job, { singletonKey: 'k', id: wanted });
      expect(again).not.toBe(wanted);
      expect(await queue.status(again)).toMatchObject({ id: again, name: 'import-intel' });
      // Not a uuid: ignored rather than refused.
      expect(await queue.enqueue('import-intel', { ...job, name: 'other' }, { id: 'not-a-uuid' })).toMatch(
        /^[0-9a-f-]{36}$/,
      );
    } finally {
      await queue.stop({ graceMs: 100 }).catch(() => undefined);
      await runSql(pg.url, `drop schema if exists ${pg.schema}_q cascade`);
      await pg.drop();
    }
  });
});
