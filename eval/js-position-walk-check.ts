/**
 * Checks the position walk (src/analyzers/js/position) over real packages: every identifier,
 * literal, template element and JSX name of each file's eager ESTree must be reached by the walk
 * over oxc's buffer. Prints the files, leaves and misses; expect no misses.
 *
 *   npx tsx eval/js-position-walk-check.ts [dir]   (default: node_modules)
 */
import { readFileSync, statSync } from 'node:fs';
import { estimateNesting, isSafeToParse } from '../src/analyzers/js/nesting.js';
import { rawParsers } from '../src/analyzers/js/oxc-raw.js';
import { positionWalkCoverage } from '../test/support/position-walk-coverage.js';
import { sourceFiles } from './js-files.js';

const root = process.argv[2] ?? 'node_modules';
const parsers = await rawParsers();
if (!parsers)
  throw new Error('oxc raw transfer does not run in this process (see src/analyzers/js/oxc-raw.ts)');

let files = 0;
let leaves = 0;
let missed = 0;
let tooDeep = 0;
let unsafe = 0;
const started = performance.now();
for (const path of sourceFiles(root)) {
  if (statSync(path).size > 16 * 1024 * 1024) continue;
  const source = readFileSync(path, 'utf8');
  // As the analyzer does: files nested deeper than oxc can parse safely are never parsed.
  if (!isSafeToParse(estimateNesting(source))) {
    unsafe++;
    continue;
  }
  const result = positionWalkCoverage(parsers, path, source);
  files++;
  leaves += result.leaves;
  if (!result.walked) tooDeep++;
  if (result.missed.length > 0) {
    missed += result.missed.length;
    console.log(
      `${path}: ${result.missed.length} missed, first ${JSON.stringify(result.missed.slice(0, 3))}`,
    );
  }
}
console.log(
  `${files} files, ${leaves.toLocaleString('en')} ESTree leaves, ${missed} missed by the position walk, ` +
    `${tooDeep} too deep for the walk, ${unsafe} not parsed (nesting), ${Math.round(performance.now() - started)} ms`,
);
process.exitCode = missed > 0 ? 1 : 0;
