import { randomUUID } from 'node:crypto';
import {
  DEFAULT_MAX_ATTEMPTS,
  type EnqueueOptions,
  errorCodeOf,
  isPermanentJobError,
  isStopAbort,
  type JobEventListener,
  type JobHandler,
  type JobName,
  type JobPayloads,
  type JobQueue,
  type JobState,
  type JobStatus,
  JobStopped,
} from './types.js';

export interface InProcessQueueOptions {
  /** Attempts per job, the first included (default 3). */
  readonly maxAttempts?: number;
  /** Delay before the first retry; each later retry waits twice as long (default 1000 ms). */
  readonly retryDelayMs?: number;
  /** How many finished jobs `status()` still knows about (default 10,000; oldest forgotten first). */
  readonly keepFinished?: number;
  readonly onEvent?: JobEventListener;
}

interface JobRecord {
  readonly id: string;
  readonly name: JobName;
  readonly payload: unknown;
  readonly singletonKey: string | undefined;
  readonly createdAt: string;
  state: JobState;
  attempts: number;
  /** Epoch ms before which a retried job is not picked up. */
  notBefore: number;
  error?: string;
  code?: string;
  finishedAt?: string;
}

interface Running {
  readonly job: JobRecord;
  readonly controller: AbortController;
  readonly done: Promise<void>;
}

interface Consumer {
  readonly handler: JobHandler<JobName>;
  readonly concurrency: number;
  active: number;
}

const errorText = (error: unknown): string => (error instanceof Error ? error.message : String(error));

/**
 * The queue of the embedded (SQLite) setup: jobs run in this process, in memory. Nothing here
 * survives a restart by design; what must survive is the release state in the store (`vetting`),
 * from which `requeueInterruptedVets` rebuilds the queue on the next start.
 *
 * Retries back off exponentially; a singleton key maps to the job already queued or running;
 * `stop()` lets running jobs finish within a grace period and then aborts them, leaving them queued.
 */
export class InProcessQueue implements JobQueue {
  readonly kind = 'in-process' as const;
  private readonly jobs = new Map<string, JobRecord>();
  /** Ids of queued jobs in the order they became queued: what the scheduler scans. */
  private readonly queued = new Set<string>();
  private readonly finished: string[] = [];
  private readonly consumers = new Map<JobName, Consumer>();
  private readonly running = new Map<string, Running>();
  private readonly maxAttempts: number;
  private readonly retryDelayMs: number;
  private readonly keepFinished: number;
  private isStarted = false;
  private isStopping = false;
  private wakeTimer: NodeJS.Timeout | undefined;
  private wakeAt = Number.POSITIVE_INFINITY;

  constructor(private readonly options: InProcessQueueOptions = {}) {
    this.maxAttempts = Math.max(1, options.maxAttempts ?? DEFAULT_MAX_ATTEMPTS);
    this.retryDelayMs = Math.max(0, options.retryDelayMs ?? 1000);
    this.keepFinished = Math.max(1, options.keepFinished ?? 10_000);
  }

  async start(): Promise<void> {
    this.isStarted = true;
    this.isStopping = false;
    this.pump();
  }

  async enqueue<N extends JobName>(
    name: N,
    payload: JobPayloads[N],
    options: EnqueueOptions = {},
  ): Promise<string> {
    const key = options.singletonKey;
    if (key !== undefined) {
      const holder = [...this.queued, ...this.running.keys()]
        .map((id) => this.jobs.get(id))
        .find((job) => job?.name === name && job.singletonKey === key);
      if (holder) return holder.id;
    }
    const job: JobRecord = {
      // The id asked for, unless taken: a job rebuilt after a restart answers to its old id.
      id: options.id !== undefined && !this.jobs.has(options.id) ? options.id : randomUUID(),
      name,
      payload,
      singletonKey: key,
      createdAt: new Date().toISOString(),
      state: 'queued',
      attempts: 0,
      notBefore: 0,
    };
    this.jobs.set(job.id, job);
    this.queued.add(job.id);
    this.pump();
    return job.id;
  }

  async work<N extends JobName>(
    name: N,
    handler: JobHandler<N>,
    options: { concurrency?: number } = {},
  ): Promise<void> {
    this.consumers.set(name, {
      handler: handler as unknown as JobHandler<JobName>,
      concurrency: Math.max(1, options.concurrency ?? 1),
      active: 0,
    });
    this.pump();
  }

  async status(jobId: string): Promise<JobStatus | undefined> {
    const job = this.jobs.get(jobId);
    if (!job) return undefined;
    return {
      id: job.id,
      name: job.name,
      state: job.state,
      attempts: job.attempts,
      createdAt: job.createdAt,
      ...(job.error !== undefined ? { error: job.error } : {}),
      ...(job.code !== undefined ? { code: job.code } : {}),
      ...(job.finishedAt !== undefined ? { finishedAt: job.finishedAt } : {}),
    };
  }

