// `countersign scan` against the hashing floor of this machine.
//
// For each variant (1 GiB by default, 2 GiB with --big): generate the artifact (cached), extract
// it with unzip/tar, time `openssl dgst -sha256` over the artifact and every extracted file
// (one discarded warm-up run, then the median of N), time the scan the same way, and report
// ratio = scan / openssl, throughput, peak RSS, and whether the scan reported everything.

import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, open, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { cpus, loadavg } from 'node:os';
import { dirname, join } from 'node:path';
import { ensureExtracted, removeExtracted } from './lib/extract.mjs';
import { ensureArtifact } from './lib/generate.mjs';
import { measure } from './lib/measure.mjs';
import { analyseReport, parseOpensslDigests } from './lib/scan-report.mjs';
import { formatMB, formatSeconds, MB, median, verdict } from './lib/stats.mjs';
import { GiB, waitForIdle } from './lib/sys.mjs';

export const id = 'scan';
export const title = '`countersign scan` vs `openssl dgst -sha256` over the same bytes';

/** Targets from issue 2: scan time within 2x of the hashing floor, peak RSS under 300 MB. */
export const TARGETS = { maxRatio: 2.0, maxPeakRssBytes: 300 * MB };

/** Files per `openssl` invocation: few enough for any argv limit, many enough that start-up is noise. */
const XARGS_BATCH = 256;

async function withStdoutFile(path, body) {
  const handle = await open(path, 'w');
  try {
    return await body(handle.fd);
  } finally {
    await handle.close();
  }
}

function peakBytes(result) {
  return Math.max(result.peakRssKb ?? 0, result.treePeakRssKb ?? 0) * 1024;
}

/** Hashes every listed file with `tool` (xargs batches), stdout to `outPath`. */
function hashAll(tool, listPath, outPath) {
  const args = ['-0', '-n', String(XARGS_BATCH), '-a', listPath, ...tool];
  return withStdoutFile(outPath, (fd) => measure('xargs', args, { stdoutFd: fd }));
}

function logRun(log, label, result) {
  const cpu = result.cpuMs === undefined ? '' : `, cpu ${formatSeconds(result.cpuMs)}`;
  log(`  ${label}: ${formatSeconds(result.wallMs)}${cpu}, peak ${formatMB(peakBytes(result))}`);
}

/**
 * A fingerprint of the CLI's build (path, size and mtime of every file under its dist/ folder):
 * others may rebuild dist/ while the bench runs, and runs of different builds must not be mixed.
 */
async function buildFingerprint(cli) {
  const root = dirname(dirname(cli));
  const hash = createHash('sha256');
  const entries = await readdir(root, { recursive: true, withFileTypes: true }).catch(() => []);
  const lines = [];
  for (const entry of entries) {
    if (!entry.isFile()) continue;
    const full = join(entry.parentPath ?? entry.path, entry.name);
    const info = await stat(full).catch(() => undefined);
    if (info) lines.push(`${full} ${info.size} ${info.mtimeMs}`);
  }
  for (const line of lines.sort()) hash.update(`${line}\n`);
  return hash.digest('hex').slice(0, 16);
}

function loadAverage() {
  return Number(loadavg()[0].toFixed(2));
}

async function readScanReport(path, manifest, referenceDigests) {
  try {
    return analyseReport(JSON.parse(await readFile(path, 'utf8')), {
      expected: manifest.expected,
      referenceDigests,
    });
  } catch (error) {
    return { isReadable: false, problem: `cannot read ${path}: ${error.message}` };
  }
}

