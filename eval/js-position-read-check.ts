/**
 * Checks `PositionReader` (src/analyzers/js/position/read.ts) over real packages: for every call
 * and `new`, the callee's dotted path, identifier and member name and the first argument's string
 * value must be what `src/analyzers/js/ast.ts` reads off the eager ESTree. Expect no differences.
 *
 *   npx tsx eval/js-position-read-check.ts [dir]   (default: node_modules)
 */
import { readFileSync, statSync } from 'node:fs';
import { estimateNesting, isSafeToParse } from '../src/analyzers/js/nesting.js';
import { rawParsers } from '../src/analyzers/js/oxc-raw.js';
import { positionReadCheck } from '../test/support/position-read-check.js';
import { sourceFiles } from './js-files.js';

const root = process.argv[2] ?? 'node_modules';
const parsers = await rawParsers();
if (!parsers)
  throw new Error('oxc raw transfer does not run in this process (see src/analyzers/js/oxc-raw.ts)');

let files = 0;
let calls = 0;
let differences = 0;
for (const path of sourceFiles(root)) {
  if (statSync(path).size > 16 * 1024 * 1024) continue;
  const source = readFileSync(path, 'utf8');
  if (!isSafeToParse(estimateNesting(source))) continue;
  const check = positionReadCheck(parsers, path, source);
  files++;
  calls += check.calls;
  differences += check.differences.length;
  for (const difference of check.differences.slice(0, 3)) console.log(path, JSON.stringify(difference));
}
console.log(`${files} files, ${calls.toLocaleString('en')} calls and news, ${differences} read differently`);
process.exitCode = differences > 0 ? 1 : 0;
