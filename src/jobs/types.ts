/**
 * The job contract (issue 7): vetting and imports run as jobs. With SQLite an in-process queue runs
 * them in the server process; with PostgreSQL pg-boss spreads them over `countersign worker`
 * processes on many machines. Handlers must be idempotent (a job killed mid-way is retried): they
 * store results under the job's key, and the store keeps one result per key.
 */
import type { Actor } from '../store/types.js';

export const JOB_NAMES = ['vet-release', 'import-intel'] as const;
export type JobName = (typeof JOB_NAMES)[number];

export interface VetReleaseJob {
  readonly releaseId: string;
  /** Overrides the product's trusted release. */
  readonly baselineReleaseId?: string;
}
export interface ImportIntelJob {
  /** sha256 of the uploaded intel file in the blob store. */
  readonly sha256: string;
  readonly name: string;
  readonly format: string;
  /** Tags given to every indicator of the file (added: optional). */
  readonly tags?: readonly string[];
  /** Who asked for the import, for the audit log; the worker itself when absent (added: optional). */
  readonly requestedBy?: Actor;
}
export interface JobPayloads {
  readonly 'vet-release': VetReleaseJob;
  readonly 'import-intel': ImportIntelJob;
}

export const JOB_STATES = ['queued', 'active', 'completed', 'failed'] as const;
export type JobState = (typeof JOB_STATES)[number];

export interface JobStatus {
  readonly id: string;
  readonly name: JobName;
  readonly state: JobState;
  readonly attempts: number;
  readonly error?: string;
  /** The stable code of the error that failed the job, when it had one (added: optional). */
  readonly code?: string;
  readonly createdAt: string;
  readonly finishedAt?: string;
}

export interface JobContext {
  readonly jobId: string;
  /** Stable across retries of the same job: the idempotency key handlers store results under. */
  readonly key: string;
  readonly attempt: number;
  readonly signal: AbortSignal;
  /** How many attempts the queue allows; `attempt === maxAttempts` is the last (added: optional). */
  readonly maxAttempts?: number;
}

export type JobHandler<N extends JobName> = (payload: JobPayloads[N], context: JobContext) => Promise<void>;

export interface EnqueueOptions {
  readonly singletonKey?: string;
  readonly id?: string;
}

export interface JobQueue {
  readonly kind: 'in-process' | 'pg-boss';
  start(): Promise<void>;
  /**
   * Returns the job id; the same singletonKey while a job is queued or active returns that job.
   * `id` (a UUID; added: optional) asks for that id for a new job, so a job rebuilt after a restart
   * keeps the id its requester holds; a queue that already knows the id gives the job another.
   */
  enqueue<N extends JobName>(name: N, payload: JobPayloads[N], options?: EnqueueOptions): Promise<string>;
  /** Registers a handler and starts consuming (a server with SQLite, or a worker process). */
  work<N extends JobName>(name: N, handler: JobHandler<N>, options?: { concurrency?: number }): Promise<void>;
  status(jobId: string): Promise<JobStatus | undefined>;
  /** Graceful: stop taking jobs, let running ones finish within the grace period, requeue the rest. */
  stop(options?: { graceMs?: number }): Promise<void>;
}

// --- additions by the jobs implementation (additive only) -------------------------------------------

/**
 * What a queue reports as it works, so the shell that owns the terminal can log it (the library
 * never prints). `requeued` is a job given back unfinished at a stop; `retrying` a failed attempt
 * that will run again after `delayMs`.
 */
export type JobEvent =
  | { readonly type: 'started'; readonly jobId: string; readonly name: JobName; readonly attempt: number }
  | { readonly type: 'completed'; readonly jobId: string; readonly name: JobName; readonly attempt: number }
  | {
      readonly type: 'retrying';
      readonly jobId: string;
      readonly name: JobName;
      readonly attempt: number;
      readonly delayMs: number;
      readonly error: string;
    }
  | {
      readonly type: 'failed';
      readonly jobId: string;
      readonly name: JobName;
      readonly attempt: number;
      readonly error: string;
    }
  | { readonly type: 'requeued'; readonly jobId: string; readonly name: JobName }
  | { readonly type: 'error'; readonly error: string };

export type JobEventListener = (event: JobEvent) => void;

/** Attempts per job unless a queue is told otherwise: the first run and two retries. */
export const DEFAULT_MAX_ATTEMPTS = 3;

/**
 * The abort reason a queue gives running handlers when it stops (as opposed to a job that ran out
 * of time): the job is handed back, so a handler must not record it as failed.
 */
export class JobStopped extends Error {
  override readonly name = 'JobStopped';
}

export function isStopAbort(signal: AbortSignal): boolean {
  return signal.aborted && signal.reason instanceof JobStopped;
}

/**
 * A failure no retry can change (a malformed input file): the queue fails the job at once instead
 * of spending its remaining attempts, and the job's status shows `code` and the message.
 */
export class PermanentJobError extends Error {
  override readonly name = 'PermanentJobError';
  constructor(
    readonly code: string,
    message: string,
    options?: ErrorOptions,
  ) {
    super(message, options);
  }
}

export function isPermanentJobError(error: unknown): error is PermanentJobError {
  return error instanceof PermanentJobError;
}

/** The stable code an error carries (`CountersignError`, `PermanentJobError`), if any. */
export function errorCodeOf(error: unknown): string | undefined {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' && /^E_[A-Z0-9_]+$/.test(code) ? code : undefined;
}