  /** Jobs not finished yet (queued or running): what a caller waits on before it exits. */
  pending(): number {
    return this.queued.size + this.running.size;
  }

  async stop(options: { graceMs?: number } = {}): Promise<void> {
    this.isStopping = true;
    this.isStarted = false;
    if (this.wakeTimer) clearTimeout(this.wakeTimer);
    this.wakeTimer = undefined;
    this.wakeAt = Number.POSITIVE_INFINITY;
    const graceMs = Math.max(0, options.graceMs ?? 30_000);
    const all = () => Promise.allSettled([...this.running.values()].map((run) => run.done));
    let timer: NodeJS.Timeout | undefined;
    const isFinished = await Promise.race([
      all().then(() => true),
      new Promise<boolean>((resolve) => {
        timer = setTimeout(() => resolve(false), graceMs);
      }),
    ]);
    clearTimeout(timer);
    if (isFinished) return;
    // Past the grace period: abort what still runs; each aborted job goes back to `queued`.
    for (const run of this.running.values()) run.controller.abort(new JobStopped('the queue is stopping'));
    await all();
  }

  // ---- scheduling -------------------------------------------------------------------------------

  private pump(): void {
    if (!this.isStarted || this.isStopping) return;
    const now = Date.now();
    let nextWake = Number.POSITIVE_INFINITY;
    for (const id of this.queued) {
      const job = this.jobs.get(id);
      if (!job) continue;
      const consumer = this.consumers.get(job.name);
      if (!consumer || consumer.active >= consumer.concurrency) continue;
      if (job.notBefore > now) {
        nextWake = Math.min(nextWake, job.notBefore);
        continue;
      }
      this.run(job, consumer);
    }
    if (nextWake < this.wakeAt) this.wakeAfter(nextWake - now);
  }

  private wakeAfter(delayMs: number): void {
    if (this.wakeTimer) clearTimeout(this.wakeTimer);
    this.wakeAt = Date.now() + delayMs;
    this.wakeTimer = setTimeout(() => {
      this.wakeTimer = undefined;
      this.wakeAt = Number.POSITIVE_INFINITY;
      this.pump();
    }, delayMs);
  }

  private run(job: JobRecord, consumer: Consumer): void {
    this.queued.delete(job.id);
    job.state = 'active';
    job.attempts += 1;
    consumer.active += 1;
    const controller = new AbortController();
    // Registered before the handler starts (next microtask), so a handler that throws at once is tracked too.
    const done = Promise.resolve().then(() => this.execute(job, consumer, controller));
    this.running.set(job.id, { job, controller, done });
  }

  private async execute(job: JobRecord, consumer: Consumer, controller: AbortController): Promise<void> {
    const attempt = job.attempts;
    this.emit({ type: 'started', jobId: job.id, name: job.name, attempt });
    try {
      await consumer.handler(job.payload as JobPayloads[JobName], {
        jobId: job.id,
        key: `${job.name}:${job.id}`,
        attempt,
        signal: controller.signal,
        maxAttempts: this.maxAttempts,
      });
      this.finish(job, 'completed');
      this.emit({ type: 'completed', jobId: job.id, name: job.name, attempt });
    } catch (error) {
      this.settleFailure(job, attempt, isStopAbort(controller.signal), error);
    } finally {
      consumer.active -= 1;
      this.running.delete(job.id);
      this.pump();
    }
  }

  private settleFailure(job: JobRecord, attempt: number, isHandedBack: boolean, error: unknown): void {
    if (isHandedBack) {
      // Not the job's fault: it goes back unfinished and does not use up an attempt.
      job.state = 'queued';
      job.attempts -= 1;
      this.queued.add(job.id);
      this.emit({ type: 'requeued', jobId: job.id, name: job.name });
      return;
    }
    job.error = errorText(error);
    const code = errorCodeOf(error);
    if (code !== undefined) job.code = code;
    else delete job.code;
    // A permanent failure (a malformed input) would fail the same way again: no retry.
    if (attempt < this.maxAttempts && !isPermanentJobError(error)) {
      const delayMs = this.retryDelayMs * 2 ** (attempt - 1);
      job.state = 'queued';
      job.notBefore = Date.now() + delayMs;
      this.queued.add(job.id);
      this.emit({ type: 'retrying', jobId: job.id, name: job.name, attempt, delayMs, error: job.error });
      return;
    }
    this.finish(job, 'failed');
    this.emit({ type: 'failed', jobId: job.id, name: job.name, attempt, error: job.error });
  }

  private finish(job: JobRecord, state: 'completed' | 'failed'): void {
    job.state = state;
    job.finishedAt = new Date().toISOString();
    this.finished.push(job.id);
    while (this.finished.length > this.keepFinished) {
      const oldest = this.finished.shift();
      if (oldest !== undefined) this.jobs.delete(oldest);
    }
  }

  private emit(event: Parameters<JobEventListener>[0]): void {
    try {
      this.options.onEvent?.(event);
    } catch {
      // A listener's failure must not change a job's outcome.
    }
  }
}
