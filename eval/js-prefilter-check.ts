/**
 * Equivalence check for the prefilter: every file it lets skip the parse is parsed anyway, and any
 * fact the tree would have given beyond the string scan is printed. Expect none.
 *
 *   npx tsx eval/js-prefilter-check.ts [dir]
 */
import { readFileSync, statSync } from 'node:fs';
import { extractJsCapabilities } from '../src/analyzers/js/extract.js';
import { sourceFiles } from './js-files.js';

const root = process.argv[2] ?? 'node_modules';
let files = 0;
let skipped = 0;
let skippedBytes = 0;
let bytes = 0;
let missing = 0;
for (const path of sourceFiles(root)) {
  if (statSync(path).size > 16 * 1024 * 1024) continue;
  const source = readFileSync(path, 'utf8');
  files++;
  bytes += source.length;
  const quick = extractJsCapabilities(source, { filename: path });
  if (quick.file.parsed !== 'strings-only') continue;
  skipped++;
  skippedBytes += source.length;
  const full = extractJsCapabilities(source, { filename: path, alwaysParse: true });
  const seen = new Set(quick.facts.map((fact) => `${fact.capability}@${fact.line}`));
  for (const fact of full.facts) {
    if (seen.has(`${fact.capability}@${fact.line}`)) continue;
    missing++;
    console.log(
      `missed by the prefilter: ${path}:${fact.line} ${fact.capability} ${fact.detail ?? ''} | ${fact.snippet.slice(0, 80)}`,
    );
  }
}
console.log(
  `${files} files; ${skipped} (${((100 * skippedBytes) / bytes).toFixed(1)}% of bytes) skip the parse; ${missing} fact(s) the tree would have added`,
);
