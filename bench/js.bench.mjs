// JavaScript capability analysis against the hashing floor, on real code: `countersign scan
// <repo>/node_modules --deep` (every file typed, digested and, for JavaScript and TypeScript, parsed
// for capabilities, then the rules) vs `cat <the same JS files> | openssl dgst -sha256`.
//
// Issue 4 asks for a ratio of at most 10x (on the order of 100 MB/s of JavaScript on 2 cores), with
// files/s, MB/s and peak RSS. "The same files" are the scan's own: the nodes on disk its report
// types as javascript or typescript (read from the first timed run's report). The reference is one
// `cat | openssl` pipeline over them: the bytes once, through one hash, as fast as this machine
// reads and hashes them. Runs are interleaved (scan, openssl, scan, openssl, ...) after a discarded
// `cat` of the whole folder that warms the page cache for both sides.
//
// The folder is this repository's node_modules, or COUNTERSIGN_BENCH_JS_DIR.

import { existsSync } from 'node:fs';
import { mkdir, open, readFile, rm, writeFile } from 'node:fs/promises';
import { cpus, loadavg } from 'node:os';
import { dirname, join } from 'node:path';
import { measure } from './lib/measure.mjs';
import { formatMB, formatSeconds, MB, median, verdict } from './lib/stats.mjs';
import { waitForIdle } from './lib/sys.mjs';

export const id = 'js';
export const title =
  'JavaScript capability analysis: `countersign scan node_modules --deep` vs `cat | openssl dgst -sha256` over its JS files';

/** Issue 4: analysis within 10x of hashing the same JavaScript. */
export const TARGETS = { maxRatio: 10 };

const JS_TYPES = new Set(['javascript', 'typescript']);
const SEVERITY_ORDER = ['info', 'low', 'medium', 'high', 'critical'];

const loadAverage = () => Number(loadavg()[0].toFixed(2));

function peakBytes(result) {
  return Math.max(result.peakRssKb ?? 0, result.treePeakRssKb ?? 0) * 1024;
}

function logRun(log, label, result) {
  const cpu = result.cpuMs === undefined ? '' : `, cpu ${formatSeconds(result.cpuMs)}`;
  log(`  ${label}: ${formatSeconds(result.wallMs)}${cpu}, peak ${formatMB(peakBytes(result))}`);
}

async function toFile(path, body) {
  const handle = await open(path, 'w');
  try {
    return await body(handle.fd);
  } finally {
    await handle.close();
  }
}

const countBy = (items, key) => {
  const counts = {};
  for (const item of items) counts[key(item)] = (counts[key(item)] ?? 0) + 1;
  return counts;
};

/** What the bench needs from a scan report: the JS files on disk, and what the scan said about them. */
async function readReport(path, dir) {
  try {
    const report = JSON.parse(await readFile(path, 'utf8'));
    const rootName = report.subjects[0].name;
    const jsNodes = report.nodes.filter((node) => node.entryKind === 'file' && JS_TYPES.has(node.type));
    const onDisk = jsNodes.filter((node) => node.depth === 0);
    const threats = report.findings.filter((finding) => finding.identifies.startsWith('threat.'));
    return {
      isReadable: true,
      files: report.stats.files,
      bytes: report.stats.bytes,
      jsFiles: onDisk.map((node) => join(dir, node.path.slice(rootName.length + 1))).sort(),
      jsBytes: onDisk.reduce((total, node) => total + node.size, 0),
      // JavaScript inside archives found in node_modules: analysed too, not in the reference.
      jsNestedFiles: jsNodes.length - onDisk.length,
      gaps: report.gaps.length,
      gapsByCode: countBy(report.gaps, (gap) => gap.code),
      findingsBySeverity: countBy(report.findings, (finding) => finding.severity),
      threatsAboveMedium: threats
        .filter((finding) => SEVERITY_ORDER.indexOf(finding.severity) > SEVERITY_ORDER.indexOf('medium'))
        .map((finding) => `${finding.ruleId} ${finding.path}`),
    };
  } catch (error) {
    return { isReadable: false, problem: `cannot read ${path}: ${error.message}` };
  }
}