async function benchVariant(ctx, variant) {
  const { options, workDir, repoRoot, log } = ctx;
  log(`\n== scan bench, variant ${variant} ==`);
  const manifest = await ensureArtifact(workDir, variant, log);
  const extracted = await ensureExtracted(workDir, manifest, log);
  const listPath = join(workDir, 'reference-files.list');
  await writeFile(listPath, `${extracted.files.join('\0')}\0`);
  log(
    `reference: ${extracted.files.length} files, ${formatMB(extracted.bytes)} ` +
      `(the artifact, its members, and everything inside them)`,
  );

  const opensslOut = join(workDir, 'reference-openssl.txt');
  const hashWithOpenssl = () => hashAll(['openssl', 'dgst', '-sha256'], listPath, opensslOut);
  const loadBefore = loadAverage();
  if (loadBefore > cpus().length * 0.5) {
    log(
      `  note: load average ${loadBefore} on ${cpus().length} CPUs: other work competes, timings will be noisy`,
    );
  }
  // Warms the page cache (the artifact and every extracted file); its time is discarded.
  const warm = await hashWithOpenssl();
  if (warm.exitCode !== 0) throw new Error(`openssl reference failed: ${warm.stderrTail}`);
  logRun(log, 'openssl warm-up (discarded)', warm);
  const referenceDigests = parseOpensslDigests(await readFile(opensslOut, 'utf8'));
  if (referenceDigests.length !== extracted.files.length) {
    throw new Error(`openssl printed ${referenceDigests.length} digests for ${extracted.files.length} files`);
  }

  const cli = options.cli ?? join(repoRoot, 'dist', 'cli', 'main.js');
  const hasCli = existsSync(cli);
  const reportDir = join(workDir, 'reports');
  await mkdir(reportDir, { recursive: true });
  const reportPath = (i) => join(reportDir, `scan-${variant}-${i + 1}.json`);
  const scanArgs = (i) => [
    cli,
    'scan',
    manifest.artifact,
    '--json',
    '--quiet',
    '-o',
    reportPath(i),
    // Issue 2's target is about the tree (types, digests, entropy); the content analyzers later
    // issues added (JavaScript parsing above all) have benches of their own. --scan-full keeps them.
    ...(options.scanFull ? [] : ['--inventory-only']),
    ...options.scanArgs,
  ];
  if (hasCli) log(`scan: node ${scanArgs(0).join(' ')}`);
  else log(`scan: SKIPPED: CLI not found at ${cli}`);

  // Interleaved (openssl, scan, openssl, scan, ...) so that a change in the machine's load during
  // the bench weighs on both sides of the ratio alike.
  const openssl = [];
  const scans = [];
  const idleBeforeRuns = [];
  // Once a wait has timed out the machine is busy for good: later runs only record the idle share.
  let waitMs = options.idleWaitSeconds * 1000;
  const settle = async () => {
    if (options.idleWaitSeconds <= 0) return;
    const idle = await waitForIdle({ minIdle: options.minIdle, timeoutMs: waitMs, log });
    if (idle < options.minIdle) waitMs = 0;
    idleBeforeRuns.push(Number(idle.toFixed(2)));
  };
  for (let i = 0; i < options.runs; i++) {
    await settle();
    const reference = await hashWithOpenssl();
    if (reference.exitCode !== 0) throw new Error(`openssl reference failed: ${reference.stderrTail}`);
    logRun(log, `openssl run ${i + 1}/${options.runs}`, reference);
    openssl.push(reference);
    if (!hasCli) continue;
    await rm(reportPath(i), { force: true });
    await settle();
    const buildBefore = await buildFingerprint(cli);
    const scan = await measure(process.execPath, scanArgs(i), { cwd: repoRoot });
    scan.build = buildBefore === (await buildFingerprint(cli)) ? buildBefore : 'changed during the run';
    logRun(log, `scan    run ${i + 1}/${options.runs}`, scan);
    scans.push(scan);
  }
  // Context: the same scan with every digest, as one would ask for when an IOC list needs them.
  let allDigests;
  if (hasCli && options.allDigestsRun && !options.scanArgs.includes('--digests')) {
    await settle();
    allDigests = await measure(process.execPath, [...scanArgs(options.runs), '--digests', 'all'], {
      cwd: repoRoot,
    });
    logRun(log, 'scan --digests all (context, 1 run)', allDigests);
  }
  let sha256sum;
  if (options.sha256sum) {
    sha256sum = await hashAll(['sha256sum'], listPath, join(workDir, 'reference-sha256sum.txt'));
    logRun(log, 'sha256sum (context, 1 run)', sha256sum);
  }
  const loadAfter = loadAverage();
  const opensslMs = median(openssl.map((r) => r.wallMs));

  const result = {
    variant,
    loadAverage: { before: loadBefore, after: loadAfter },
    // The idle share of the CPUs just before each timed run (openssl, scan, openssl, ...).
    idleBeforeRuns,
    artifact: {
      path: manifest.artifact,
      bytes: manifest.artifactBytes,
      sha256: manifest.artifactSha256,
      generatorVersion: manifest.generatorVersion,
      members: manifest.members,
      expected: manifest.expected,
    },
    reference: {
      files: extracted.files.length,
      bytes: extracted.bytes,
      openssl: {
        runsMs: openssl.map((r) => r.wallMs),
        cpuMs: openssl.map((r) => r.cpuMs),
        medianMs: opensslMs,
        xargsBatch: XARGS_BATCH,
      },
      sha256sum: sha256sum && { runsMs: [sha256sum.wallMs], cpuMs: [sha256sum.cpuMs] },
    },
  };

  if (!hasCli) {
    result.scan = { skipped: `CLI not found at ${cli} (run \`npm run build\`, or pass --cli <path>)` };
  } else {
    const scanMs = median(scans.map((r) => r.wallMs));
    const reports = [];
    for (let i = 0; i < scans.length; i++) {
      const analysis = await readScanReport(reportPath(i), manifest, referenceDigests);
      reports.push({ exitCode: scans[i].exitCode, signal: scans[i].signal, ...analysis });
    }
    const failedAt = reports.findIndex((r) => r.signal || !r.isReadable);
    const failed = scans[failedAt];
    result.scan = {
      command: ['node', ...scanArgs(0)],
      runsMs: scans.map((r) => r.wallMs),
      cpuMs: scans.map((r) => r.cpuMs),
      medianMs: scanMs,
      exitCodes: scans.map((r) => r.exitCode),
      builds: scans.map((r) => r.build),
      peakRssBytes: Math.max(...scans.map(peakBytes)),
      peakRssKbPerRun: scans.map((r) => ({ maxProcess: r.peakRssKb, treeSampled: r.treePeakRssKb })),
      ratio: scanMs / opensslMs,
      allDigests: allDigests && {
        ms: allDigests.wallMs,
        cpuMs: allDigests.cpuMs,
        ratio: allDigests.wallMs / opensslMs,
        peakRssBytes: peakBytes(allDigests),
        exitCode: allDigests.exitCode,
      },
      cpuRatio: median(scans.map((r) => r.cpuMs)) / median(openssl.map((r) => r.cpuMs)),
      mbPerSecond: extracted.bytes / MB / (scanMs / 1000),
      report: reports[reports.length - 1],
      reportsAgree: reports.every((r) => JSON.stringify(r) === JSON.stringify(reports[0])),
      failed: failed
        ? `scan run ${failedAt + 1} failed (${failed.signal ?? `exit ${failed.exitCode}`}): ` +
          `${reports[failedAt].problem ?? ''} ${failed.stderrTail.trim()}`
        : undefined,
    };
  }
  await rm(listPath, { force: true });
  if (options.clean) {
    await removeExtracted(workDir);
    log('reference: removed the extracted files (--clean)');
  }
  return result;
}

