// `countersign hunt` against the reference tools, over a generated ~2 GiB / ~50k-file tree
// (bench/lib/hunt-tree.mjs, cached under <work>/hunt/):
//
// 1. hash IOCs (md5, sha1 and sha256 lists) vs `openssl dgst -sha256` over the same files, the
//    hashing floor of this machine (target: hunt <= 2x openssl);
// 2. the same lists plus the signature-base YARA rules (figure only);
// 3. the YARA rules alone vs Debian's `yara -r` with the same rules (target: yara time / hunt time
//    >= 1.0). The LOKI/THOR external variables the rules read are defined empty for `yara`, as
//    Countersign defines them per file. `yara` runs with one thread per CPU (`-p`), as hunt does:
//    its default is 32 threads, which on an idle machine is no faster than one per core, but on a
//    shared, loaded one takes a larger share of the CPUs from the neighbours than hunt's workers
//    do, so the comparison would measure the scheduler rather than the scanners.
// Runs are interleaved (reference, hunt, reference, hunt...) so that the machine's load weighs on
// both sides alike; one warm-up of each is discarded. Every run's report is checked: every planted
// indicator found, nothing else.

import { existsSync } from 'node:fs';
import { mkdir, open, readFile, rm, writeFile } from 'node:fs/promises';
import { cpus, loadavg } from 'node:os';
import { join } from 'node:path';
import { ensureHuntTree } from './lib/hunt-tree.mjs';
import { measure } from './lib/measure.mjs';
import { formatMB, formatSeconds, MB, median, verdict } from './lib/stats.mjs';
import { GiB, hasCommand, waitForIdle } from './lib/sys.mjs';

export const id = 'hunt';
export const title = '`countersign hunt` vs `openssl dgst -sha256` (hash IOCs) and `yara -r` (YARA)';

export const TARGETS = { maxHashRatio: 2.0, minYaraSpeedup: 1.0 };

const XARGS_BATCH = 256;
const YARA_EXTERNALS = ['filename', 'filepath', 'extension', 'filetype', 'md5', 'owner'];
const SIGNATURE_BASE_YARA =
  process.env.COUNTERSIGN_SIGNATURE_BASE_YARA ?? '/work/shared/data/3cx-intel/signature-base/yara';
/** What the signature-base rules must find in the planted samples (see src/intel/yara/yara.test.ts). */
const EXPECTED_YARA = {
  'planted/gopuram-marker.exe': ['MAL_Gopuram_Apr23'],
  'planted/rc4-key.dll': ['APT_SUSP_NK_3CX_RC4_Key_Mar23_1'],
  'planted/rc4-key.msi': ['APT_SUSP_NK_3CX_RC4_Key_Mar23_1'],
  // Needs the `extension` external per file: Countersign sets it, the yara CLI cannot.
  'planted/planted.TxR.0.regtrans-ms': ['SUSP_APT_3CX_Regtrans_Anomaly_Apr23'],
};

async function toFile(path, body) {
  const handle = await open(path, 'w');
  try {
    return await body(handle.fd);
  } finally {
    await handle.close();
  }
}

const loadAverage = () => Number(loadavg()[0].toFixed(2));

function logRun(log, label, result) {
  const cpu = result.cpuMs === undefined ? '' : `, cpu ${formatSeconds(result.cpuMs)}`;
  log(`  ${label}: ${formatSeconds(result.wallMs)}${cpu}`);
}

/** `type relative-path` of every hit of a hunt JSON report, sorted. */
async function huntHits(reportPath, tree) {
  try {
    const report = JSON.parse(await readFile(reportPath, 'utf8'));
    return {
      files: report.stats.files,
      gaps: report.gaps.length,
      hits: report.hits
        .map(
          (hit) =>
            `${hit.indicator.type === 'yara' ? hit.indicator.value : hit.indicator.type} ${hit.where.file.slice(tree.length + 1)}`,
        )
        .sort(),
    };
  } catch (error) {
    return { problem: `cannot read ${reportPath}: ${error.message}` };
  }
}

function expectedHits(manifest, { hashes, yara }) {
  const out = [];
  if (hashes) {
    for (const [algorithm, plants] of Object.entries(manifest.planted.hashes)) {
      for (const plant of plants) out.push(`${algorithm} ${plant.path}`);
    }
  }
  if (yara) {
    for (const [path, rules] of Object.entries(EXPECTED_YARA))
      for (const rule of rules) out.push(`${rule} ${path}`);
  }
  return out.sort();
}

/** Rule names per file from `yara` output lines `RULE /path`. */
async function yaraCliHits(outPath, tree) {
  const text = await readFile(outPath, 'utf8');
  return text
    .split('\n')
    .filter(Boolean)
    .map((line) => {
      const space = line.indexOf(' ');
      return `${line.slice(0, space)} ${line.slice(space + 1).slice(tree.length + 1)}`;
    })
    .sort();
}

