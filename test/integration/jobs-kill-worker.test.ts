/**
 * The "done when" of issue 7's jobs: on PostgreSQL, two real `countersign worker` processes share
 * the vet-release jobs; one is killed with SIGKILL while it holds a job whose vet it has already
 * stored (the worst moment: result written, job not completed). Every job must complete, each
 * release must have exactly one vet, and no finding may be stored twice.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { createReadStream } from 'node:fs';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PgBossQueue } from '../../src/jobs/pg-boss-queue.js';
import { enqueueVetRelease } from '../../src/jobs/release-jobs.js';
import { FsBlobStore } from '../../src/store/fs-blob-store.js';
import { openStore } from '../../src/store/open-store.js';
import type { Actor, Release, Store } from '../../src/store/types.js';
import { type PostgresSchema, withPostgresSchema } from '../support/postgres.js';

/** The suite's PostgreSQL (see test/support): one fresh schema for the store, one for the queue. */
let storeDatabase: PostgresSchema;
let queueDatabase: PostgresSchema;
let url: string;
let storeSchema: string;
let queueSchema: string;
const ROOT = new URL('../../', import.meta.url).pathname;
const RELEASES = join(ROOT, 'test/fixtures/vet/data/releases');
const PAIRS = join(ROOT, 'test/fixtures/vet/data/pairs');
const admin: Actor = { kind: 'system', id: 'test' };
/** Long enough for any vet of these small fixtures on a busy 2-core box; short enough for a test. */
const EXPIRE_SECONDS = 15;

interface LogLine {
  readonly msg: string;
  readonly pid: number;
  readonly jobId?: string;
  readonly releaseId?: string;
  readonly isReplay?: boolean;
  readonly [key: string]: unknown;
}

class WorkerProcess {
  readonly lines: LogLine[] = [];
  readonly child: ChildProcess;
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  private stderr = '';

  constructor(dataDir: string, env: Record<string, string> = {}) {
    this.child = spawn(
      process.execPath,
      [
        '--import',
        'tsx',
        'src/cli/main.ts',
        'worker',
        '--database-url',
        url,
        '--data-dir',
        dataDir,
        '--schema',
        storeSchema,
        '--queue-schema',
        queueSchema,
        '--expire-seconds',
        String(EXPIRE_SECONDS),
        '--maintenance-seconds',
        '1',
        '--retry-delay-seconds',
        '0',
        '--grace-seconds',
        '20',
      ],
      { cwd: ROOT, env: { ...process.env, ...env }, stdio: ['ignore', 'ignore', 'pipe'] },
    );
    this.child.stderr?.setEncoding('utf8');
    this.child.stderr?.on('data', (chunk: string) => {
      this.stderr += chunk;
      let newline = this.stderr.indexOf('\n');
      while (newline !== -1) {
        const line = this.stderr.slice(0, newline);
        this.stderr = this.stderr.slice(newline + 1);
        try {
          this.lines.push(JSON.parse(line) as LogLine);
        } catch {
          this.lines.push({ msg: `(not JSON) ${line}`, pid: this.child.pid ?? 0 });
        }
        newline = this.stderr.indexOf('\n');
      }
    });
    this.exited = new Promise((resolve) => {
      this.child.once('exit', (code, signal) => resolve({ code, signal }));
    });
  }

  /** Waits for a log line; fails with the log so far if the process ends or time runs out. */
  async waitFor(predicate: (line: LogLine) => boolean, what: string, timeoutMs = 90_000): Promise<LogLine> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const line = this.lines.find(predicate);
      if (line) return line;
      if (this.child.exitCode !== null || this.child.signalCode !== null || Date.now() > deadline) {
        throw new Error(
          `worker ${this.child.pid} never logged ${what}:\n${JSON.stringify(this.lines, null, 1)}`,
        );
      }
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }
}

let dataDir: string;
let store: Store;
let producer: PgBossQueue;
const workers: WorkerProcess[] = [];

async function releaseOf(
  productId: string,
  version: string,
  files: Record<string, string>,
): Promise<Release> {
  const blobs = new FsBlobStore(dataDir);
  const release = await store.createRelease(admin, { productId, version });
  for (const [name, file] of Object.entries(files)) {
    const digests = await blobs.put(createReadStream(file));
    await store.putArtifact(admin, { ...digests, name });
    await store.attachArtifact(admin, { releaseId: release.id, sha256: digests.sha256, name });
  }
  return release;
}

async function productWithTrusted(name: string, files: Record<string, string>): Promise<string> {
  const supplier = await store.createSupplier(admin, { name: `${name} supplier` });
  const product = await store.createProduct(admin, { supplierId: supplier.id, name });
  const trusted = await releaseOf(product.id, 'trusted', files);
  await store.setTrustedRelease(admin, product.id, trusted.id);
  return product.id;
}

async function filesOf(dir: string): Promise<Record<string, string>> {
  const names = (await readdir(dir)).sort();
  return Object.fromEntries(names.map((name) => [name, join(dir, name)]));
}

