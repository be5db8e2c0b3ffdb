import pg from 'pg';
import PgBoss from 'pg-boss';
import { CountersignError } from '../core/errors.js';
import {
  DEFAULT_MAX_ATTEMPTS,
  type EnqueueOptions,
  errorCodeOf,
  isPermanentJobError,
  JOB_NAMES,
  type JobEventListener,
  type JobHandler,
  type JobName,
  type JobPayloads,
  type JobQueue,
  type JobState,
  type JobStatus,
  JobStopped,
} from './types.js';

export interface PgBossQueueOptions {
  readonly connectionString: string;
  /** pg-boss keeps its tables in their own schema (default `countersign_jobs`). */
  readonly schema?: string;
  /** Attempts per job, the first included (default 3). */
  readonly maxAttempts?: number;
  /** Seconds before the first retry; pg-boss doubles it (with jitter) for later ones (default 5). */
  readonly retryDelaySeconds?: number;
  /**
   * An active job not finished within this many seconds is failed and retried: this is how a job
   * whose worker died (kill -9) comes back. Set it above the longest vet you expect (default 900).
   */
  readonly expireInSeconds?: number;
  /** How often expired jobs are looked for (pg-boss maintenance, shared by all instances; default 30). */
  readonly maintenanceIntervalSeconds?: number;
  /**
   * The idle poll of each consumer (pg-boss minimum 0.5 s; default 1). A consumer that finished a
   * job fetches the next at once; new jobs are also announced with
   * PostgreSQL NOTIFY, so idle workers on any machine pick them up without waiting for the poll.
   */
  readonly pollingIntervalSeconds?: number;
  readonly onEvent?: JobEventListener;
}

const DEFAULT_SCHEMA = 'countersign_jobs';
/** pg-boss job ids are PostgreSQL uuids: any other id asked for is ignored. */
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** pg-boss's six states folded into the contract's four. */
function contractState(state: string): JobState {
  switch (state) {
    case 'created':
    case 'retry':
      return 'queued';
    case 'active':
      return 'active';
    case 'completed':
      return 'completed';
    default:
      return 'failed';
  }
}

const errorText = (error: unknown): string => (error instanceof Error ? error.message : String(error));

/** The message pg-boss stores as a failed job's output, when there is one. */
function outputError(output: unknown): string | undefined {
  if (!output || typeof output !== 'object') return undefined;
  const record = output as { message?: unknown; value?: { message?: unknown } };
  if (typeof record.message === 'string') return record.message;
  if (typeof record.value?.message === 'string') return record.value.message;
  return undefined;
}

/** The error code pg-boss kept with a failed job's output (it serialises the thrown error's own properties). */
function outputCode(output: unknown): string | undefined {
  if (!output || typeof output !== 'object') return undefined;
  return errorCodeOf(output) ?? errorCodeOf((output as { value?: unknown }).value);
}

const isSchemaName = (value: string) => /^[a-z_][a-z0-9_]{0,49}$/.test(value);

/**
 * The queue of the PostgreSQL setup: pg-boss 10 in its own schema, shared by every process that
 * points at the same database (the server enqueues, `countersign worker` processes consume).
 *
 * Queues use pg-boss's `stately` policy, so one singleton key has at most one queued and one
 * active job; `enqueue` returns the job already queued or active for a key. A job whose worker
 * vanished stays `active` until it expires, then pg-boss retries it (the same job id, hence the
 * same idempotency key).
 */
export class PgBossQueue implements JobQueue {
  readonly kind = 'pg-boss' as const;
  readonly schema: string;
  private readonly boss: PgBoss;
  private readonly maxAttempts: number;
  private readonly expireInSeconds: number;
  private readonly retryDelaySeconds: number;
  private readonly pollingIntervalSeconds: number;
  private readonly workerIds = new Map<JobName, string[]>();
  private readonly running = new Map<
    string,
    { name: JobName; controller: AbortController; done: Promise<unknown> }
  >();
  private listener: pg.Client | undefined;
  private isStarted = false;

  constructor(private readonly options: PgBossQueueOptions) {
    this.schema = options.schema ?? DEFAULT_SCHEMA;
    if (!isSchemaName(this.schema)) {
      throw new CountersignError('E_USAGE', `not a plain schema name for the job queue: ${this.schema}`);
    }
    this.maxAttempts = Math.max(1, options.maxAttempts ?? DEFAULT_MAX_ATTEMPTS);
    this.expireInSeconds = Math.max(1, Math.round(options.expireInSeconds ?? 900));
    this.retryDelaySeconds = Math.max(0, Math.round(options.retryDelaySeconds ?? 5));
    this.pollingIntervalSeconds = Math.max(0.5, options.pollingIntervalSeconds ?? 1);
    this.boss = new PgBoss({
      connectionString: options.connectionString,
      schema: this.schema,
      application_name: 'countersign-jobs',
      maintenanceIntervalSeconds: Math.max(1, Math.round(options.maintenanceIntervalSeconds ?? 30)),
      // Jobs are kept a week for status(); results live in the store, not in pg-boss.
      archiveCompletedAfterSeconds: 7 * 24 * 3600,
      max: 4,
    });
    this.boss.on('error', (error: Error) => this.emit({ type: 'error', error: errorText(error) }));
  }

