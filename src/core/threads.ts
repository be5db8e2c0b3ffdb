import { availableParallelism } from 'node:os';
import { CountersignError } from './errors.js';

/**
 * Helper threads a process may use for hashing and for JavaScript analysis (each pool sizes itself
 * by it): `COUNTERSIGN_THREADS` when set, else one per core, at most 8. 0 keeps all the work on the
 * calling thread: a `countersign worker` process is then one core's worth, and throughput grows by
 * starting one worker per core.
 */
export function defaultThreads(env: NodeJS.ProcessEnv = process.env): number {
  const configured = env.COUNTERSIGN_THREADS;
  if (configured === undefined || configured === '') return Math.max(1, Math.min(cores(), 8));
  const value = Number(configured);
  if (!Number.isInteger(value) || value < 0 || value > 64)
    throw new CountersignError(
      'E_USAGE',
      `COUNTERSIGN_THREADS must be a whole number from 0 to 64, not ${configured}`,
    );
  return value;
}

let coreCount: number | undefined;

/**
 * The cores this process may run on, asked once: the JavaScript analyzer sizes its pool by
 * `defaultThreads()` for every file, and each `availableParallelism()` is a system call (64 ms of
 * the main thread's time over node_modules' 6,700 files).
 */
function cores(): number {
  coreCount ??= availableParallelism();
  return coreCount;
}