async function benchJs(ctx) {
  const { options, workDir, repoRoot, log } = ctx;
  log('\n== js bench ==');
  const dir = process.env.COUNTERSIGN_BENCH_JS_DIR ?? join(repoRoot, 'node_modules');
  if (!existsSync(dir)) return { skipped: `no folder ${dir}` };
  const cli = options.cli ?? join(repoRoot, 'dist', 'cli', 'main.js');
  if (!existsSync(cli)) {
    return { dir, skipped: `CLI not found at ${cli} (run \`npm run build\`, or pass --cli <path>)` };
  }
  const scratch = join(workDir, 'js');
  await mkdir(scratch, { recursive: true });
  const listPath = join(scratch, 'js-files.list');
  const reportPath = (i) => join(scratch, `scan-${i + 1}.json`);
  // --no-intel: imported IOCs and YARA rules would change the work from one machine to the next.
  const scanCommand = (output, ...more) => [
    cli,
    'scan',
    dir,
    '--deep',
    '--json',
    '--quiet',
    '--no-intel',
    ...more,
    '-o',
    output,
    ...options.scanArgs,
  ];
  const scanArgs = (i) => scanCommand(reportPath(i));
  log(`scan: node ${scanArgs(0).join(' ')}`);
  const catOpenssl = () =>
    toFile(join(scratch, 'openssl.txt'), (fd) =>
      measure('sh', ['-c', 'xargs -0 -a "$0" cat | openssl dgst -sha256', listPath], { stdoutFd: fd }),
    );

  // Context only: the same pipeline over every regular file of the folder, what the scan reads
  // besides the JavaScript (typed and hashed). No target is set on it.
  const catOpensslAll = () =>
    toFile(join(scratch, 'openssl-all.txt'), (fd) =>
      measure('sh', ['-c', 'find "$0" -type f -print0 | xargs -0 cat | openssl dgst -sha256', dir], {
        stdoutFd: fd,
      }),
    );

  // Context only: the capability analysis alone (the analyzer and its threads over the same JS
  // files, from the build the CLI belongs to), without the rest of the scan.
  const analysisOnly = () =>
    toFile(join(scratch, 'analysis-only.json'), (fd) =>
      measure(
        process.execPath,
        [join(repoRoot, 'bench', 'js-analysis-only.mjs'), dirname(dirname(cli)), listPath],
        { cwd: repoRoot, stdoutFd: fd },
      ),
    );

  // Context only, the floor under the target: the same scan with no analysis at all (listing,
  // typing and hashing every file), and oxc's parse alone of the files the analysis parses, on the
  // analysis pool's threads. No walk or family, however fast, makes a scan cheaper than both.
  const inventoryOnly = () =>
    measure(process.execPath, scanCommand(join(scratch, 'inventory-only.json'), '--inventory-only'), {
      cwd: repoRoot,
    });
  // A bare Node start, counted once in each floor process: taken off once so the bound stays a bound.
  const nodeStart = () => measure(process.execPath, ['-e', '0'], { cwd: repoRoot });
  const parseOnly = () =>
    toFile(join(scratch, 'parse-only.json'), (fd) =>
      measure(
        process.execPath,
        [join(repoRoot, 'bench', 'js-parse-only.mjs'), dirname(dirname(cli)), listPath],
        { cwd: repoRoot, stdoutFd: fd },
      ),
    );

  const loadBefore = loadAverage();
  if (loadBefore > cpus().length * 0.5) {
    log(
      `  note: load average ${loadBefore} on ${cpus().length} CPUs: other work competes, timings will be noisy`,
    );
  }
  // Warms the page cache with every file of the folder (both sides read them); its time is discarded.
  const warm = await measure('sh', ['-c', 'find "$0" -type f -print0 | xargs -0 cat > /dev/null', dir]);
  logRun(log, 'page-cache warm-up, cat of every file (discarded)', warm);

  let waitMs = options.idleWaitSeconds * 1000;
  const idleBeforeRuns = [];
  const settle = async () => {
    if (options.idleWaitSeconds <= 0) return;
    const idle = await waitForIdle({ minIdle: options.minIdle, timeoutMs: waitMs, log });
    if (idle < options.minIdle) waitMs = 0;
    idleBeforeRuns.push(Number(idle.toFixed(2)));
  };
  const scans = [];
  const references = [];
  const allFilesReferences = [];
  const analysisOnlyRuns = [];
  const inventoryOnlyRuns = [];
  const parseOnlyRuns = [];
  const nodeStartRuns = [];
  const reports = [];
  let failed;
  for (let i = 0; i < options.runs; i++) {
    await rm(reportPath(i), { force: true });
    await settle();
    const scan = await measure(process.execPath, scanArgs(i), { cwd: repoRoot });
    logRun(log, `scan    run ${i + 1}/${options.runs}`, scan);
    scans.push(scan);
    const report = await readReport(reportPath(i), dir);
    reports.push({ exitCode: scan.exitCode, signal: scan.signal, ...report });
    if (scan.signal || !report.isReadable) {
      failed = `scan run ${i + 1} failed (${scan.signal ?? `exit ${scan.exitCode}`}): ${report.problem ?? ''} ${scan.stderrTail.trim()}`;
      break;
    }
    if (i === 0) {
      await writeFile(listPath, `${report.jsFiles.join('\0')}\0`);
      log(
        `reference: ${report.jsFiles.length} JS files, ${formatMB(report.jsBytes)} (as the scan typed them)`,
      );
    }
    await settle();
    const reference = await catOpenssl();
    if (reference.exitCode !== 0) throw new Error(`cat | openssl failed: ${reference.stderrTail}`);
    logRun(log, `openssl run ${i + 1}/${options.runs}`, reference);
    references.push(reference);
    await settle();
    const allFiles = await catOpensslAll();
    if (allFiles.exitCode !== 0)
      throw new Error(`cat | openssl over every file failed: ${allFiles.stderrTail}`);
    logRun(log, `openssl over every file, run ${i + 1}/${options.runs} (context)`, allFiles);
    allFilesReferences.push(allFiles);
    await settle();
    const analysis = await analysisOnly();
    if (analysis.exitCode !== 0) throw new Error(`analysis alone failed: ${analysis.stderrTail}`);
    logRun(log, `capability analysis alone, run ${i + 1}/${options.runs} (context)`, analysis);
    analysisOnlyRuns.push(analysis);
    await settle();
    const inventory = await inventoryOnly();
    if (inventory.exitCode !== 0) throw new Error(`scan --inventory-only failed: ${inventory.stderrTail}`);
    logRun(log, `scan with no analysis, run ${i + 1}/${options.runs} (floor)`, inventory);
    inventoryOnlyRuns.push(inventory);
    await settle();
    const parse = await parseOnly();
    if (parse.exitCode !== 0) throw new Error(`parse alone failed: ${parse.stderrTail}`);
    logRun(log, `oxc parse alone, run ${i + 1}/${options.runs} (floor)`, parse);
    parseOnlyRuns.push(parse);
    nodeStartRuns.push(await nodeStart());
  }
  await rm(listPath, { force: true });
  const last = reports[reports.length - 1];
  const first = reports[0];
  const result = {
    dir,
    loadAverage: { before: loadBefore, after: loadAverage() },
    idleBeforeRuns,
    command: ['node', ...scanArgs(0)],
    failed,
  };
  if (failed || !first?.isReadable) return { ...result, failed: failed ?? 'no readable report' };
  const scanMs = median(scans.map((r) => r.wallMs));
  const opensslMs = median(references.map((r) => r.wallMs));
  return {
    ...result,
    js: { files: first.jsFiles.length, bytes: first.jsBytes, nestedFiles: first.jsNestedFiles },
    reference: {
      command: 'xargs -0 cat <JS files> | openssl dgst -sha256',
      runsMs: references.map((r) => r.wallMs),
      cpuMs: references.map((r) => r.cpuMs),
      medianMs: opensslMs,
    },
    analysisOnly: {
      command: 'node bench/js-analysis-only.mjs <dist> <JS files>',
      runsMs: analysisOnlyRuns.map((r) => r.wallMs),
      medianMs: median(analysisOnlyRuns.map((r) => r.wallMs)),
      cpuMs: median(analysisOnlyRuns.map((r) => r.cpuMs)),
    },
    floor: floorOf(
      inventoryOnlyRuns,
      parseOnlyRuns,
      median(nodeStartRuns.map((r) => r.cpuMs)),
      await readParseOnly(join(scratch, 'parse-only.json')),
    ),
    allFilesReference: {
      command: 'find <folder> -type f | xargs -0 cat | openssl dgst -sha256',
      runsMs: allFilesReferences.map((r) => r.wallMs),
      medianMs: median(allFilesReferences.map((r) => r.wallMs)),
    },
    scan: {
      runsMs: scans.map((r) => r.wallMs),
      cpuMs: scans.map((r) => r.cpuMs),
      medianMs: scanMs,
      exitCodes: scans.map((r) => r.exitCode),
      peakRssBytes: Math.max(...scans.map(peakBytes)),
      peakRssKbPerRun: scans.map((r) => ({ maxProcess: r.peakRssKb, treeSampled: r.treePeakRssKb })),
      ratio: scanMs / opensslMs,
      cpuRatio: median(scans.map((r) => r.cpuMs)) / median(references.map((r) => r.cpuMs)),
      jsFilesPerSecond: first.jsFiles.length / (scanMs / 1000),
      jsMbPerSecond: first.jsBytes / MB / (scanMs / 1000),
      allFiles: last.files,
      allBytes: last.bytes,
      gaps: last.gaps,
      gapsByCode: last.gapsByCode,
      findingsBySeverity: last.findingsBySeverity,
      threatsAboveMedium: last.threatsAboveMedium,
      reportsAgree: reports.every(
        (r) => r.jsFiles.length === first.jsFiles.length && r.gaps === first.gaps && r.files === first.files,
      ),
    },
  };
}