/** Every file node carries sha256, entropy, and each digest the report declares it computed. */
function isComplete(cov) {
  return (
    [...new Set(['sha256', ...cov.declared])].every((name) => cov[name] === cov.files) &&
    cov.entropy === cov.files
  );
}

function checksOf(result) {
  const report = result.scan?.report;
  if (!report?.isReadable) return [];
  const cov = report.digestCoverage;
  return [
    {
      label: 'files below the input (scan / generator)',
      value: `${report.filesBelowInput} / ${report.expectedFilesBelowInput}`,
      status: report.filesBelowInput === report.expectedFilesBelowInput ? 'PASS' : 'MISS',
    },
    {
      // An archive's directory entries are not nodes of the tree (their files carry the paths),
      // so the scan's count is 0 by design; the generator's count is context.
      label: "directories (scan / generator; an archive's directories are not nodes)",
      value: `${report.directories} / ${report.expectedDirectories}`,
      status: 'INFO',
    },
    {
      label: 'reference sha256 found in the scan',
      value: `${report.referenceDigests - report.missingDigests} / ${report.referenceDigests}`,
      status: report.missingDigests === 0 ? 'PASS' : 'MISS',
    },
    {
      label: `file nodes with ${cov.declared.join(' / ')} / entropy (the digests the scan declares)`,
      value: `${cov.declared.map((name) => cov[name]).join(' / ')} / ${cov.entropy} of ${cov.files}`,
      status: isComplete(cov) ? 'PASS' : 'MISS',
    },
    {
      label: 'coverage gaps',
      value: `${report.gaps}${report.gaps ? ` ${JSON.stringify(report.gapsByCode)}` : ''}`,
      status: report.gaps === 0 ? 'PASS' : 'MISS',
    },
    {
      label: 'same CLI build for every run',
      value: [...new Set(result.scan.builds)].join(', '),
      status:
        new Set(result.scan.builds).size === 1 && !result.scan.builds.includes('changed during the run')
          ? 'PASS'
          : 'MISS',
    },
    {
      label: 'exit codes of the runs',
      value: result.scan.exitCodes.join(', '),
      status: result.scan.exitCodes.every((c) => c === 0) ? 'PASS' : 'MISS',
    },
  ];
}

