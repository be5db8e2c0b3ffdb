import { setTimeout as sleep } from 'node:timers/promises';
import type { JobQueue, JobStatus } from './types.js';

export interface WaitForJobOptions {
  /** Longest wait; past it the job's last status is returned, whatever its state. */
  readonly timeoutMs: number;
  /** Stops waiting early (a client that went away); the last status is returned. */
  readonly signal?: AbortSignal;
  /** First poll interval; it doubles up to `maxIntervalMs` (pg-boss answers from the database). */
  readonly intervalMs?: number;
  readonly maxIntervalMs?: number;
}

const isSettled = (status: JobStatus | undefined): boolean =>
  status?.state === 'completed' || status?.state === 'failed';

/**
 * Polls a job until it completes or fails, for callers that want an answer now (`?wait=true`).
 * The queue contract has no completion event that works across processes (pg-boss jobs finish in
 * worker processes), so this asks `status()`; the job runs on whether or not anyone waits.
 * Returns undefined for a job the queue does not know.
 */
export async function waitForJob(
  queue: JobQueue,
  jobId: string,
  options: WaitForJobOptions,
): Promise<JobStatus | undefined> {
  const deadline = Date.now() + options.timeoutMs;
  let interval = options.intervalMs ?? 25;
  const maxInterval = options.maxIntervalMs ?? 500;
  let status = await queue.status(jobId);
  while (!isSettled(status) && status !== undefined && !options.signal?.aborted) {
    const left = deadline - Date.now();
    if (left <= 0) break;
    try {
      await sleep(Math.min(interval, left), undefined, options.signal ? { signal: options.signal } : {});
    } catch {
      break; // aborted
    }
    interval = Math.min(interval * 2, maxInterval);
    status = await queue.status(jobId);
  }
  return status;
}
