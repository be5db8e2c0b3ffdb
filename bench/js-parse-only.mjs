// The parser's floor under the JavaScript capability analysis: the same files, read and parsed
// into oxc's buffer by raw transfer exactly as the analysis parses them (the prefilter and the
// nesting bound choose the files, the other dialect is the retry), on as many threads as the
// analysis pool has, and nothing else: no walk, no family, no fact. For the `js` bench's context
// figure: whatever the walk and the families cost, a scan cannot analyse faster than this.
//
//   node bench/js-parse-only.mjs <dist folder> <NUL-separated list of files>
//
// Prints one JSON line: files, bytes, files and bytes parsed, threads, and the milliseconds from
// the first read to the last thread's end (thread start-up and module loading are not in it).
import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { isMainThread, parentPort, Worker, workerData } from 'node:worker_threads';

if (isMainThread) {
  const [distArg, listPath] = process.argv.slice(2);
  if (!distArg || !listPath) {
    console.error('usage: node bench/js-parse-only.mjs <dist folder> <NUL-separated list of files>');
    process.exit(2);
  }
  const dist = pathToFileURL(resolve(distArg)).href;
  const { defaultThreads } = await import(`${dist}/core/threads.js`);
  const paths = (await readFile(listPath, 'utf8')).split('\0').filter(Boolean);
  const threads = Math.max(1, defaultThreads());
  const workers = Array.from(
    { length: threads },
    (_, index) =>
      new Worker(new URL(import.meta.url), {
        workerData: { dist, paths: paths.filter((_, i) => i % threads === index) },
        // The analysis threads' stack, so that the same files parse (see extract-pool.ts).
        resourceLimits: { stackSizeMb: 16 },
      }),
  );
  const ready = workers.map((worker) => new Promise((done) => worker.once('message', done)));
  await Promise.all(ready);
  const started = performance.now();
  const results = await Promise.all(
    workers.map(
      (worker) =>
        new Promise((done, fail) => {
          worker.once('message', done);
          worker.once('error', fail);
          worker.postMessage('go');
        }),
    ),
  );
  const ms = performance.now() - started;
  await Promise.all(workers.map((worker) => worker.terminate()));
  const sum = (key) => results.reduce((total, result) => total + result[key], 0);
  console.log(
    JSON.stringify({
      files: sum('files'),
      bytes: sum('bytes'),
      parsedFiles: sum('parsedFiles'),
      parsedBytes: sum('parsedBytes'),
      threads,
      ms: Math.round(ms),
    }),
  );
} else {
  const { dist, paths } = workerData;
  const { rawParsers } = await import(`${dist}/analyzers/js/oxc-raw.js`);
  const { positionWalkAvailable } = await import(`${dist}/analyzers/js/position/walk.js`);
  const { parseToBuffer } = await import(`${dist}/analyzers/js/position/extract.js`);
  const { needsSyntaxTree } = await import(`${dist}/analyzers/js/prefilter.js`);
  const { estimateNesting, isSafeToParse } = await import(`${dist}/analyzers/js/nesting.js`);
  const { langFor } = await import(`${dist}/analyzers/js/lang.js`);
  const parsers = await rawParsers();
  if (!parsers || !positionWalkAvailable())
    throw new Error('raw transfer or the position walk is not available here');
  parentPort.postMessage('ready');
  parentPort.once('message', async () => {
    const totals = { files: 0, bytes: 0, parsedFiles: 0, parsedBytes: 0 };
    for (const path of paths) {
      const content = await readFile(path);
      totals.files++;
      totals.bytes += content.length;
      const source = content.toString('utf8');
      if (!needsSyntaxTree(source) || !isSafeToParse(estimateNesting(source))) continue;
      parseToBuffer(parsers.parseToBuffer, source, path, langFor(path));
      totals.parsedFiles++;
      totals.parsedBytes += content.length;
    }
    parentPort.postMessage(totals);
  });
}
