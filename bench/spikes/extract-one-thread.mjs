// One thread running the JavaScript capability extraction over every JS file of a folder, as the
// analysis threads do but without the pool: for instruction counts that do not depend on what
// else the machine is doing (session 10: wall times here swung by a third within minutes).
//
//   npm run build
//   valgrind --tool=callgrind --callgrind-out-file=/tmp/cg.out \
//     node bench/spikes/extract-one-thread.mjs [dist] [folder] [facts.json]
//
// Prints wall and CPU time per round (ROUNDS, default 1). With a third argument it writes every
// file's result as JSON, so two builds can be compared for identical facts with `cmp`.
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';

const dist = pathToFileURL(resolve(process.argv[2] ?? 'dist')).href;
const folder = resolve(process.argv[3] ?? 'node_modules');
const dump = process.argv[4];
const { extractJsCapabilities } = await import(`${dist}/analyzers/js/extract.js`);
const list = execFileSync('find', [folder, '-type', 'f', '-regex', String.raw`.*\.[cm]?[jt]sx?$`], {
  maxBuffer: 1 << 28,
});
const sources = list
  .toString()
  .trim()
  .split('\n')
  .sort()
  .map((path) => [path, readFileSync(path, 'utf8')]);
const rounds = Number(process.env.ROUNDS) || 1;
for (let round = 0; round < rounds; round++) {
  const results = {};
  const started = performance.now();
  const cpu = process.cpuUsage();
  for (const [path, source] of sources) results[path] = extractJsCapabilities(source, { filename: path });
  const used = process.cpuUsage(cpu);
  const wall = performance.now() - started;
  console.log(
    `round ${round + 1}: ${sources.length} files, ${Math.round(wall)} ms wall, ${Math.round((used.user + used.system) / 1000)} ms CPU`,
  );
  if (dump && round === 0) writeFileSync(dump, JSON.stringify(results));
}
