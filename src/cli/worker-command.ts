import { setFlagsFromString } from 'node:v8';
import { type Command, InvalidArgumentError, Option } from 'commander';
import { pino } from 'pino';
import { CountersignError } from '../core/errors.js';
import { PgBossQueue } from '../jobs/pg-boss-queue.js';
import type { JobEvent } from '../jobs/types.js';
import { startWorker } from '../jobs/worker.js';
import { VET_RELEASE_STAGES, type VetReleaseStage } from '../pipeline/vet-release.js';
import { FsBlobStore } from '../store/fs-blob-store.js';
import { openStore } from '../store/open-store.js';

export interface WorkerFlags {
  databaseUrl: string;
  dataDir: string;
  concurrency: number;
  threads: number;
  schema?: string;
  queueSchema?: string;
  expireSeconds: number;
  maintenanceSeconds: number;
  retryDelaySeconds: number;
  graceSeconds: number;
  logLevel: string;
}

function positiveInteger(value: string): number {
  const number = Number(value);
  if (!Number.isInteger(number) || number < 1) throw new InvalidArgumentError('expected a whole number >= 1');
  return number;
}

function wholeNumber(value: string): number {
  const number = Number(value);
  if (!Number.isInteger(number) || number < 0) throw new InvalidArgumentError('expected a whole number >= 0');
  return number;
}

/**
 * A test hook, off unless the environment sets it: `COUNTERSIGN_TEST_PAUSE_AT=<stage>:<ms>` makes
 * every vet pause that long when it reaches the stage, so a test can kill the worker while it
 * holds a job at a known point.
 */
export function pauseFromEnv(
  env: NodeJS.ProcessEnv = process.env,
): { stage: VetReleaseStage; ms: number } | undefined {
  const value = env.COUNTERSIGN_TEST_PAUSE_AT;
  if (!value) return undefined;
  const [stage, ms] = value.split(':');
  if (!VET_RELEASE_STAGES.includes(stage as VetReleaseStage) || !/^\d+$/.test(ms ?? '')) {
    throw new CountersignError('E_USAGE', `COUNTERSIGN_TEST_PAUSE_AT must be <stage>:<ms>, not ${value}`);
  }
  return { stage: stage as VetReleaseStage, ms: Number(ms) };
}

function logEvent(logger: pino.Logger, event: JobEvent): void {
  if (event.type === 'error') logger.error({ error: event.error }, 'queue error');
  else if (event.type === 'failed') logger.error(event, 'job failed');
  else if (event.type === 'retrying') logger.warn(event, 'job will be retried');
  else if (event.type === 'requeued') logger.warn(event, 'job requeued at stop');
  else logger.info(event, `job ${event.type}`);
}