export async function run(ctx) {
  const { options, workDir, repoRoot, log } = ctx;
  log('\n== hunt bench ==');
  const manifest = await ensureHuntTree(workDir, {
    samplesDir: join(repoRoot, 'test/fixtures/hunt/yara-samples'),
    log,
  });
  const { tree } = manifest;
  const scratch = join(workDir, 'hunt-runs');
  await mkdir(scratch, { recursive: true });
  const listPath = join(scratch, 'files.list');
  const { readdir } = await import('node:fs/promises');
  const files = (await readdir(tree, { recursive: true, withFileTypes: true }))
    .filter((entry) => entry.isFile())
    .map((entry) => join(entry.parentPath ?? entry.path, entry.name))
    .sort();
  await writeFile(listPath, `${files.join('\0')}\0`);
  log(`tree: ${files.length} files, ${(manifest.bytes / GiB).toFixed(2)} GiB under ${tree}`);

  const cli = options.cli ?? join(repoRoot, 'dist', 'cli', 'main.js');
  const hasCli = existsSync(cli);
  const hasYara = hasCommand('yara') && existsSync(SIGNATURE_BASE_YARA);
  const iocArgs = ['--ioc', manifest.iocs.md5, '--ioc', manifest.iocs.sha1, '--ioc', manifest.iocs.sha256];
  const yaraRuleFiles = hasYara
    ? (await readdir(SIGNATURE_BASE_YARA))
        .filter((name) => /\.yara?$/i.test(name))
        .sort()
        .map((name) => join(SIGNATURE_BASE_YARA, name))
    : [];
  const huntArgs = (extra, report) => [
    cli,
    'hunt',
    tree,
    '--no-store',
    '--json',
    '-q',
    '-o',
    report,
    ...extra,
  ];
  const commands = {
    openssl: () =>
      toFile(join(scratch, 'openssl.txt'), (fd) =>
        measure('xargs', ['-0', '-n', String(XARGS_BATCH), '-a', listPath, 'openssl', 'dgst', '-sha256'], {
          stdoutFd: fd,
        }),
      ),
    huntHashes: (i) =>
      measure(process.execPath, huntArgs(iocArgs, join(scratch, `hashes-${i}.json`)), { cwd: repoRoot }),
    huntHashesYara: (i) =>
      measure(
        process.execPath,
        huntArgs([...iocArgs, '--yara', SIGNATURE_BASE_YARA], join(scratch, `hashes-yara-${i}.json`)),
        { cwd: repoRoot },
      ),
    huntYara: (i) =>
      measure(process.execPath, huntArgs(['--yara', SIGNATURE_BASE_YARA], join(scratch, `yara-${i}.json`)), {
        cwd: repoRoot,
      }),
    yaraCli: () =>
      toFile(join(scratch, 'yara-cli.txt'), (fd) =>
        measure(
          'yara',
          [
            '-r',
            '-p',
            String(cpus().length),
            ...YARA_EXTERNALS.flatMap((name) => ['-d', `${name}=`]),
            ...yaraRuleFiles,
            tree,
          ],
          { stdoutFd: fd },
        ),
      ),
  };

  const loadBefore = loadAverage();
  if (loadBefore > cpus().length * 0.5)
    log(`  note: load average ${loadBefore} on ${cpus().length} CPUs: timings will be noisy`);
  let waitMs = options.idleWaitSeconds * 1000;
  const idleBeforeRuns = [];
  const settle = async () => {
    if (options.idleWaitSeconds <= 0) return;
    const idle = await waitForIdle({ minIdle: options.minIdle, timeoutMs: waitMs, log });
    if (idle < options.minIdle) waitMs = 0;
    idleBeforeRuns.push(Number(idle.toFixed(2)));
  };
  const runs = { openssl: [], huntHashes: [], huntHashesYara: [], huntYara: [], yaraCli: [] };
  const reports = { huntHashes: [], huntHashesYara: [], huntYara: [] };
  const order = [
    'openssl',
    ...(hasCli ? ['huntHashes'] : []),
    ...(hasYara ? ['yaraCli'] : []),
    ...(hasCli && hasYara ? ['huntYara', 'huntHashesYara'] : []),
  ];
  if (!hasCli) log(`hunt: SKIPPED: CLI not found at ${cli}`);
  if (!hasYara)
    log(
      `yara: SKIPPED: no \`yara\` command (Debian: apt-get install yara) or no rules at ${SIGNATURE_BASE_YARA}`,
    );
  // Warm-up: the page cache holds the tree for every timed run; its times are discarded.
  for (const name of order) {
    const warm = await commands[name](0);
    logRun(log, `${name} warm-up (discarded)`, warm);
  }
  for (let i = 1; i <= options.runs; i++) {
    for (const name of order) {
      await settle();
      const result = await commands[name](i);
      logRun(log, `${name} run ${i}/${options.runs}`, result);
      runs[name].push(result);
      if (name in reports)
        reports[name].push({
          exitCode: result.exitCode,
          ...(await huntHits(
            join(
              scratch,
              `${{ huntHashes: 'hashes', huntHashesYara: 'hashes-yara', huntYara: 'yara' }[name]}-${i}.json`,
            ),
            tree,
          )),
        });
    }
  }
  const medianOf = (name) => (runs[name].length > 0 ? median(runs[name].map((r) => r.wallMs)) : undefined);
  const cpuOf = (name) =>
    runs[name].length > 0 ? median(runs[name].map((r) => r.cpuMs ?? Number.NaN)) : undefined;
  const opensslMs = medianOf('openssl');
  const result = {
    tree: { path: tree, files: files.length, bytes: manifest.bytes, generatorVersion: manifest.version },
    loadAverage: { before: loadBefore, after: loadAverage() },
    idleBeforeRuns,
    runsMs: Object.fromEntries(Object.entries(runs).map(([name, list]) => [name, list.map((r) => r.wallMs)])),
    cpuMs: Object.fromEntries(Object.entries(runs).map(([name, list]) => [name, list.map((r) => r.cpuMs)])),
    medianMs: Object.fromEntries(Object.keys(runs).map((name) => [name, medianOf(name)])),
    hashRatio: hasCli ? medianOf('huntHashes') / opensslMs : undefined,
    hashCpuRatio: hasCli ? cpuOf('huntHashes') / cpuOf('openssl') : undefined,
    yaraSpeedup: hasCli && hasYara ? medianOf('yaraCli') / medianOf('huntYara') : undefined,
    yaraCpuSpeedup: hasCli && hasYara ? cpuOf('yaraCli') / cpuOf('huntYara') : undefined,
    reports,
    yaraCliHits: hasYara ? await yaraCliHits(join(scratch, 'yara-cli.txt'), tree) : undefined,
  };
  await rm(listPath, { force: true });
  return [{ title, result, ...summarise(result, manifest) }];
}

