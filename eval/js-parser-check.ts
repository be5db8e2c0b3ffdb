/**
 * Equivalence check for the parser choice: every JavaScript file under a folder is analysed twice,
 * the default way (oxc through raw transfer) and the way used where raw transfer cannot run
 * (acorn for plain JavaScript, oxc's JSON output for the rest), and every difference in facts or in the file's counts is printed, with the time each way took.
 * Expect none, or only differences explained in the output.
 *
 *   npx tsx eval/js-parser-check.ts [dir]    (default: node_modules)
 */
import { readFileSync, statSync } from 'node:fs';
import { extractJsCapabilities } from '../src/analyzers/js/extract.js';
import type { JsCapabilityFact } from '../src/analyzers/js/facts.js';
import { JS_ONLY, sourceFiles } from './js-files.js';

const root = process.argv[2] ?? 'node_modules';

const factKey = (fact: JsCapabilityFact) =>
  `${fact.capability}@${fact.line}:${fact.column} ${fact.detail ?? ''} | ${fact.snippet.slice(0, 60)}`;

let files = 0;
let differing = 0;
const time = { auto: 0, acornPath: 0 };
/** Files the acorn path parsed whole but oxc found errors in. */
let acornOnlyClean = 0;
for (const path of sourceFiles(root, JS_ONLY)) {
  if (statSync(path).size > 16 * 1024 * 1024) continue;
  const source = readFileSync(path, 'utf8');
  files++;
  let started = performance.now();
  const auto = extractJsCapabilities(source, { filename: path, alwaysParse: true });
  time.auto += performance.now() - started;
  started = performance.now();
  const acornPath = extractJsCapabilities(source, { filename: path, alwaysParse: true, parser: 'acorn' });
  time.acornPath += performance.now() - started;
  if (acornPath.syntaxErrors.length === 0 && auto.syntaxErrors.length > 0) acornOnlyClean++;
  const left = new Set(auto.facts.map(factKey));
  const right = new Set(acornPath.facts.map(factKey));
  const onlyAuto = [...left].filter((key) => !right.has(key));
  const onlyAcornPath = [...right].filter((key) => !left.has(key));
  const { parsed: _a, syntaxErrors: _b, ...autoCounts } = auto.file;
  const { parsed: _c, syntaxErrors: _d, ...acornPathCounts } = acornPath.file;
  const countsDiffer = JSON.stringify(autoCounts) !== JSON.stringify(acornPathCounts);
  if (onlyAuto.length === 0 && onlyAcornPath.length === 0 && !countsDiffer) continue;
  differing++;
  console.log(
    `${path} (syntax errors: default ${auto.syntaxErrors.length}, acorn path ${acornPath.syntaxErrors.length})`,
  );
  for (const key of onlyAuto) console.log(`  + default only: ${key}`);
  for (const key of onlyAcornPath) console.log(`  - acorn path only: ${key}`);
  if (countsDiffer)
    console.log(
      `  counts: default    ${JSON.stringify(autoCounts)}\n          acorn path ${JSON.stringify(acornPathCounts)}`,
    );
}
console.log(
  `${files} files; ${differing} differ; default ${(time.auto / 1000).toFixed(1)} s, acorn path ${(time.acornPath / 1000).toFixed(1)} s` +
    ` (files acorn parsed whole but oxc found errors in: ${acornOnlyClean})`,
);