/** The candidates: two ExampleDesk releases against 1.0.0, and four single-change PE pairs. */
async function candidates(): Promise<Release[]> {
  const desk = await productWithTrusted('ExampleDesk', {
    'ExampleDesk-1.0.0.zip': join(RELEASES, 'ExampleDesk-1.0.0.zip'),
  });
  const releases = [
    await releaseOf(desk, '1.0.1', { 'ExampleDesk-1.0.1.zip': join(RELEASES, 'ExampleDesk-1.0.1.zip') }),
    await releaseOf(desk, '1.0.2', { 'ExampleDesk-1.0.2.zip': join(RELEASES, 'ExampleDesk-1.0.2.zip') }),
  ];
  for (const pair of ['pe-overlay-appended', 'pe-signer-lost', 'stock-rebuilt', 'pe-capability-added']) {
    const product = await productWithTrusted(pair, await filesOf(join(PAIRS, pair, 'baseline/app')));
    releases.push(await releaseOf(product, 'candidate', await filesOf(join(PAIRS, pair, 'candidate/app'))));
  }
  return releases;
}

beforeAll(async () => {
  storeDatabase = await withPostgresSchema('kill_store');
  queueDatabase = await withPostgresSchema('kill_jobs');
  url = storeDatabase.url;
  storeSchema = storeDatabase.schema;
  queueSchema = queueDatabase.schema;
  dataDir = await mkdtemp(join(tmpdir(), 'countersign-kill-'));
  store = await openStore({ url, schema: storeSchema });
  producer = new PgBossQueue({
    connectionString: url,
    schema: queueSchema,
    expireInSeconds: EXPIRE_SECONDS,
    maintenanceIntervalSeconds: 1,
    retryDelaySeconds: 0,
  });
  await producer.start();
});

afterAll(async () => {
  for (const worker of workers) if (worker.child.exitCode === null) worker.child.kill('SIGKILL');
  await Promise.all(workers.map((worker) => worker.exited));
  await producer?.stop({ graceMs: 0 }).catch(() => undefined);
  await store?.close();
  await storeDatabase?.drop();
  await queueDatabase?.drop();
  await rm(dataDir, { recursive: true, force: true });
});

/** A job's state once it has left `active` (or `active` still after 30 s). */
async function settledState(
  queue: { status(id: string): Promise<{ state: string } | undefined> },
  jobId: string,
) {
  const deadline = Date.now() + 30_000;
  for (;;) {
    const state = (await queue.status(jobId))?.state;
    if (state !== 'active' || Date.now() > deadline) return state;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

describe('when a worker is killed with SIGKILL while it holds a job', () => {
  it('another worker finishes every job; each release gets one vet and its findings once', async () => {
    const releases = await candidates();

    // Worker A pauses every vet right after storing it, before the job completes.
    const victim = new WorkerProcess(dataDir, { COUNTERSIGN_TEST_PAUSE_AT: 'stored:600000' });
    workers.push(victim);
    await victim.waitFor((line) => line.msg === 'worker ready', 'ready');

    const jobs = new Map<string, string>();
    for (const release of releases) {
      jobs.set(await enqueueVetRelease(store, producer, admin, { releaseId: release.id }), release.id);
    }
    const held = await victim.waitFor((line) => line.msg === 'test pause', 'a held job');
    const heldJob = held.jobId!;
    expect(jobs.get(heldJob)).toBe(held.releaseId);
    expect((await producer.status(heldJob))?.state).toBe('active');
    // Its vet is already stored: the retry must find it, not store a second one.
    const stored = await store.latestVet(held.releaseId!);
    expect(stored?.jobKey).toBe(`vet-release:${heldJob}`);

    const survivor = new WorkerProcess(dataDir);
    workers.push(survivor);
    await survivor.waitFor((line) => line.msg === 'worker ready', 'ready');

    victim.child.kill('SIGKILL');
    expect(await victim.exited).toEqual({ code: null, signal: 'SIGKILL' });

    // Every job completes: the held one after its expiry, in the survivor.
    for (const [jobId] of jobs) {
      await survivor.waitFor(
        (line) => line.msg === 'release vetted' && line.jobId === jobId,
        `the vet of job ${jobId}`,
        120_000,
      );
    }
    // The handler logs the vet before it returns; the queue marks the job done just after.
    for (const [jobId] of jobs) expect(await settledState(producer, jobId)).toBe('completed');
    const heldStatus = await producer.status(heldJob);
    expect(heldStatus?.attempts).toBe(2);
    const replay = survivor.lines.find((line) => line.msg === 'release vetted' && line.jobId === heldJob);
    expect(replay?.isReplay).toBe(true);
    expect(replay?.vetId).toBe(stored?.id);

    // One vet per release, under its job's key, and every finding once.
    expect(await store.countVets()).toBe(releases.length);
    for (const [jobId, releaseId] of jobs) {
      const vet = await store.latestVet(releaseId);
      expect(vet?.jobKey).toBe(`vet-release:${jobId}`);
      expect(await store.getRelease(releaseId)).toMatchObject({ state: 'vetted', verdict: vet?.verdict });
      const findings = (await store.vetFindings(vet!.id, { limit: 1000 })).items;
      const keys = findings.map((finding) => `${finding.ruleId}|${finding.origin}|${finding.fingerprint}`);
      expect(new Set(keys).size).toBe(keys.length);
    }
    const tampered = releases[1]!;
    expect((await store.latestVet(tampered.id))?.verdict).toBe('block');

    // SIGTERM stops the survivor gracefully.
    survivor.child.kill('SIGTERM');
    expect(await survivor.exited).toEqual({ code: 0, signal: null });
    expect(survivor.lines.some((line) => line.msg === 'stopped')).toBe(true);
  }, 240_000);
});
