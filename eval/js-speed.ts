/**
 * Throughput of JavaScript capability extraction over a tree of real packages (default: this
 * project's node_modules). Prints files/s and MB/s for the full extraction, for the parse alone
 * (the floor this design can reach on one core), and `openssl dgst -sha256` over the same bytes.
 *
 *   npx tsx eval/js-speed.ts [dir] [--limit N]
 */
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { parseSync } from 'oxc-parser';
import { extractJsCapabilities } from '../src/analyzers/js/extract.js';

const args = process.argv.slice(2);
const limitAt = args.indexOf('--limit');
const limit = limitAt === -1 ? Number.POSITIVE_INFINITY : Number(args[limitAt + 1]);
const root = args.find((arg, i) => !arg.startsWith('--') && args[i - 1] !== '--limit') ?? 'node_modules';
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

const files: string[] = [];
for (const path of walk(root)) {
  if (statSync(path).size > MAX_BYTES) continue;
  files.push(path);
  if (files.length >= limit) break;
}
const sources = files.map((path) => readFileSync(path, 'utf8'));
const bytes = sources.reduce((sum, source) => sum + Buffer.byteLength(source), 0);
const mb = bytes / 1e6;

function time(label: string, run: () => void): number {
  const start = process.hrtime.bigint();
  run();
  const seconds = Number(process.hrtime.bigint() - start) / 1e9;
  console.log(
    `${label.padEnd(34)} ${seconds.toFixed(2).padStart(7)} s  ${(files.length / seconds).toFixed(0).padStart(6)} files/s  ${(mb / seconds).toFixed(1).padStart(6)} MB/s`,
  );
  return seconds;
}

console.log(`${files.length} files, ${mb.toFixed(1)} MB of JavaScript/TypeScript under ${root}`);
let fallbacks = 0;
let facts = 0;
const full = time('extract (parse + walk), 1 core', () => {
  for (let i = 0; i < files.length; i++) {
    const result = extractJsCapabilities(sources[i]!, { filename: files[i]! });
    facts += result.facts.length;
    if (result.file.parsed === 'fallback') fallbacks++;
  }
});
time('parse only (oxc-parser), 1 core', () => {
  for (let i = 0; i < files.length; i++) parseSync(files[i]!, sources[i]!, { sourceType: 'unambiguous' });
});
const list = files.join('\n');
const hashStart = process.hrtime.bigint();
execFileSync('sh', ['-c', 'xargs -d "\\n" cat | openssl dgst -sha256 > /dev/null'], {
  input: list,
  maxBuffer: 1 << 26,
});
const hashSeconds = Number(process.hrtime.bigint() - hashStart) / 1e9;
console.log(
  `${'openssl dgst -sha256 (cat | openssl)'.padEnd(34)} ${hashSeconds.toFixed(2).padStart(7)} s  ${(mb / hashSeconds).toFixed(1).padStart(6)} MB/s`,
);
console.log(
  `ratio extract / sha256: ${(full / hashSeconds).toFixed(1)}x; facts: ${facts}; fallback (not parsed): ${fallbacks}`,
);
console.log(`peak RSS: ${(process.resourceUsage().maxRSS / 1024).toFixed(0)} MB`);