async function readParseOnly(path) {
  try {
    return JSON.parse(await readFile(path, 'utf8'));
  } catch {
    return undefined;
  }
}

/**
 * The two floor measurements and what they bound: on a machine with `cores` cores, a scan --deep
 * needs at least the CPU time of both spread over every core (less the one Node start counted
 * twice), and at least the inventory's own wall time, whatever the walk and the families cost.
 */
function floorOf(inventoryRuns, parseRuns, nodeStartCpuMs, parseFigures) {
  const inventory = {
    medianMs: median(inventoryRuns.map((r) => r.wallMs)),
    cpuMs: median(inventoryRuns.map((r) => r.cpuMs)),
  };
  const parse = {
    medianMs: median(parseRuns.map((r) => r.wallMs)),
    cpuMs: median(parseRuns.map((r) => r.cpuMs)),
    ...parseFigures,
  };
  const cores = cpus().length;
  const boundMs = Math.max(inventory.medianMs, (inventory.cpuMs + parse.cpuMs - nodeStartCpuMs) / cores);
  return { cores, inventory, parse, nodeStartCpuMs, boundMs };
}

export function summarise(result) {
  const { scan, js, reference } = result;
  const rows = [
    ['figure', 'value'],
    ['folder', result.dir],
  ];
  if (result.skipped) rows.push(['countersign scan', `SKIPPED: ${result.skipped}`]);
  if (result.failed) rows.push(['failure', result.failed.slice(0, 300)]);
  if (scan) {
    rows.push(
      [
        'JavaScript analysed (the reference set)',
        `${js.files} files, ${formatMB(js.bytes)} (types javascript/typescript on disk${js.nestedFiles ? `; +${js.nestedFiles} inside archives, not in the reference` : ''})`,
      ],
      [
        'everything the scan read',
        `${scan.allFiles} files, ${formatMB(scan.allBytes)} (all typed and digested: sha256, and sha1/md5 only on request)`,
      ],
      [
        'cat + openssl dgst -sha256 (median)',
        `${formatSeconds(reference.medianMs)}  (${(js.bytes / MB / (reference.medianMs / 1000)).toFixed(0)} MB/s of JS)`,
      ],
      ['cat + openssl runs', reference.runsMs.map((ms) => formatSeconds(ms)).join(', ')],
      [
        'countersign scan --deep (median)',
        `${formatSeconds(scan.medianMs)}  (${scan.jsFilesPerSecond.toFixed(0)} JS files/s, ${scan.jsMbPerSecond.toFixed(1)} MB/s of JS)`,
      ],
      ['scan runs', scan.runsMs.map((ms) => formatSeconds(ms)).join(', ')],
      ['ratio scan / cat+openssl (wall)', scan.ratio.toFixed(1)],
      ['ratio … (CPU time, context)', Number.isFinite(scan.cpuRatio) ? scan.cpuRatio.toFixed(1) : '-'],
      [
        'capability analysis alone (context)',
        `${formatSeconds(result.analysisOnly.medianMs)} (CPU ${formatSeconds(result.analysisOnly.cpuMs)}); / cat+openssl: ${(result.analysisOnly.medianMs / reference.medianMs).toFixed(1)} (no target: the analyzer and its threads over the same JS files, no listing, hashing, rules or report)`,
      ],
      ...floorRows(result.floor, reference.medianMs),
      [
        'cat + openssl over every file read (context)',
        `${formatSeconds(result.allFilesReference.medianMs)}; scan / that: ${(scan.medianMs / result.allFilesReference.medianMs).toFixed(1)} (no target)`,
      ],
      ['peak RSS of the scan', formatMB(scan.peakRssBytes)],
      ['load average before / after', `${result.loadAverage.before} / ${result.loadAverage.after}`],
    );
    if (result.idleBeforeRuns.length > 0) {
      rows.push([
        'idle CPU before each run',
        result.idleBeforeRuns.map((x) => `${Math.round(x * 100)}%`).join(', '),
      ]);
    }
    rows.push(['findings by severity', JSON.stringify(scan.findingsBySeverity)]);
  }
  const checks = scan
    ? [
        {
          label: `the target can be met on this machine (its floor, with no walk and no family: ratio ${(result.floor.boundMs / reference.medianMs).toFixed(1)})`,
          value: String(result.floor.boundMs / reference.medianMs <= TARGETS.maxRatio),
          status: 'INFO',
        },
        {
          label: 'exit codes of the runs',
          value: scan.exitCodes.join(', '),
          status: scan.exitCodes.every((code) => code === 0) ? 'PASS' : 'MISS',
        },
        {
          label: 'every run saw the same files and gaps',
          value: String(scan.reportsAgree),
          status: scan.reportsAgree ? 'PASS' : 'MISS',
        },
        {
          label: 'coverage gaps (real packages: syntax the parser refuses, odd archives)',
          value: `${scan.gaps}${scan.gaps ? ` ${JSON.stringify(scan.gapsByCode)}` : ''}`,
          status: 'INFO',
        },
        {
          label: 'threat findings above medium (false positives to justify, issue 4)',
          value: `${scan.threatsAboveMedium.length}${scan.threatsAboveMedium.length ? `: ${scan.threatsAboveMedium.slice(0, 3).join('; ')}` : ''}`,
          status: 'INFO',
        },
      ]
    : [];
  const status = result.failed ? 'MISS: a scan run failed' : verdict(scan?.ratio, TARGETS.maxRatio, '<=');
  const targets = [
    {
      label: `[js] ratio scan --deep / cat+openssl over the same JS <= ${TARGETS.maxRatio}`,
      measured: scan?.ratio,
      shown: scan ? `${scan.ratio.toFixed(1)} (${scan.jsMbPerSecond.toFixed(1)} MB/s of JS)` : undefined,
      status,
    },
  ];
  return { rows, targets, checks, failure: result.failed };
}

