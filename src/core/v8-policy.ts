import { setFlagsFromString } from 'node:v8';

/**
 * V8 flags this process sets for itself at start-up. V8 reads each of them at run time (at every
 * collection, or at every optimising compilation), so setting them after the isolate exists
 * takes effect.
 *
 * Heap: a scan keeps little alive (~45 MB for 46,000 nodes) but allocates fast and promotes
 * garbage steadily (records and promises of members in flight), and V8's defaults let such a heap
 * grow to several times its live size:
 *
 * - `--semi-space-growth-factor=1`: the young generation keeps the size it starts with (2 MB
 *   semi-spaces) instead of growing to 16 MB ones (32 MB resident for as long as the process runs);
 * - `--heap-growing-percent=200`: a full collection once the old generation has grown to three
 *   times what the last one left alive; with a heap limit of several GB V8 would allow four.
 *
 * Measured on the 2g bench artifact (`--inventory-only`), three runs each: defaults 284-297 MB peak
 * RSS; both flags 232-237 MB in the same time (7.9-8.3 s against 7.7-8.0 s); growing percent 150
 * alone 263-270 MB; `--optimize-for-size` 175 MB at 25% more CPU time. The JavaScript analysis
 * threads, whose work is young garbage, start with a full-size young generation instead
 * (`holdInitialSemiSpace`): a `--deep` scan of this repository's node_modules peaks at 650-750 MB
 * (~810 MB with V8's defaults) in about 5% more time.
 *
 * Compiler: `--no-turbo-inlining`. The capability walk meets hundreds of object shapes (one per
 * kind of syntax node), so its optimised handlers keep meeting shapes they were not compiled for,
 * are thrown away and compiled again (`--trace-opt`: 1,163 optimising compilations, 9.8 s of
 * compile-thread time on a `--deep` scan of node_modules; one handler 35 times). Without inlining
 * each compilation is small: the same scan takes 5.3-5.7 s instead of 6.4-6.6 s and 8.9-9.1 s of
 * CPU instead of 10.8-11.1 s; analysing those files on one thread takes the same time either way
 * (4.5 s), so inlining bought nothing here but compile time.
 */
const SEMI_SPACE_FLAG = '--semi-space-growth-factor=1';
export const V8_POLICY_FLAGS: readonly string[] = [
  SEMI_SPACE_FLAG,
  '--heap-growing-percent=200',
  '--no-turbo-inlining',
];

/**
 * The flags to set: each of V8_POLICY_FLAGS that the user did not give node themselves (node
 * refuses the heap flags in NODE_OPTIONS, so its command line is the only place), in any
 * spelling: `--turbo-inlining` keeps inlining on.
 */
export function v8PolicyFlags(execArgv: readonly string[]): string[] {
  const given = execArgv.map(flagName);
  return V8_POLICY_FLAGS.filter((flag) => !given.includes(flagName(flag)));
}

/** `--heap_growing_percent=5` → `heap-growing-percent`; `--no-turbo-inlining` → `turbo-inlining`. */
function flagName(arg: string): string {
  return arg.replace(/^--/, '').split('=')[0]!.replaceAll('_', '-').replace(/^no-?/, '');
}

/** The flags `applyV8Policy` set in this process: none unless the CLI applied the policy. */
let applied: readonly string[] = [];

/** Called by the CLI at start-up; a program that embeds the library keeps its own settings. */
export function applyV8Policy(): void {
  applied = v8PolicyFlags(process.execArgv);
  for (const flag of applied) setFlagsFromString(flag);
}

/**
 * Sets the policy's flags again once a worker thread is running: V8 raises a semi-space growth
 * factor below 2 back to 2 whenever it sets up an isolate's heap, which every worker thread does,
 * and flags are shared by the whole process (measured: the main thread's young generation grew to
 * 32 MB again once the hashing threads had started).
 */
export function reapplyV8Policy(): void {
  for (const flag of applied) setFlagsFromString(flag);
}

/** Worker threads being set up with a larger young generation (see `holdInitialSemiSpace`). */
let semiSpaceHolds = 0;

/**
 * Makes the isolates set up from now on start with semi-spaces of `megabytes` (which, the growth
 * factor being 1, they keep), until the returned release is called (idempotent), once the worker
 * started in between is online. For threads whose work is young garbage by nature, parsing:
 * with 2 MB semi-spaces the JavaScript analysis threads spent 3.8 s in V8's collector on a
 * `--deep` scan of this repository's node_modules, against 2.2 s with V8's growing ones. Only
 * while the policy is applied; otherwise young generations grow as V8 sees fit anyway.
 */
export function holdInitialSemiSpace(megabytes: number): () => void {
  if (!applied.includes(SEMI_SPACE_FLAG)) return () => undefined;
  if (semiSpaceHolds++ === 0) setFlagsFromString(`--min-semi-space-size=${megabytes}`);
  let released = false;
  return () => {
    if (released) return;
    released = true;
    if (--semiSpaceHolds === 0) setFlagsFromString('--min-semi-space-size=0');
  };
}