/** Runs until SIGTERM or SIGINT, then stops gracefully; resolves once the worker has stopped. */
export async function runWorker(flags: WorkerFlags): Promise<void> {
  if (!/^postgres(ql)?:\/\//.test(flags.databaseUrl)) {
    throw new CountersignError(
      'E_USAGE',
      'worker processes share a PostgreSQL database (--database-url postgres://…); with SQLite, `countersign serve` runs the jobs itself',
    );
  }
  const logger = pino(
    { name: 'countersign-worker', level: flags.logLevel, base: { pid: process.pid } },
    pino.destination({ fd: 2, sync: true }),
  );
  // Read by the hashing and JavaScript-analysis pools when a job's scan creates them.
  process.env.COUNTERSIGN_THREADS = String(flags.threads);
  // One core's worth means V8's collector too: its parallel scavenger and concurrent marker would
  // take the core a neighbouring worker needs. Only these two are switched, and before any
  // collection: they are read when a collection starts (switching `--single-threaded-gc` or
  // parallel marking at run time trips V8's own checks).
  if (flags.threads === 0) setFlagsFromString('--no-parallel-scavenge --no-concurrent-marking');
  const pause = pauseFromEnv();
  const store = await openStore({
    url: flags.databaseUrl,
    ...(flags.schema ? { schema: flags.schema } : {}),
  });
  const queue = new PgBossQueue({
    connectionString: flags.databaseUrl,
    ...(flags.queueSchema ? { schema: flags.queueSchema } : {}),
    expireInSeconds: flags.expireSeconds,
    maintenanceIntervalSeconds: flags.maintenanceSeconds,
    retryDelaySeconds: flags.retryDelaySeconds,
    onEvent: (event) => logEvent(logger, event),
  });
  let stopRequested: (signal: string) => void = () => {};
  const stopSignal = new Promise<string>((resolve) => {
    stopRequested = resolve;
  });
  const onSignal = (signal: NodeJS.Signals) => stopRequested(signal);
  process.once('SIGTERM', onSignal);
  process.once('SIGINT', onSignal);
  try {
    const worker = await startWorker({
      store,
      blobs: new FsBlobStore(flags.dataDir),
      queue,
      concurrency: flags.concurrency,
      onStage: async (stage, job, context) => {
        logger.debug({ stage, jobId: context.jobId, releaseId: job.releaseId }, 'vet stage');
        if (pause?.stage === stage) {
          logger.warn({ stage, jobId: context.jobId, releaseId: job.releaseId, ms: pause.ms }, 'test pause');
          await new Promise((resolve) => setTimeout(resolve, pause.ms));
        }
      },
      onOutcome: (outcome, job, context) =>
        logger.info(
          {
            jobId: context.jobId,
            releaseId: job.releaseId,
            verdict: outcome.vet.verdict,
            vetId: outcome.vet.id,
            isReplay: outcome.isReplay,
            analysesReused: outcome.analysesReused,
            analysesMade: outcome.analysesMade,
          },
          'release vetted',
        ),
      onIntelImported: (source, rejected, context) =>
        logger.info(
          { jobId: context.jobId, sourceId: source.id, name: source.name, counts: source.counts, rejected },
          'intel imported',
        ),
    });
    logger.info({ concurrency: flags.concurrency, queueSchema: queue.schema }, 'worker ready');
    const signal = await stopSignal;
    logger.info({ signal, graceSeconds: flags.graceSeconds }, 'stopping');
    await worker.stop({ graceMs: flags.graceSeconds * 1000 });
    logger.info('stopped');
  } finally {
    process.off('SIGTERM', onSignal);
    process.off('SIGINT', onSignal);
    await queue.stop({ graceMs: 0 }).catch(() => undefined);
    await store.close();
  }
}

export function registerWorkerCommand(program: Command): void {
  program
    .command('worker')
    .description(
      'work vetting and intel-import jobs from a shared PostgreSQL queue (run as many as you like, on any machine)',
    )
    .addOption(
      // From the environment too, so a password need not show in the process list.
      new Option('--database-url <url>', 'PostgreSQL URL of the shared store and queue (postgres://…)')
        .env('COUNTERSIGN_DATABASE_URL')
        .makeOptionMandatory(),
    )
    .requiredOption('--data-dir <dir>', 'the shared data directory holding the artifact blobs')
    .option('--concurrency <n>', 'jobs at once in this process', positiveInteger, 1)
    .addOption(
      new Option(
        '--threads <n>',
        'helper threads for hashing and JavaScript analysis; 0 keeps each job on one core (run one worker per core)',
      )
        .env('COUNTERSIGN_THREADS')
        .argParser(wholeNumber)
        .default(0),
    )
    .option('--schema <name>', 'PostgreSQL schema of the store (default: the connection default)')
    .option('--queue-schema <name>', 'PostgreSQL schema of the job queue (default: countersign_jobs)')
    .option(
      '--expire-seconds <n>',
      'a job active this long is taken as lost (its worker died) and retried; above the longest vet',
      positiveInteger,
      900,
    )
    .option('--maintenance-seconds <n>', 'how often lost jobs are looked for', positiveInteger, 30)
    .option('--retry-delay-seconds <n>', 'wait before the first retry (doubles after)', wholeNumber, 5)
    .option('--grace-seconds <n>', 'on SIGTERM, time running jobs get to finish', wholeNumber, 30)
    .option('--log-level <level>', 'pino log level (trace … fatal)', 'info')
    .action(async (flags: WorkerFlags) => {
      await runWorker(flags);
    });
}
