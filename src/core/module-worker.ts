import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { Worker, type WorkerOptions } from 'node:worker_threads';
import { holdInitialSemiSpace, reapplyV8Policy } from './v8-policy.js';

/**
 * Starts a worker thread on a module that sits next to the caller: `sibling` is the caller's
 * `import.meta.url` and `name` the module's base name without extension. Built code runs the `.js`
 * file; under the TypeScript sources (tests run them directly) the worker is a `.ts` file, so a
 * small bootstrap registers tsx's loader inside the worker before importing it.
 */
export function startModuleWorker(
  sibling: string,
  name: string,
  options: WorkerOptions & {
    /** Semi-space size its young generation starts with (MB), under the CLI's heap policy. */
    readonly semiSpaceMb?: number;
  } = {},
): Worker {
  const { semiSpaceMb, ...workerOptions } = options;
  const release = semiSpaceMb === undefined ? undefined : holdInitialSemiSpace(semiSpaceMb);
  const worker = newModuleWorker(sibling, name, workerOptions);
  // 'online' comes once the thread runs code, so after its isolate's heap was set up.
  worker.once('online', () => {
    release?.();
    reapplyV8Policy();
  });
  if (release) {
    worker.once('error', release);
    worker.once('exit', release);
  }
  return worker;
}

function newModuleWorker(sibling: string, name: string, options: WorkerOptions): Worker {
  if (!sibling.endsWith('.ts')) return new Worker(new URL(`./${name}.js`, sibling), options);
  const tsxRoot = dirname(createRequire(sibling).resolve('tsx/package.json'));
  const tsxApi = pathToFileURL(join(tsxRoot, 'dist/esm/api/index.mjs')).href;
  const workerModule = new URL(`./${name}.ts`, sibling).href;
  const bootstrap = `import(${JSON.stringify(tsxApi)}).then(({ register }) => { register(); return import(${JSON.stringify(workerModule)}); });`;
  return new Worker(bootstrap, { ...options, eval: true });
}
