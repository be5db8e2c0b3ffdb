// Vetting throughput on PostgreSQL with 2 `countersign worker` processes against 1: issue 7 asks
// for at least 1.7x.
//
// Each configuration gets a fresh store schema and queue schema, one product with a trusted
// release (analysed before the clock starts, as a product's baseline always is), and JOBS candidate
// releases with distinct bytes (so no analysis is reused between jobs): ~3 MB zips of generated
// JavaScript plus the fixture PEs. Workers are started and ready before the clock starts; the
// clock stops when every release is vetted. Throughput = releases vetted per second.

import { spawn } from 'node:child_process';
import { createReadStream, createWriteStream, existsSync } from 'node:fs';
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import yazl from 'yazl';
import { createRng } from './lib/prng.mjs';
import { formatSeconds } from './lib/stats.mjs';
import { waitForIdle } from './lib/sys.mjs';
import { makeLinePool, textBytes } from './lib/text.mjs';

export const id = 'workers';
export const title = 'vetting throughput on PostgreSQL: 2 `countersign worker` processes against 1';
export const TARGETS = { minRatio: 1.7 };

const GENERATOR_VERSION = 1;
const SHAPE = { jobs: 25, jsFiles: 150, jsMinBytes: 2048, jsMaxBytes: 40 * 1024 };
const PE_FIXTURES = ['ffmpeg.dll', 'd3dcompiler_47.dll'];
const admin = { kind: 'system', id: 'bench' };

/** The DLLs of a fixture release zip (yauzl ships with Countersign). */
async function unzipAll(zipPath) {
  const { default: yauzl } = await import('yauzl');
  return new Promise((resolve, reject) => {
    const files = new Map();
    yauzl.open(zipPath, { lazyEntries: true }, (error, zipfile) => {
      if (error) return reject(error);
      zipfile.on('entry', (entry) => {
        const name = entry.fileName.split('/').pop();
        if (!PE_FIXTURES.includes(name)) return zipfile.readEntry();
        zipfile.openReadStream(entry, (err, stream) => {
          if (err) return reject(err);
          const chunks = [];
          stream.on('data', (chunk) => chunks.push(chunk));
          stream.on('end', () => {
            files.set(name, Buffer.concat(chunks));
            zipfile.readEntry();
          });
        });
      });
      zipfile.on('end', () => resolve(files));
      zipfile.readEntry();
    });
  });
}

/** Release `index` (0 = the trusted baseline): its own JavaScript, the 1.0.1 or 1.0.2 DLLs. */
async function writeRelease(path, index, dlls) {
  const zip = new yazl.ZipFile();
  const done = new Promise((resolve, reject) => {
    const out = createWriteStream(path);
    out.on('close', resolve);
    out.on('error', reject);
    zip.outputStream.pipe(out);
  });
  const pool = makeLinePool('workers-bench');
  const layout = createRng(`workers-bench:${GENERATOR_VERSION}:layout`);
  for (let i = 0; i < SHAPE.jsFiles; i++) {
    const size = layout.int(SHAPE.jsMinBytes, SHAPE.jsMaxBytes);
    const rng = createRng(`workers-bench:${GENERATOR_VERSION}:release-${index}:js-${i}`);
    zip.addBuffer(textBytes(rng, pool, size), `app/js/m${String(i).padStart(4, '0')}.js`, {
      mtime: new Date(0),
    });
  }
  for (const [name, bytes] of dlls) zip.addBuffer(bytes, `app/${name}`, { mtime: new Date(0) });
  zip.addBuffer(Buffer.from(`{"release":${index}}\n`), 'app/version.json', { mtime: new Date(0) });
  zip.end();
  await done;
}

