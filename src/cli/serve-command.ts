import { mkdir } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { type Command, InvalidArgumentError } from 'commander';
import { pino } from 'pino';
import { CountersignError } from '../core/errors.js';
import { InProcessQueue } from '../jobs/in-process-queue.js';
import { requeueInterruptedImports } from '../jobs/intel-import-jobs.js';
import { PgBossQueue } from '../jobs/pg-boss-queue.js';
import { requeueInterruptedVets } from '../jobs/release-jobs.js';
import type { JobEvent, JobQueue } from '../jobs/types.js';
import { type RunningWorker, startWorker } from '../jobs/worker.js';
import { buildServer } from '../server/build-server.js';
import { loadDemo } from '../server/demo/load-demo.js';
import { type ServerMetrics, serverMetrics } from '../server/metrics.js';
import { FsBlobStore } from '../store/fs-blob-store.js';
import { openStore } from '../store/open-store.js';
import type { Store } from '../store/types.js';
import { parseSize } from './options.js';
import { pauseFromEnv } from './worker-command.js';

export interface ServeFlags {
  dataDir?: string;
  host: string;
  port: number;
  databaseUrl?: string;
  schema?: string;
  queueSchema?: string;
  workers?: number;
  demo?: boolean;
  maxUpload: number;
  graceSeconds: number;
  logLevel: string;
}

const BOOTSTRAP_ACTOR = { kind: 'system', id: 'bootstrap' } as const;

function wholeNumber(value: string): number {
  const number = Number(value);
  if (!Number.isInteger(number) || number < 0) throw new InvalidArgumentError('expected a whole number >= 0');
  return number;
}

function port(value: string): number {
  const number = wholeNumber(value);
  if (number > 65535) throw new InvalidArgumentError('expected a port number (0 picks a free one)');
  return number;
}

/** `$COUNTERSIGN_HOME/server`, else `~/.countersign/server`. */
export function defaultServerDataDir(env: NodeJS.ProcessEnv = process.env): string {
  return env.COUNTERSIGN_HOME
    ? join(resolve(env.COUNTERSIGN_HOME), 'server')
    : join(homedir(), '.countersign', 'server');
}

/**
 * On the first start (no user yet) creates the admin and returns its token, to be printed once:
 * only its SHA-256 is stored, so it can never be shown again.
 */
export async function bootstrapAdmin(store: Store): Promise<string | undefined> {
  if (!(await store.isEmpty())) return undefined;
  const admin = await store.createUser(BOOTSTRAP_ACTOR, { name: 'admin', role: 'admin' });
  return (await store.issueToken(BOOTSTRAP_ACTOR, { userId: admin.id, label: 'bootstrap' })).token;
}

/**
 * A test hook, off unless the environment sets it: `COUNTERSIGN_TEST_PAUSE_IMPORT_MS=<ms>` makes
 * every intel import pause that long before it parses, so a test can kill the server while an
 * import it accepted has not run (`COUNTERSIGN_TEST_PAUSE_AT` does the same for vet stages).
 */
export function importPauseFromEnv(env: NodeJS.ProcessEnv = process.env): number | undefined {
  const value = env.COUNTERSIGN_TEST_PAUSE_IMPORT_MS;
  if (!value) return undefined;
  if (!/^\d+$/.test(value)) {
    throw new CountersignError(
      'E_USAGE',
      `COUNTERSIGN_TEST_PAUSE_IMPORT_MS must be a number of ms, not ${value}`,
    );
  }
  return Number(value);
}

function logEvent(logger: pino.Logger, event: JobEvent): void {
  if (event.type === 'error') logger.error({ error: event.error }, 'queue error');
  else if (event.type === 'failed') logger.error(event, 'job failed');
  else if (event.type === 'retrying') logger.warn(event, 'job will be retried');
  else logger.info(event, `job ${event.type}`);
}

