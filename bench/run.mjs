#!/usr/bin/env node
// Runs every benchmark in bench/*.bench.mjs, prints a summary, writes bench/.work/results.json.
//
// A benchmark module exports `id`, `title` and `run(ctx)`, which resolves to a list of sections
// `{ title, rows, targets, checks, result, failure? }`: rows for the table, targets and checks with a status
// (PASS / MISS / SKIP), and the raw result for results.json.
//
// Exit status: 0 whenever the benchmarks ran, met or missed (timing belongs in a report, not in a
// gate); 1 only when something crashed (a tool failed, the artifact could not be made).
import { spawnSync } from 'node:child_process';
import { mkdir, readdir, writeFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { hasGnuTime } from './lib/measure.mjs';
import { renderTable } from './lib/stats.mjs';
import { hasCommand, machineInfo } from './lib/sys.mjs';

const benchDir = dirname(fileURLToPath(import.meta.url));
const repoRoot = resolve(benchDir, '..');

const USAGE = `usage: npm run bench -- [options]   (or: node bench/run.mjs [options])
  --big              also run the ~2 GiB variant (peak-RSS check; takes ~6 GiB of disk and minutes)
                     (same as COUNTERSIGN_BENCH_BIG=1)
  --variant <list>   variants to run, comma-separated: 1g, 2g (default: 1g)
  --runs <n>         timed runs per command; the median is reported (default: 3)
  --sha256sum        also time sha256sum once, for context (it is not the floor)
  --scan-full        scan: run the content analyzers too (default: --inventory-only, issue 2's target)
  --no-all-digests   scan: skip the one context run with --digests all (md5 and sha1 on every node)
  --clean            delete bench/.work/extracted/ afterwards (the artifacts stay cached)
  --idle-wait <s>    before each timed run, wait up to s seconds for idle CPUs (default 60; 0: never;
                     after one wait in vain, later runs do not wait again)
  --min-idle <share> the idle share of all CPUs to wait for, 0..1 (default 0.9)
  --only <id>        run only the benchmark with this id (scan, vet, workers, server, hunt, js, authenticode, msi-cab)
  --cli <path>       the countersign CLI to run (default: dist/cli/main.js)
  --scan-arg <arg>   an extra argument for \`countersign scan\` (repeatable)
  --work <dir>       work directory (default: bench/.work, or COUNTERSIGN_BENCH_WORK)`;

function parseOptions(argv) {
  const options = {
    variants: ['1g'],
    runs: 3,
    sha256sum: false,
    allDigestsRun: true,
    scanFull: false,
    clean: false,
    only: undefined,
    cli: undefined,
    scanArgs: [],
    idleWaitSeconds: 60,
    minIdle: 0.9,
    workDir: process.env.COUNTERSIGN_BENCH_WORK ?? join(benchDir, '.work'),
  };
  let isBig = process.env.COUNTERSIGN_BENCH_BIG === '1';
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    const value = () => {
      const next = argv[++i];
      if (next === undefined) throw new Error(`${arg} needs a value\n${USAGE}`);
      return next;
    };
    if (arg === '--big') isBig = true;
    else if (arg === '--variant') options.variants = value().split(',');
    else if (arg === '--runs') options.runs = Number.parseInt(value(), 10);
    else if (arg === '--sha256sum') options.sha256sum = true;
    else if (arg === '--no-all-digests') options.allDigestsRun = false;
    else if (arg === '--scan-full') options.scanFull = true;
    else if (arg === '--clean') options.clean = true;
    else if (arg === '--only') options.only = value();
    else if (arg === '--idle-wait') options.idleWaitSeconds = Number(value());
    else if (arg === '--min-idle') options.minIdle = Number(value());
    else if (arg === '--cli') options.cli = resolve(value());
    else if (arg === '--scan-arg') options.scanArgs.push(value());
    else if (arg === '--work') options.workDir = resolve(value());
    else if (arg === '--help' || arg === '-h') {
      console.log(USAGE);
      process.exit(0);
    } else throw new Error(`unknown option ${arg}\n${USAGE}`);
  }
  if (isBig && !options.variants.includes('2g')) options.variants.push('2g');
  if (!Number.isInteger(options.runs) || options.runs < 1)
    throw new Error('--runs must be a positive integer');
  return options;
}

