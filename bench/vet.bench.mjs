// `countersign vet` of release N+1 against N, with N seen before (the cache warm), against a plain
// `countersign scan` of N+1 alone: issue 5 asks for at most 1.3x.
//
// The two releases (~150 MB each, zips built here with yazl from seeded bytes) share most files:
// N+1 changes 3% of its JavaScript, one PE and a version file, as a real update does. Each timed
// vet starts from a copy of the cache that a scan of N left (the state after N was vetted), so the
// candidate is never served from an earlier run's cache.

import { createWriteStream, existsSync } from 'node:fs';
import { cp, mkdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import yazl from 'yazl';
import { measure } from './lib/measure.mjs';
import { createRng, keystream } from './lib/prng.mjs';
import { formatMB, formatSeconds, MB, median, verdict } from './lib/stats.mjs';
import { makeLinePool, textBytes } from './lib/text.mjs';

export const id = 'vet';
export const title = '`countersign vet` N+1 vs N (N seen before) against `countersign scan` of N+1 alone';
export const TARGETS = { maxRatio: 1.3 };

const GENERATOR_VERSION = 1;
const SHAPE = {
  jsFiles: 4000,
  jsMinBytes: 2048,
  jsMaxBytes: 40 * 1024,
  blobs: 8,
  blobBytes: 9 * 1024 * 1024,
  changedShare: 0.03,
};

/** The fixture PEs (signed, with imports and a certificate table) give the PE analyzers real work. */
const PE_FIXTURES = ['ffmpeg.dll', 'd3dcompiler_47.dll'];

async function writeRelease(path, version, repoRoot) {
  const zip = new yazl.ZipFile();
  const done = new Promise((resolve, reject) => {
    const out = createWriteStream(path);
    out.on('close', resolve);
    out.on('error', reject);
    zip.outputStream.pipe(out);
  });
  const rng = createRng(`vet-bench:${GENERATOR_VERSION}:layout`);
  const pool = makeLinePool('vet-bench');
  const changed = createRng(`vet-bench:${GENERATOR_VERSION}:changed`);
  for (let i = 0; i < SHAPE.jsFiles; i++) {
    const size = rng.int(SHAPE.jsMinBytes, SHAPE.jsMaxBytes);
    const isChanged = version === 2 && changed.float() < SHAPE.changedShare;
    const fileRng = createRng(`vet-bench:js:${i}:${isChanged ? 'v2' : 'v1'}`);
    zip.addBuffer(textBytes(fileRng, pool, size), `app/resources/js/m${String(i).padStart(5, '0')}.js`, {
      mtime: new Date(0),
    });
  }
  const random = keystream(`vet-bench:${GENERATOR_VERSION}:blobs`);
  for (let i = 0; i < SHAPE.blobs; i++) {
    zip.addBuffer(random.next(SHAPE.blobBytes), `app/assets/blob-${i}.bin`, {
      mtime: new Date(0),
      compress: false,
    });
  }
  const releases = join(repoRoot, 'test/fixtures/vet/data/releases');
  for (const name of PE_FIXTURES) {
    // N ships 1.0.1's DLLs, N+1 1.0.2's: a rebuilt ffmpeg.dll and a padded certificate table.
    const tree = await unzipOne(
      join(releases, version === 1 ? 'ExampleDesk-1.0.1.zip' : 'ExampleDesk-1.0.2.zip'),
      `ExampleDesk/${name}`,
    );
    zip.addBuffer(tree, `app/${name}`, { mtime: new Date(0) });
  }
  zip.addBuffer(Buffer.from(`{"version":"1.0.${version}"}\n`), 'app/version.json', { mtime: new Date(0) });
  zip.end();
  await done;
}

/** One member of a small fixture zip (yauzl ships with Countersign). */
async function unzipOne(zipPath, member) {
  const { default: yauzl } = await import('yauzl');
  return new Promise((resolve, reject) => {
    yauzl.open(zipPath, { lazyEntries: true }, (error, zipfile) => {
      if (error) return reject(error);
      zipfile.on('entry', (entry) => {
        if (entry.fileName !== member) return zipfile.readEntry();
        zipfile.openReadStream(entry, (err, stream) => {
          if (err) return reject(err);
          const chunks = [];
          stream.on('data', (chunk) => chunks.push(chunk));
          stream.on('end', () => {
            zipfile.close();
            resolve(Buffer.concat(chunks));
          });
        });
      });
      zipfile.on('end', () => reject(new Error(`${member} not in ${zipPath}`)));
      zipfile.readEntry();
    });
  });
}

async function ensureReleases(workDir, repoRoot, log) {
  const folder = join(workDir, 'vet');
  await mkdir(folder, { recursive: true });
  const manifestPath = join(folder, 'manifest.json');
  const manifest = { generatorVersion: GENERATOR_VERSION, shape: SHAPE };
  const old = join(folder, 'Product-1.0.1.zip');
  const now = join(folder, 'Product-1.0.2.zip');
  const previous = await readFile(manifestPath, 'utf8').catch(() => '');
  if (previous !== JSON.stringify(manifest) || !existsSync(old) || !existsSync(now)) {
    log('vet bench: generating two releases (once)…');
    await writeRelease(old, 1, repoRoot);
    await writeRelease(now, 2, repoRoot);
    await writeFile(manifestPath, JSON.stringify(manifest));
  }
  return { folder, old, now, oldBytes: (await stat(old)).size, nowBytes: (await stat(now)).size };
}

export async function run({ options, workDir, repoRoot, log }) {
  const cli = options.cli ?? join(repoRoot, 'dist', 'cli', 'main.js');
  const releases = await ensureReleases(workDir, repoRoot, log);
  log(`\n== vet bench: ${formatMB(releases.oldBytes)} -> ${formatMB(releases.nowBytes)} ==`);
  const warmCache = join(releases.folder, 'cache-after-N');
  await rm(warmCache, { recursive: true, force: true });
  // The state after N was vetted: its tree and its contents' analyses are in the cache.
  const seed = await measure(process.execPath, [
    cli,
    'scan',
    releases.old,
    '--cache-dir',
    warmCache,
    '--json',
    '-q',
    '-o',
    '/dev/null',
  ]);
  if (seed.exitCode !== 0) throw new Error(`scan of N failed: ${seed.stderrTail}`);

  const scans = [];
  const vets = [];
  const verdicts = [];
  for (let i = 0; i < options.runs; i++) {
    const scan = await measure(process.execPath, [
      cli,
      'scan',
      releases.now,
      '--json',
      '-q',
      '-o',
      '/dev/null',
    ]);
    if (scan.exitCode !== 0) throw new Error(`scan of N+1 failed: ${scan.stderrTail}`);
    log(`  scan N+1 run ${i + 1}: ${formatSeconds(scan.wallMs)}`);
    scans.push(scan);
    const cache = join(releases.folder, `cache-run-${i}`);
    await rm(cache, { recursive: true, force: true });
    await cp(warmCache, cache, { recursive: true });
    const report = join(releases.folder, `vet-${i}.json`);
    const vet = await measure(process.execPath, [
      cli,
      'vet',
      releases.now,
      '--baseline',
      releases.old,
      '--cache-dir',
      cache,
      '--json',
      '-q',
      '-o',
      report,
    ]);
    if (vet.exitCode !== 0) throw new Error(`vet failed: ${vet.stderrTail}`);
    log(`  vet  N+1 run ${i + 1}: ${formatSeconds(vet.wallMs)}`);
    vets.push(vet);
    verdicts.push(JSON.parse(await readFile(report, 'utf8')).verdict?.decision);
    await rm(cache, { recursive: true, force: true });
  }
  const scanMs = median(scans.map((r) => r.wallMs));
  const vetMs = median(vets.map((r) => r.wallMs));
  const ratio = vetMs / scanMs;
  const result = {
    releases,
    scan: { runsMs: scans.map((r) => r.wallMs), medianMs: scanMs },
    vet: { runsMs: vets.map((r) => r.wallMs), medianMs: vetMs, verdicts },
    ratio,
  };
  const rows = [
    ['figure', 'value'],
    [
      'releases',
      `${formatMB(releases.oldBytes)} and ${formatMB(releases.nowBytes)} (${SHAPE.jsFiles} JS files, ${SHAPE.blobs} blobs, 2 signed PEs)`,
    ],
    [
      'scan N+1 alone, no cache (median)',
      `${formatSeconds(scanMs)}  (${(releases.nowBytes / MB / (scanMs / 1000)).toFixed(0)} MB/s)`,
    ],
    ['vet N+1 vs N, N cached (median)', formatSeconds(vetMs)],
    ['ratio vet / scan', ratio.toFixed(2)],
    ['verdicts', verdicts.join(', ')],
  ];
  const targets = [
    {
      label: `ratio vet (N cached) / scan <= ${TARGETS.maxRatio}`,
      measured: ratio,
      shown: ratio.toFixed(2),
      status: verdict(ratio, TARGETS.maxRatio, '<='),
    },
  ];
  const checks = [
    {
      label: 'the rebuilt DLL is caught (verdict)',
      value: verdicts.join(', '),
      status: verdicts.every((v) => v === 'block') ? 'PASS' : 'MISS',
    },
  ];
  return [{ title, result, rows, targets, checks }];
}