function floorRows(floor, referenceMs) {
  const ratio = (ms) => (ms / referenceMs).toFixed(1);
  const parsed =
    floor.parse.parsedFiles === undefined
      ? ''
      : `, ${floor.parse.parsedFiles} files / ${formatMB(floor.parse.parsedBytes)} parsed on ${floor.parse.threads} threads`;
  return [
    [
      'scan with no analysis (floor, context)',
      `${formatSeconds(floor.inventory.medianMs)} (CPU ${formatSeconds(floor.inventory.cpuMs)}); / cat+openssl: ${ratio(floor.inventory.medianMs)} (the same scan with --inventory-only: every file listed, typed and hashed)`,
    ],
    [
      'oxc parse alone (floor, context)',
      `${formatSeconds(floor.parse.medianMs)} (CPU ${formatSeconds(floor.parse.cpuMs)})${parsed} (bench/js-parse-only.mjs: read, prefilter, nesting bound and oxc's raw-transfer parse, nothing else)`,
    ],
    [
      'floor of scan --deep on this machine',
      `${formatSeconds(floor.boundMs)}, ratio ${ratio(floor.boundMs)}: both floors' CPU, less one Node start (${formatSeconds(floor.nodeStartCpuMs)}), over ${floor.cores} cores (or the inventory's wall time if longer); no walk or family can go below it`,
    ],
  ];
}

export async function run(ctx) {
  const result = await benchJs(ctx);
  return [{ title, result, ...summarise(result) }];
}