function summarise(result, manifest) {
  const seconds = (name) =>
    result.medianMs[name] === undefined ? 'SKIPPED' : formatSeconds(result.medianMs[name]);
  const rows = [
    ['figure', 'value'],
    ['tree', `${result.tree.files} files, ${formatMB(result.tree.bytes)}`],
    [
      'openssl dgst -sha256 (median)',
      `${seconds('openssl')}  (${(result.tree.bytes / MB / (result.medianMs.openssl / 1000)).toFixed(0)} MB/s)`,
    ],
    ['hunt, md5 + sha1 + sha256 lists (median)', seconds('huntHashes')],
    ['hunt, the lists + signature-base YARA (median)', seconds('huntHashesYara')],
    ['hunt, YARA alone (median)', seconds('huntYara')],
    ['yara -r, same rules (median)', seconds('yaraCli')],
    ['ratio hunt (hashes) / openssl, wall', result.hashRatio?.toFixed(2) ?? '-'],
    ['ratio hunt (hashes) / openssl, CPU time (context)', result.hashCpuRatio?.toFixed(2) ?? '-'],
    ['speed-up yara -r / hunt (YARA), wall', result.yaraSpeedup?.toFixed(2) ?? '-'],
    ['speed-up yara -r / hunt (YARA), CPU time (context)', result.yaraCpuSpeedup?.toFixed(2) ?? '-'],
    ['load average before / after', `${result.loadAverage.before} / ${result.loadAverage.after}`],
    [
      'idle CPU before each run',
      result.idleBeforeRuns.map((x) => `${Math.round(x * 100)}%`).join(', ') || '-',
    ],
  ];
  const checks = [];
  const check = (name, expected) => {
    const list = result.reports[name];
    if (list.length === 0) return;
    const isExact = list.every((r) => !r.problem && JSON.stringify(r.hits) === JSON.stringify(expected));
    checks.push({
      label: `${name}: every planted indicator found, nothing else`,
      value: list
        .map((r) =>
          r.problem
            ? r.problem
            : `${r.hits.length}/${expected.length} hits, ${r.gaps} gaps, exit ${r.exitCode}`,
        )
        .join('; '),
      status: isExact ? 'PASS' : 'MISS',
    });
  };
  check('huntHashes', expectedHits(manifest, { hashes: true }));
  check('huntHashesYara', expectedHits(manifest, { hashes: true, yara: true }));
  check('huntYara', expectedHits(manifest, { yara: true }));
  if (result.yaraCliHits) {
    checks.push({ label: 'yara -r hits (context)', value: result.yaraCliHits.join(', '), status: 'INFO' });
  }
  const targets = [
    {
      label: `hunt with hash IOCs / openssl dgst -sha256 <= ${TARGETS.maxHashRatio}`,
      measured: result.hashRatio,
      shown: result.hashRatio?.toFixed(2),
      status: verdict(result.hashRatio, TARGETS.maxHashRatio, '<='),
    },
    {
      label: `yara -r / hunt with YARA >= ${TARGETS.minYaraSpeedup}`,
      measured: result.yaraSpeedup,
      shown: result.yaraSpeedup?.toFixed(2),
      status:
        result.yaraSpeedup === undefined
          ? 'SKIP'
          : result.yaraSpeedup >= TARGETS.minYaraSpeedup
            ? 'PASS'
            : 'MISS',
    },
  ];
  return { rows, targets, checks };
}