  private get channel(): string {
    return `${this.schema}_new_job`;
  }

  async start(): Promise<void> {
    if (this.isStarted) return;
    await retryOnDeadlock(() => this.boss.start());
    for (const name of JOB_NAMES) {
      const queue = {
        name,
        policy: 'stately' as const,
        retryLimit: this.maxAttempts - 1,
        retryDelay: this.retryDelaySeconds,
        retryBackoff: true,
        expireInSeconds: this.expireInSeconds,
      };
      await retryOnDeadlock(() => this.boss.createQueue(name, queue));
      // createQueue keeps an existing queue's settings; the latest configuration wins.
      await retryOnDeadlock(() => this.boss.updateQueue(name, queue));
    }
    this.isStarted = true;
  }

  async enqueue<N extends JobName>(
    name: N,
    payload: JobPayloads[N],
    options: EnqueueOptions = {},
  ): Promise<string> {
    const key = options.singletonKey;
    if (key !== undefined) {
      const existing = await this.pendingJobWithKey(name, key);
      if (existing) return existing;
    }
    const send = (id: string | undefined) =>
      this.boss.send(name, payload as object, {
        retryLimit: this.maxAttempts - 1,
        retryDelay: this.retryDelaySeconds,
        retryBackoff: true,
        expireInSeconds: this.expireInSeconds,
        ...(key !== undefined ? { singletonKey: key } : {}),
        ...(id !== undefined ? { id } : {}),
      });
    const wanted = options.id !== undefined && UUID.test(options.id) ? options.id : undefined;
    let id = await send(wanted);
    // Lost a race with another sender of the same key: theirs is the job.
    let existing = id === null && key !== undefined ? await this.pendingJobWithKey(name, key) : undefined;
    if (id === null && existing === undefined && wanted !== undefined) {
      // The id asked for is taken by a finished job (one that failed while its requester's record
      // stayed pending): this run gets an id of its own.
      id = await send(undefined);
      existing = id === null && key !== undefined ? await this.pendingJobWithKey(name, key) : undefined;
    }
    if (id) {
      await this.announce(name);
      return id;
    }
    if (existing) return existing;
    throw new CountersignError(
      'E_INTERNAL',
      `pg-boss refused the ${name} job${key ? ` with key ${key}` : ''}`,
    );
  }

  private async pendingJobWithKey(name: JobName, key: string): Promise<string | undefined> {
    const { rows } = await this.boss
      .getDb()
      .executeSql(
        `SELECT id FROM ${this.schema}.job WHERE name = $1 AND singleton_key = $2 AND state < 'completed' ORDER BY created_on LIMIT 1`,
        [name, key],
      );
    return (rows[0] as { id?: string } | undefined)?.id;
  }

  private async announce(name: JobName): Promise<void> {
    await this.boss.getDb().executeSql('SELECT pg_notify($1, $2)', [this.channel, name]);
  }

  async work<N extends JobName>(
    name: N,
    handler: JobHandler<N>,
    options: { concurrency?: number } = {},
  ): Promise<void> {
    await this.start();
    await this.listen();
    // pg-boss 10 has no per-worker concurrency: one consumer per slot, each fetching one job.
    const ids = this.workerIds.get(name) ?? [];
    for (let slot = 0; slot < Math.max(1, options.concurrency ?? 1); slot += 1) {
      let workerId = '';
      workerId = await this.boss.work<JobPayloads[N]>(
        name,
        { batchSize: 1, includeMetadata: true, pollingIntervalSeconds: this.pollingIntervalSeconds },
        async ([job]) => {
          try {
            if (job) await this.runJob(name, job, handler);
          } finally {
            // A consumer that just finished a job fetches again at once instead of sleeping the poll.
            this.boss.notifyWorker(workerId);
          }
        },
      );
      ids.push(workerId);
    }
    this.workerIds.set(name, ids);
  }