async function loadBenches(only) {
  const names = (await readdir(benchDir)).filter((name) => name.endsWith('.bench.mjs')).sort();
  const benches = [];
  for (const name of names) {
    const module = await import(pathToFileURL(join(benchDir, name)).href);
    if (!only || module.id === only) benches.push(module);
  }
  if (benches.length === 0)
    throw new Error(only ? `no benchmark with id ${only}` : 'no bench/*.bench.mjs found');
  return benches;
}

function missingTools() {
  return ['openssl', 'zip', 'unzip', 'tar', 'gzip', 'xargs'].filter((tool) => !hasCommand(tool));
}

async function main() {
  const options = parseOptions(process.argv.slice(2));
  const missing = missingTools();
  if (missing.length > 0) {
    throw new Error(`missing tools: ${missing.join(', ')} (Debian: apt-get install -y ${missing.join(' ')})`);
  }
  if (!hasGnuTime()) {
    console.error(
      'note: /usr/bin/time not found (Debian package `time`): peak RSS is only sampled from /proc',
    );
  }
  await mkdir(options.workDir, { recursive: true });
  const log = (line) => console.error(line);
  const startedAt = new Date().toISOString();
  const machine = machineInfo();
  const commit = spawnSync('git', ['rev-parse', '--short', 'HEAD'], {
    cwd: repoRoot,
    encoding: 'utf8',
  }).stdout?.trim();
  log(
    `machine: ${machine.cpus} x ${machine.cpuModel}${machine.shaNi ? ' (SHA-NI)' : ''}, ` +
      `${(machine.memoryBytes / 2 ** 30).toFixed(0)} GiB, node ${machine.node}, ${machine.openssl}`,
  );

  const sections = [];
  const benches = await loadBenches(options.only);
  for (const bench of benches) {
    sections.push(...(await bench.run({ options, workDir: options.workDir, repoRoot, log })));
  }

  const lines = [''];
  for (const section of sections) {
    lines.push(`## ${section.title}`, '', renderTable(section.rows), '');
    if (section.checks.length > 0) {
      lines.push(
        renderTable([['check', 'value', ''], ...section.checks.map((c) => [c.label, c.value, c.status])]),
        '',
      );
    }
  }
  const targets = sections.flatMap((s) => s.targets);
  lines.push(
    '## Targets',
    '',
    renderTable([
      ['target', 'measured', 'status'],
      ...targets.map((t) => [t.label, t.shown ?? '-', t.status]),
    ]),
    '',
  );
  console.log(lines.join('\n'));

  const resultsPath = join(options.workDir, 'results.json');
  const results = {
    startedAt,
    finishedAt: new Date().toISOString(),
    machine,
    commit,
    options: { ...options, workDir: undefined },
    targets: targets.map(({ label, measured, status }) => ({ label, measured, status })),
    sections: sections.map(({ title, result, checks, failure }) => ({ title, failure, checks, result })),
  };
  const json = `${JSON.stringify(results, null, 2)}\n`;
  await writeFile(resultsPath, json);
  // results.json is the latest run; earlier ones stay in history/ for comparison.
  const historyDir = join(options.workDir, 'history');
  await mkdir(historyDir, { recursive: true });
  await writeFile(join(historyDir, `results-${startedAt.replace(/[:.]/g, '-')}.json`), json);
  console.log(`results: ${resultsPath} (and a copy in ${historyDir})`);
  const failures = sections.map((s) => s.failure).filter(Boolean);
  if (failures.length > 0) {
    console.error(`\nbench: a measured command crashed:\n${failures.join('\n')}`);
    process.exitCode = 1;
  }
}

main().catch((error) => {
  console.error(`bench: ${error.stack ?? error}`);
  process.exitCode = 1;
});