/** Rows for the summary table, and the targets with their verdicts. */
export function summarise(result) {
  const { reference, scan } = result;
  const rows = [
    ['figure', 'value'],
    [
      'artifact',
      `${(result.artifact.bytes / GiB).toFixed(2)} GiB, sha256 ${result.artifact.sha256.slice(0, 16)}…`,
    ],
    ['bytes hashed by the reference', `${formatMB(reference.bytes)} in ${reference.files} files`],
    [
      'openssl dgst -sha256 (median)',
      `${formatSeconds(reference.openssl.medianMs)}  (${(reference.bytes / MB / (reference.openssl.medianMs / 1000)).toFixed(0)} MB/s)`,
    ],
  ];
  if (reference.sha256sum) {
    const ms = reference.sha256sum.runsMs[0];
    rows.push([
      'sha256sum (1 run, context)',
      `${formatSeconds(ms)}  (${(reference.bytes / MB / (ms / 1000)).toFixed(0)} MB/s)`,
    ]);
  }
  rows.push(['openssl runs', reference.openssl.runsMs.map((ms) => formatSeconds(ms)).join(', ')]);
  rows.push(['load average before / after', `${result.loadAverage.before} / ${result.loadAverage.after}`]);
  if (result.idleBeforeRuns.length > 0) {
    rows.push([
      'idle CPU before each run',
      result.idleBeforeRuns.map((x) => `${Math.round(x * 100)}%`).join(', '),
    ]);
  }
  if (scan?.skipped) rows.push(['countersign scan', `SKIPPED: ${scan.skipped}`]);
  else if (scan) {
    rows.push(
      ['countersign scan (median)', `${formatSeconds(scan.medianMs)}  (${scan.mbPerSecond.toFixed(0)} MB/s)`],
      ['scan runs', scan.runsMs.map((ms) => formatSeconds(ms)).join(', ')],
      ['ratio scan / openssl (wall)', scan.ratio.toFixed(2)],
      ...(scan.allDigests
        ? [
            [
              'scan --digests all (1 run, context)',
              `${formatSeconds(scan.allDigests.ms)}, ratio ${scan.allDigests.ratio.toFixed(2)}, peak ${formatMB(scan.allDigests.peakRssBytes)}`,
            ],
          ]
        : []),
      [
        'ratio scan / openssl (CPU time, context)',
        Number.isFinite(scan.cpuRatio) ? scan.cpuRatio.toFixed(2) : '-',
      ],
      ['peak RSS of the scan', formatMB(scan.peakRssBytes)],
    );
    if (scan.report?.isReadable) {
      rows.push(['nodes in the report', `${scan.report.nodes} ${JSON.stringify(scan.report.byKind)}`]);
    } else if (scan.report) rows.push(['report', `UNREADABLE: ${scan.report.problem}`]);
    if (scan.failed) rows.push(['failure', scan.failed.slice(0, 300)]);
  }
  // The ratio target counts with sha256 and entropy on every file, and md5/sha1 wherever the scan
  // says it computed them (on demand: IOC lists ask for them): say when it is not so.
  const cov = scan?.report?.digestCoverage;
  const complete = cov ? isComplete(cov) : true;
  // A run that died or left no readable report measured nothing worth a PASS.
  const onFailure = (status) => (scan?.failed ? 'MISS: a scan run failed' : status);
  const ratioStatus = onFailure(verdict(scan?.ratio, TARGETS.maxRatio, '<='));
  const targets = [
    {
      label: `[${result.variant}] ratio scan / openssl <= ${TARGETS.maxRatio}`,
      measured: scan?.ratio,
      shown:
        scan?.ratio === undefined
          ? undefined
          : `${scan.ratio.toFixed(2)}${complete ? '' : ' (digests missing)'}`,
      status: ratioStatus === 'PASS' && !complete ? 'PASS, but digests missing' : ratioStatus,
    },
    {
      label: `[${result.variant}] peak RSS < ${formatMB(TARGETS.maxPeakRssBytes)}`,
      measured: scan?.peakRssBytes,
      shown: scan?.peakRssBytes === undefined ? undefined : formatMB(scan.peakRssBytes),
      status: onFailure(verdict(scan?.peakRssBytes, TARGETS.maxPeakRssBytes, '<')),
    },
  ];
  return { rows, targets, checks: checksOf(result), failure: scan?.failed };
}

export async function run(ctx) {
  const results = [];
  for (const variant of ctx.options.variants) results.push(await benchVariant(ctx, variant));
  return results.map((result) => ({ title: `${title} [${result.variant}]`, result, ...summarise(result) }));
}