  private async runJob<N extends JobName>(
    name: N,
    job: PgBoss.JobWithMetadata<JobPayloads[N]>,
    handler: JobHandler<N>,
  ): Promise<void> {
    const attempt = job.retryCount + 1;
    const controller = new AbortController();
    // pg-boss stops waiting at the expiry and retries the job elsewhere: stop this run too.
    const expiry = setTimeout(
      () => controller.abort(new Error(`the job expired after ${this.expireInSeconds} s`)),
      this.expireInSeconds * 1000,
    );
    this.emit({ type: 'started', jobId: job.id, name, attempt });
    // Started on the next microtask, so a handler that throws at once still settles through `done`.
    const done = Promise.resolve().then(() =>
      handler(job.data, {
        jobId: job.id,
        key: `${name}:${job.id}`,
        attempt,
        signal: controller.signal,
        maxAttempts: job.retryLimit + 1,
      }),
    );
    this.running.set(job.id, { name, controller, done });
    try {
      await done;
      this.emit({ type: 'completed', jobId: job.id, name, attempt });
    } catch (error) {
      // A permanent failure would fail the same way again: pg-boss fails a job without retrying
      // once its retry count reaches its limit, so the limit comes down to the count.
      const isPermanent = isPermanentJobError(error) && attempt <= job.retryLimit;
      if (isPermanent) {
        await this.boss
          .getDb()
          .executeSql(`UPDATE ${this.schema}.job SET retry_limit = retry_count WHERE name = $1 AND id = $2`, [
            name,
            job.id,
          ])
          .catch((cause: unknown) => this.emit({ type: 'error', error: `no-retry: ${errorText(cause)}` }));
      }
      if (attempt <= job.retryLimit && !isPermanent) {
        this.emit({
          type: 'retrying',
          jobId: job.id,
          name,
          attempt,
          delayMs: job.retryDelay * 1000 * 2 ** (attempt - 1),
          error: errorText(error),
        });
      } else {
        this.emit({ type: 'failed', jobId: job.id, name, attempt, error: errorText(error) });
      }
      throw error;
    } finally {
      clearTimeout(expiry);
      this.running.delete(job.id);
    }
  }

  /** One LISTEN connection per process: a NOTIFY for a queue wakes this process's idle consumers. */
  private async listen(): Promise<void> {
    if (this.listener) return;
    const client = new pg.Client({ connectionString: this.options.connectionString });
    client.on('error', (error) => this.emit({ type: 'error', error: `listener: ${errorText(error)}` }));
    client.on('notification', (message) => {
      const ids = this.workerIds.get(message.payload as JobName) ?? [];
      for (const id of ids) this.boss.notifyWorker(id);
    });
    await client.connect();
    await client.query(`LISTEN ${this.channel}`);
    this.listener = client;
  }

  async status(jobId: string): Promise<JobStatus | undefined> {
    for (const name of JOB_NAMES) {
      const job = await this.boss.getJobById<unknown>(name, jobId, { includeArchive: true });
      if (!job) continue;
      const state = contractState(job.state);
      const error = state === 'failed' ? outputError(job.output) : undefined;
      const code = state === 'failed' ? outputCode(job.output) : undefined;
      const isStarted = job.startedOn !== null && job.startedOn !== undefined;
      return {
        id: job.id,
        name,
        state,
        attempts: isStarted ? job.retryCount + 1 : job.retryCount,
        createdAt: new Date(job.createdOn).toISOString(),
        ...(error !== undefined ? { error } : {}),
        ...(code !== undefined ? { code } : {}),
        ...(job.completedOn ? { finishedAt: new Date(job.completedOn).toISOString() } : {}),
      };
    }
    return undefined;
  }

  /**
   * Graceful: consumers stop fetching, running handlers get the grace period, then are aborted;
   * pg-boss fails what is still active at its timeout, which retries it (an attempt is spent).
   */
  async stop(options: { graceMs?: number } = {}): Promise<void> {
    if (!this.isStarted) return;
    // Marked first: a second stop (a shell's cleanup after a graceful stop) has nothing to do.
    this.isStarted = false;
    const graceMs = Math.max(0, options.graceMs ?? 30_000);
    for (const name of this.workerIds.keys()) await this.boss.offWork(name);
    const all = () => Promise.allSettled([...this.running.values()].map((run) => run.done));
    let timer: NodeJS.Timeout | undefined;
    const isFinished = await Promise.race([
      all().then(() => true),
      new Promise<boolean>((resolve) => {
        timer = setTimeout(() => resolve(false), graceMs);
      }),
    ]);
    clearTimeout(timer);
    if (!isFinished) {
      const unfinished = [...this.running.entries()];
      for (const [, run] of unfinished) run.controller.abort(new JobStopped('the worker is stopping'));
      await all();
      for (const [jobId, run] of unfinished) this.emit({ type: 'requeued', jobId, name: run.name });
    }
    await this.boss.stop({ graceful: true, wait: true, timeout: 5_000 });
    if (this.listener) {
      const client = this.listener;
      this.listener = undefined;
      await client.end().catch(() => undefined);
    }
    this.workerIds.clear();
  }

  private emit(event: Parameters<JobEventListener>[0]): void {
    try {
      this.options.onEvent?.(event);
    } catch {
      // A listener's failure must not change a job's outcome.
    }
  }
}

/**
 * pg-boss creates its schema and queues with DDL that deadlocks when two processes (a server and a
 * worker, two workers) start at once on a fresh schema; PostgreSQL aborts one of them with
 * 40P01. Both operations are idempotent, so the loser simply tries again.
 */
async function retryOnDeadlock<T>(operation: () => Promise<T>, attempts = 5): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await operation();
    } catch (error) {
      const code = (error as { code?: unknown }).code;
      const isRace = code === '40P01' || code === '23505' || code === '42P07';
      if (!isRace || attempt >= attempts) throw error;
      await new Promise((resolve) => setTimeout(resolve, 50 * attempt + Math.random() * 100));
    }
  }
}
