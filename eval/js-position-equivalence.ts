/**
 * The position walk against the ESTree walk, file by file: the same facts (in any order), the same
 * file figures and syntax errors. Every file is parsed (`alwaysParse`), so the families see every
 * file, not only those the prefilter sends to the parser. Prints each difference; expect none.
 *
 *   npx tsx eval/js-position-equivalence.ts [dir]   (default: node_modules)
 */
import { readFileSync, statSync } from 'node:fs';
import { type ExtractResult, extractJsCapabilities } from '../src/analyzers/js/extract.js';
import { sourceFiles } from './js-files.js';

const root = process.argv[2] ?? 'node_modules';
const show = Number(process.env.SHOW ?? 20);

const factKey = (fact: ExtractResult['facts'][number]) => JSON.stringify(fact);

let files = 0;
let facts = 0;
let differing = 0;
let shown = 0;
const byKind = new Map<string, number>();
const timings = { estree: 0, position: 0 };
for (const path of sourceFiles(root)) {
  if (statSync(path).size > 16 * 1024 * 1024) continue;
  const source = readFileSync(path, 'utf8');
  let started = performance.now();
  const estree = extractJsCapabilities(source, { filename: path, alwaysParse: true, walk: 'estree' });
  timings.estree += performance.now() - started;
  started = performance.now();
  const position = extractJsCapabilities(source, { filename: path, alwaysParse: true, walk: 'position' });
  timings.position += performance.now() - started;
  files++;
  facts += estree.facts.length;
  const want = new Set(estree.facts.map(factKey));
  const got = new Set(position.facts.map(factKey));
  const missing = [...want].filter((key) => !got.has(key));
  const extra = [...got].filter((key) => !want.has(key));
  const fileDiffers = JSON.stringify(estree.file) !== JSON.stringify(position.file);
  const errorsDiffer = JSON.stringify(estree.syntaxErrors) !== JSON.stringify(position.syntaxErrors);
  if (missing.length === 0 && extra.length === 0 && !fileDiffers && !errorsDiffer) continue;
  differing++;
  for (const key of missing) {
    const kind = `missing ${JSON.parse(key).capability}`;
    byKind.set(kind, (byKind.get(kind) ?? 0) + 1);
  }
  for (const key of extra) {
    const kind = `extra ${JSON.parse(key).capability}`;
    byKind.set(kind, (byKind.get(kind) ?? 0) + 1);
  }
  if (fileDiffers) byKind.set('file figures', (byKind.get('file figures') ?? 0) + 1);
  if (errorsDiffer) byKind.set('syntax errors', (byKind.get('syntax errors') ?? 0) + 1);
  if (shown++ < show) {
    console.log(`${path}:`);
    for (const key of missing.slice(0, 3)) console.log(`  - ${key.slice(0, 300)}`);
    for (const key of extra.slice(0, 3)) console.log(`  + ${key.slice(0, 300)}`);
    if (fileDiffers)
      console.log(`  file: ${JSON.stringify(estree.file)}\n     vs ${JSON.stringify(position.file)}`);
    if (errorsDiffer)
      console.log(
        `  errors: ${JSON.stringify(estree.syntaxErrors).slice(0, 200)} vs ${JSON.stringify(position.syntaxErrors).slice(0, 200)}`,
      );
  }
}
console.log(
  `${files} files, ${facts} facts by the ESTree walk; ${differing} files differ; ` +
    `${Math.round(timings.estree)} ms ESTree, ${Math.round(timings.position)} ms positions`,
);
for (const [kind, count] of [...byKind].sort((a, b) => b[1] - a[1])) console.log(`  ${count} ${kind}`);
process.exitCode = differing > 0 ? 1 : 0;