/** Runs the server until SIGINT or SIGTERM, then shuts down gracefully. */
export async function runServe(flags: ServeFlags): Promise<void> {
  const dataDir = resolve(flags.dataDir ?? defaultServerDataDir());
  const isPostgres = flags.databaseUrl !== undefined && /^postgres(ql)?:\/\//.test(flags.databaseUrl);
  const storeUrl = flags.databaseUrl ?? join(dataDir, 'countersign.db');
  const workers = flags.workers ?? (isPostgres ? 1 : 2);
  if (!isPostgres && workers === 0) {
    throw new CountersignError(
      'E_USAGE',
      '--workers 0 needs a PostgreSQL --database-url: with SQLite the server is the only one running jobs',
    );
  }
  await mkdir(dataDir, { recursive: true });
  const logger = pino(
    { name: 'countersign-server', level: flags.logLevel },
    pino.destination({ fd: 2, sync: false }),
  );
  const store = await openStore({ url: storeUrl, ...(flags.schema ? { schema: flags.schema } : {}) });
  const blobs = new FsBlobStore(dataDir);
  let metrics: ServerMetrics | undefined;
  const onEvent = (event: JobEvent) => {
    logEvent(logger, event);
    metrics?.onJobEvent(event);
  };
  const queue: JobQueue = isPostgres
    ? new PgBossQueue({
        connectionString: storeUrl,
        onEvent,
        ...(flags.queueSchema ? { schema: flags.queueSchema } : {}),
      })
    : new InProcessQueue({ onEvent });

  let worker: RunningWorker | undefined;
  let app: Awaited<ReturnType<typeof buildServer>> | undefined;
  let stopRequested: (signal: string) => void = () => {};
  const stopSignal = new Promise<string>((resolveStop) => {
    stopRequested = resolveStop;
  });
  const onSignal = (signal: NodeJS.Signals) => stopRequested(signal);
  process.once('SIGTERM', onSignal);
  process.once('SIGINT', onSignal);
  try {
    const token = await bootstrapAdmin(store);
    app = await buildServer({
      store,
      blobs,
      queue,
      logger: logger.child({ component: 'http' }),
      limits: { maxUploadBytes: flags.maxUpload },
    });
    metrics = serverMetrics(app);
    const pause = pauseFromEnv();
    const importPauseMs = importPauseFromEnv();
    if (workers > 0) {
      worker = await startWorker({
        store,
        blobs,
        queue,
        concurrency: workers,
        // Test hook (COUNTERSIGN_TEST_PAUSE_AT, as for `worker`): a pause that a stop can abort.
        ...(pause
          ? {
              onStage: async (stage, _job, context) => {
                if (stage === pause.stage) await sleep(pause.ms, undefined, { signal: context.signal });
              },
            }
          : {}),
        ...(importPauseMs !== undefined
          ? {
              onIntelImportStart: async (_job, context) => {
                await sleep(importPauseMs, undefined, { signal: context.signal });
              },
            }
          : {}),
      });
    } else await queue.start();
    const requeued = await requeueInterruptedVets(store, queue);
    if (requeued.length > 0)
      logger.warn({ releases: requeued }, 'requeued vets interrupted by the last stop');
    const imports = await requeueInterruptedImports(store, queue);
    if (imports.length > 0) {
      logger.warn(
        { imports: imports.map((item) => ({ name: item.name, jobId: item.jobId })) },
        'requeued intel imports interrupted by the last stop',
      );
    }

    const address = await app.listen({ host: flags.host, port: flags.port });
    if (token) {
      process.stdout.write(
        `\nFirst start: created the admin user. Its API token is shown this once; keep it now:\n\n  ${token}\n\n` +
          `  curl -H 'Authorization: Bearer ${token}' ${address}/api/v1/me\n\n`,
      );
    }
    if (flags.demo) {
      const demo = await loadDemo({ store, blobs, queue });
      const message = `demo: ${demo.supplier.name} / ${demo.product.name} ${demo.releases.map((r) => r.version).join(', ')}`;
      process.stdout.write(
        `${message}${demo.jobIds.length > 0 ? ` (vetting ${demo.jobIds.length} release(s))` : ''}\n`,
      );
    }
    // Last, so that whoever waits for this line has seen the token and the demo lines too.
    process.stdout.write(`countersign server listening on ${address} (data in ${dataDir})\n`);
    const signal = await stopSignal;
    logger.info({ signal, graceSeconds: flags.graceSeconds }, 'stopping');
  } finally {
    process.off('SIGTERM', onSignal);
    process.off('SIGINT', onSignal);
    // Stop taking requests first (in-flight ones finish), then jobs: running vets and imports get
    // the grace period, the rest stay queued (pg-boss) or `vetting` / pending in the store
    // (requeued at the next start).
    await app?.close();
    if (worker) await worker.stop({ graceMs: flags.graceSeconds * 1000 });
    else await queue.stop({ graceMs: flags.graceSeconds * 1000 }).catch(() => undefined);
    await store.close();
    logger.info('stopped');
    logger.flush();
  }
}

export function registerServeCommand(program: Command): void {
  program
    .command('serve')
    .description('run the HTTP API (SQLite in a data directory by default, PostgreSQL for teams)')
    .option(
      '--data-dir <dir>',
      'data directory: database and blobs (default: $COUNTERSIGN_HOME/server or ~/.countersign/server)',
    )
    .option('--host <host>', 'address to listen on', '127.0.0.1')
    .option('--port <n>', 'port to listen on (0 picks a free one)', port, 8080)
    .option('--database-url <url>', 'PostgreSQL URL (postgres://…) instead of SQLite in the data directory')
    .option('--schema <name>', 'PostgreSQL schema of the store (default: the connection default)')
    .option('--queue-schema <name>', 'PostgreSQL schema of the job queue (default: countersign_jobs)')
    .option(
      '--workers <n>',
      'vet jobs this process runs at once (default 2 with SQLite, 1 with PostgreSQL; 0 leaves them to `countersign worker`)',
      wholeNumber,
    )
    .option('--demo', 'load the demo dataset (ExampleSoft / ExampleDesk 1.0.0-1.0.2) and vet it')
    .option('--max-upload <size>', 'largest artifact upload (bytes, or with K/M/G)', parseSize, 4 * 1024 ** 3)
    .option('--grace-seconds <n>', 'on SIGINT/SIGTERM, time running jobs get to finish', wholeNumber, 30)
    .option('--log-level <level>', 'pino log level (logs go to stderr)', 'info')
    .action(async (flags: ServeFlags) => runServe(flags));
}
