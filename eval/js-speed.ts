/**
 * Throughput of JavaScript capability extraction over a tree of real packages (default: this
 * project's node_modules). Prints files/s and MB/s for the extraction on 1 core and split over N
 * processes, for oxc's parse + deserialisation alone (the floor of this design on Node 20), and
 * `openssl dgst -sha256` over the same bytes, with the ratio and peak RSS.
 *
 *   npx tsx eval/js-speed.ts [dir] [--limit N] [--workers N]
 */
import { execFileSync, spawn } from 'node:child_process';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseSync } from 'oxc-parser';
import { extractJsCapabilities } from '../src/analyzers/js/extract.js';

const args = process.argv.slice(2);
const option = (name: string) => {
  const at = args.indexOf(name);
  return at === -1 ? undefined : args[at + 1];
};
const limit = Number(option('--limit') ?? Number.POSITIVE_INFINITY);
const workers = Number(option('--workers') ?? 2);
const shard = option('--shard'); // "k/n": run only every n-th file from k, print "files bytes seconds"
const root = args.find((arg, i) => !arg.startsWith('--') && !args[i - 1]?.startsWith('--')) ?? 'node_modules';
const MAX_BYTES = 16 * 1024 * 1024;

function* walk(dir: string): Generator<string> {
  let entries: import('node:fs').Dirent[];
  try {
    entries = readdirSync(dir, { withFileTypes: true });
  } catch {
    return;
  }
  for (const entry of entries) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) yield* walk(path);
    else if (entry.isFile() && /\.(c|m)?(j|t)sx?$/.test(entry.name)) yield path;
  }
}

let files: string[] = [];
for (const path of walk(root)) {
  if (statSync(path).size > MAX_BYTES) continue;
  files.push(path);
  if (files.length >= limit) break;
}
if (shard) {
  const [k, n] = shard.split('/').map(Number) as [number, number];
  files = files.filter((_, i) => i % n === k);
}
const sources = files.map((path) => readFileSync(path, 'utf8'));
const bytes = sources.reduce((sum, source) => sum + Buffer.byteLength(source), 0);
const mb = bytes / 1e6;

function seconds(run: () => void): number {
  const start = process.hrtime.bigint();
  run();
  return Number(process.hrtime.bigint() - start) / 1e9;
}
const line = (label: string, s: number, count = files.length) =>
  console.log(
    `${label.padEnd(40)} ${s.toFixed(2).padStart(7)} s  ${(count / s).toFixed(0).padStart(6)} files/s  ${(mb / s).toFixed(1).padStart(6)} MB/s`,
  );

let parsedFiles = 0;
const extract = () =>
  seconds(() => {
    for (let i = 0; i < files.length; i++) {
      const result = extractJsCapabilities(sources[i]!, { filename: files[i]! });
      if (result.file.parsed === 'full' || result.file.parsed === 'partial') parsedFiles++;
    }
  });

if (shard) {
  console.log(`${files.length} ${bytes} ${extract()}`);
} else {
  console.log(`${files.length} files, ${mb.toFixed(1)} MB of JavaScript/TypeScript under ${root}`);
  const one = extract();
  line('extract, 1 process', one);
  console.log(`  (${parsedFiles} files parsed, ${files.length - parsedFiles} needed only the string scan)`);
  // N processes over interleaved shards, timed by wall clock (includes their start-up and file reads).
  const self = fileURLToPath(import.meta.url);
  const start = process.hrtime.bigint();
  await Promise.all(
    Array.from(
      { length: workers },
      (_, k) =>
        new Promise<void>((resolve, reject) => {
          const child = spawn(
            process.execPath,
            [...process.execArgv, self, root, '--limit', String(limit), '--shard', `${k}/${workers}`],
            {
              stdio: ['ignore', 'ignore', 'inherit'],
            },
          );
          child.on('exit', (code) =>
            code === 0 ? resolve() : reject(new Error(`shard ${k} exited ${code}`)),
          );
        }),
    ),
  );
  line(`extract, ${workers} processes (wall clock)`, Number(process.hrtime.bigint() - start) / 1e9);
  line(
    'oxc parse + deserialise only, 1 process',
    seconds(() => {
      for (let i = 0; i < files.length; i++)
        void parseSync(files[i]!, sources[i]!, { sourceType: 'unambiguous' }).program;
    }),
  );
  const hash = seconds(() => {
    execFileSync('sh', ['-c', 'xargs -d "\\n" cat | openssl dgst -sha256 > /dev/null'], {
      input: files.join('\n'),
      maxBuffer: 1 << 26,
    });
  });
  line('openssl dgst -sha256 (cat | openssl)', hash);
  console.log(`ratio extract (1 process) / sha256: ${(one / hash).toFixed(1)}x`);
  console.log(
    `peak RSS: ${(process.resourceUsage().maxRSS / 1024).toFixed(0)} MB; load average ${(
      await import('node:os')
    )
      .loadavg()
      .map((l) => l.toFixed(1))
      .join(' ')}`,
  );
}