async function ensureReleases(workDir, repoRoot, log) {
  const folder = join(workDir, 'workers');
  await mkdir(folder, { recursive: true });
  const manifestPath = join(folder, 'manifest.json');
  const manifest = JSON.stringify({ generatorVersion: GENERATOR_VERSION, shape: SHAPE });
  const paths = Array.from({ length: SHAPE.jobs + 1 }, (_, i) => join(folder, `Product-${i}.zip`));
  const previous = await readFile(manifestPath, 'utf8').catch(() => '');
  if (previous !== manifest || !paths.every((path) => existsSync(path))) {
    log('workers bench: generating releases (once)…');
    const fixtures = join(repoRoot, 'test/fixtures/vet/data/releases');
    const clean = await unzipAll(join(fixtures, 'ExampleDesk-1.0.1.zip'));
    const tampered = await unzipAll(join(fixtures, 'ExampleDesk-1.0.2.zip'));
    for (const [index, path] of paths.entries()) {
      await writeRelease(path, index, index % 3 === 2 ? tampered : clean);
    }
    await writeFile(manifestPath, manifest);
  }
  return paths;
}

/** CPU seconds a process has used so far (all its threads), from /proc/<pid>/stat; 100 ticks/s. */
async function cpuSeconds(pid) {
  const stat = await readFile(`/proc/${pid}/stat`, 'utf8').catch(() => '');
  // Fields after the command name (which may hold spaces) start at state: utime, stime are 14, 15.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

/** CPU seconds used so far by every process of this machine named `name` (PostgreSQL's backends). */
async function cpuSecondsOf(name) {
  const { readdir } = await import('node:fs/promises');
  let total = 0;
  for (const pid of await readdir('/proc').catch(() => [])) {
    if (!/^\d+$/.test(pid)) continue;
    const comm = (await readFile(`/proc/${pid}/comm`, 'utf8').catch(() => '')).trim();
    if (comm === name) total += await cpuSeconds(pid);
  }
  return total;
}

/** A worker process, ready when it logs so. */
function startWorker(cli, args) {
  const child = spawn(process.execPath, [cli, 'worker', ...args], { stdio: ['ignore', 'ignore', 'pipe'] });
  let log = '';
  const ready = new Promise((resolve, reject) => {
    child.stderr.setEncoding('utf8');
    child.stderr.on('data', (chunk) => {
      log += chunk;
      if (log.includes('"msg":"worker ready"')) resolve();
    });
    child.once('exit', (code) =>
      reject(new Error(`worker exited (${code}) before it was ready:\n${log.slice(-2000)}`)),
    );
  });
  let exitCode;
  const exited = new Promise((resolve) =>
    child.once('exit', (code, signal) => {
      exitCode = code ?? signal;
      resolve(code);
    }),
  );
  return { child, ready, exited, log: () => log, exitCode: () => exitCode };
}

async function runConfiguration({ workers, releases, dist, cli, url, dataDir, options, log }) {
  const { openStore } = await import(pathToFileURL(join(dist, 'store/open-store.js')).href);
  const { FsBlobStore } = await import(pathToFileURL(join(dist, 'store/fs-blob-store.js')).href);
  const { PgBossQueue } = await import(pathToFileURL(join(dist, 'jobs/pg-boss-queue.js')).href);
  const { enqueueVetRelease } = await import(pathToFileURL(join(dist, 'jobs/release-jobs.js')).href);
  const suffix = `${workers}w_${Date.now().toString(36)}`;
  const storeSchema = `cs_bench_store_${suffix}`;
  const queueSchema = `cs_bench_jobs_${suffix}`;
  const store = await openStore({ url, schema: storeSchema });
  const blobs = new FsBlobStore(dataDir);
  const producer = new PgBossQueue({ connectionString: url, schema: queueSchema, retryDelaySeconds: 1 });
  await producer.start();
  const running = [];
  try {
    const supplier = await store.createSupplier(admin, { name: 'Bench supplier' });
    const product = await store.createProduct(admin, { supplierId: supplier.id, name: 'Product' });
    const ids = [];
    for (const [index, path] of releases.entries()) {
      const release = await store.createRelease(admin, { productId: product.id, version: `1.0.${index}` });
      const digests = await blobs.put(createReadStream(path));
      await store.putArtifact(admin, { ...digests, name: `Product-1.0.${index}.zip` });
      await store.attachArtifact(admin, {
        releaseId: release.id,
        sha256: digests.sha256,
        name: `Product-1.0.${index}.zip`,
      });
      ids.push(release.id);
    }
    const [trusted, ...candidates] = ids;
    await store.setTrustedRelease(admin, product.id, trusted);
    const args = [
      '--database-url',
      url,
      '--data-dir',
      dataDir,
      '--schema',
      storeSchema,
      '--queue-schema',
      queueSchema,
      '--retry-delay-seconds',
      '1',
      // One core's worth per worker process (the default, said aloud): hashing and JavaScript
      // analysis on the job's own thread, as workers are meant to run, one per core.
      '--threads',
      '0',
    ];
    for (let i = 0; i < workers; i++) running.push(startWorker(cli, args));
    await Promise.all(running.map((worker) => worker.ready));
    // Warm-up, not timed: the first candidate analyses the trusted baseline once.
    const warm = await enqueueVetRelease(store, producer, admin, { releaseId: candidates[0] });
    await waitVetted(store, product.id, [candidates[0]], producer, [warm], running);
    const timed = candidates.slice(1);
    // A shared machine: timings taken while neighbours are busy say more about them than about us.
    const idleBefore =
      (options.idleWaitSeconds ?? 60) > 0
        ? await waitForIdle({
            minIdle: options.minIdle ?? 0.9,
            timeoutMs: (options.idleWaitSeconds ?? 60) * 1000,
            log,
          })
        : undefined;
    const cpuBefore = await Promise.all(running.map((worker) => cpuSeconds(worker.child.pid)));
    const postgresBefore = await cpuSecondsOf('postgres');
    const benchBefore = process.cpuUsage();
    const started = performance.now();
    const jobs = [];
    for (const releaseId of timed) jobs.push(await enqueueVetRelease(store, producer, admin, { releaseId }));
    await waitVetted(store, product.id, timed, producer, jobs, running);
    const elapsedMs = performance.now() - started;
    const cpuAfter = await Promise.all(running.map((worker) => cpuSeconds(worker.child.pid)));
    // The rest of the machine: PostgreSQL's backends (ended ones are not counted) and this process.
    const postgresCores = ((await cpuSecondsOf('postgres')) - postgresBefore) / (elapsedMs / 1000);
    const benchUsage = process.cpuUsage(benchBefore);
    const benchCores = (benchUsage.user + benchUsage.system) / 1e6 / (elapsedMs / 1000);
    // Cores the workers kept busy: one worker already above 1 caps what a second can add on 2 cores.
    const workerCores =
      cpuAfter.reduce((total, after, i) => total + after - cpuBefore[i], 0) / (elapsedMs / 1000);
    const verdicts = [];
    for (const releaseId of timed) verdicts.push((await store.getRelease(releaseId)).verdict);
    const vets = await store.countVets();
    log(`  ${workers} worker(s): ${timed.length} releases in ${formatSeconds(elapsedMs)}`);
    return {
      workers,
      releases: timed.length,
      idleBefore,
      workerCores,
      postgresCores,
      benchCores,
      elapsedMs,
      perSecond: timed.length / (elapsedMs / 1000),
      verdicts,
      vets,
    };
  } finally {
    for (const worker of running) worker.child.kill('SIGTERM');
    await Promise.all(running.map((worker) => worker.exited));
    await producer.stop({ graceMs: 0 }).catch(() => undefined);
    await store.close();
    const { default: pg } = await import('pg');
    const client = new pg.Client({ connectionString: url });
    await client.connect();
    await client.query(`DROP SCHEMA IF EXISTS ${storeSchema} CASCADE`);
    await client.query(`DROP SCHEMA IF EXISTS ${queueSchema} CASCADE`);
    await client.end();
  }
}

/**
 * Waits until every listed release is vetted: one query per poll (the product's releases), every
 * 100 ms, so that watching costs PostgreSQL and this process next to nothing (it runs on the same
 * two cores as the workers it measures).
 */
async function waitVetted(store, productId, releaseIds, queue, jobIds, workers) {
  const wanted = new Set(releaseIds);
  for (;;) {
    // A worker that died mid-run would leave this waiting for ever.
    const dead = workers.find((worker) => worker.exitCode() !== undefined);
    if (dead)
      throw new Error(`a worker exited (${dead.exitCode()}) during the run:\n${dead.log().slice(-2000)}`);
    const page = await store.listReleases({ productId, limit: 200 });
    const states = page.items.filter((release) => wanted.has(release.id)).map((release) => release.state);
    if (states.length === wanted.size && states.every((state) => state === 'vetted')) return;
    if (states.includes('failed')) {
      const failed = await Promise.all(jobIds.map((id) => queue.status(id)));
      throw new Error(`a vet failed: ${JSON.stringify(failed.filter((s) => s?.state === 'failed'))}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

export async function run({ options, workDir, repoRoot, log }) {
  const url =
    process.env.COUNTERSIGN_BENCH_PG_URL ??
    process.env.COUNTERSIGN_TEST_PG_URL ??
    'postgres://postgres@127.0.0.1:5432/test';
  const cli = options.cli ?? join(repoRoot, 'dist', 'cli', 'main.js');
  // The library modules the bench drives come from the same build as the CLI.
  const dist = dirname(dirname(cli));
  try {
    const { default: pg } = await import('pg');
    const client = new pg.Client({ connectionString: url });
    await client.connect();
    await client.end();
  } catch (error) {
    const reason = `no PostgreSQL at ${url.replace(/\/\/[^@]*@/, '//')}: ${error.message}`;
    log(`workers bench: SKIP (${reason})`);
    const targets = [
      { label: `2 workers / 1 worker >= ${TARGETS.minRatio}x`, status: 'SKIP', shown: reason },
    ];
    return [
      {
        title,
        result: { skipped: reason },
        rows: [
          ['figure', 'value'],
          ['skipped', reason],
        ],
        targets,
        checks: [],
      },
    ];
  }
  const releases = await ensureReleases(workDir, repoRoot, log);
  const dataDir = join(workDir, 'workers', 'data');
  await rm(dataDir, { recursive: true, force: true });
  log(`\n== workers bench: ${SHAPE.jobs - 1} timed vets per configuration ==`);
  const one = await runConfiguration({ workers: 1, releases, dist, cli, url, dataDir, options, log });
  const two = await runConfiguration({ workers: 2, releases, dist, cli, url, dataDir, options, log });
  await rm(dataDir, { recursive: true, force: true });
  const ratio = two.perSecond / one.perSecond;
  const rows = [
    ['figure', 'value'],
    ['releases per run', `${one.releases} (~${SHAPE.jsFiles} JS files + 2 PEs each, distinct bytes)`],
    ['1 worker', `${formatSeconds(one.elapsedMs)}  (${one.perSecond.toFixed(2)} vets/s)`],
    ['2 workers', `${formatSeconds(two.elapsedMs)}  (${two.perSecond.toFixed(2)} vets/s)`],
    ['ratio 2 / 1', `${ratio.toFixed(2)}x`],
    [
      'CPU cores the workers kept busy (1, 2)',
      `${one.workerCores.toFixed(2)}, ${two.workerCores.toFixed(2)}`,
    ],
    [
      'CPU cores PostgreSQL / this bench process kept busy (1, 2)',
      `${one.postgresCores.toFixed(2)} / ${one.benchCores.toFixed(2)}, ${two.postgresCores.toFixed(2)} / ${two.benchCores.toFixed(2)}`,
    ],
    [
      'idle CPU share before the runs (1, 2)',
      [one.idleBefore, two.idleBefore]
        .map((idle) => (idle === undefined ? '-' : `${(idle * 100).toFixed(0)}%`))
        .join(', '),
    ],
  ];
  const expectedVets = one.releases + 1;
  const checks = [
    {
      label: 'one vet per release, none lost (1 worker, 2 workers)',
      value: `${one.vets}, ${two.vets} of ${expectedVets}`,
      status: one.vets === expectedVets && two.vets === expectedVets ? 'PASS' : 'MISS',
    },
    {
      label: 'the tampered releases are blocked',
      value: [...new Set([...one.verdicts, ...two.verdicts])].join(', '),
      status: two.verdicts.includes('block') && one.verdicts.includes('block') ? 'PASS' : 'MISS',
    },
  ];
  const targets = [
    {
      label: `2 workers / 1 worker >= ${TARGETS.minRatio}x`,
      measured: ratio,
      shown: `${ratio.toFixed(2)}x`,
      status: Number.isFinite(ratio) ? (ratio >= TARGETS.minRatio ? 'PASS' : 'MISS') : 'SKIP',
    },
  ];
  return [{ title, result: { shape: SHAPE, one, two, ratio }, rows, targets, checks }];
}
