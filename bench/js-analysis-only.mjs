// The JavaScript capability analysis alone, as a scan runs it (the `analyzer/js-capabilities`
// analyzer and its pool of analysis threads), over a list of files: no listing, typing, hashing,
// npm analyzers, rules or report. For the `js` bench's context figure (issue 4 names "capability
// analysis" against hashing the same files; the bench's target is the whole `scan --deep`).
//
//   node bench/js-analysis-only.mjs <dist folder> <NUL-separated list of files>
//
// Prints one JSON line: files, bytes, facts, parse fallbacks, and the milliseconds from the first
// read to the last result (the process's own start-up and module loading are not in it; the
// threads' start is).
import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';

const [distArg, listPath] = process.argv.slice(2);
if (!distArg || !listPath) {
  console.error('usage: node bench/js-analysis-only.mjs <dist folder> <NUL-separated list of files>');
  process.exit(2);
}
const dist = pathToFileURL(resolve(distArg)).href;
// The V8 settings the CLI gives itself (heap and compiler), as a scan has them.
const { applyV8Policy } = await import(`${dist}/core/v8-policy.js`);
applyV8Policy();
const { createJsCapabilitiesAnalyzer } = await import(`${dist}/analyzers/js/analyzer.js`);
const { sharedJsExtractPool } = await import(`${dist}/analyzers/js/extract-pool.js`);
const { textTypeByName } = await import(`${dist}/core/detected-type.js`);

const paths = (await readFile(listPath, 'utf8')).split('\0').filter(Boolean);
const analyzer = createJsCapabilitiesAnalyzer();
/** Files read and in analysis at once: about what a scan's walk keeps in flight. */
const IN_FLIGHT = 64;

const started = performance.now();
let next = 0;
let bytes = 0;
let facts = 0;
let fallbacks = 0;
async function lane() {
  while (next < paths.length) {
    const path = paths[next++];
    const content = await readFile(path);
    bytes += content.length;
    const name = path.slice(path.lastIndexOf('/') + 1);
    const view = {
      name,
      size: content.length,
      type: textTypeByName(name) ?? 'javascript',
      sha256: '',
      read: async () => content,
    };
    const result = await analyzer.analyze(view, { limits: {} });
    facts += result.facts.length;
    if (result.facts.some((fact) => fact.kind === 'js.file' && fact.parsed === 'fallback')) fallbacks++;
  }
}
await Promise.all(Array.from({ length: IN_FLIGHT }, lane));
const ms = performance.now() - started;
await sharedJsExtractPool()?.close();
console.log(JSON.stringify({ files: paths.length, bytes, facts, fallbacks, ms: Math.round(ms) }));
