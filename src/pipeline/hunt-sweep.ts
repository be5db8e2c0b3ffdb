import type { Dirent } from 'node:fs';
import { lstat, readdir } from 'node:fs/promises';
import { availableParallelism } from 'node:os';
import { basename, join, resolve } from 'node:path';
import type { Worker } from 'node:worker_threads';
import type { TreeProgress } from '../artifact/engine.js';
import type { CoverageGap } from '../core/coverage.js';
import { CountersignError } from '../core/errors.js';
import { startModuleWorker } from '../core/module-worker.js';
import type { NodePath } from '../core/node-path.js';
import type { HashType } from '../intel/ioc/types.js';
import type { HuntFileResult, HuntWorkerRequest, HuntWorkerResponse } from './hunt-worker.js';

/**
 * The fast path of `hunt` over plain files (no `--deep`): a walk that never follows links and
 * skips sockets, FIFOs and devices, feeding worker threads (one per core) that read each file once
 * for its hashes and the YARA rules. Only the hash algorithms the indicators use are computed, and
 * nothing else (no type sniffing, entropy or tree), which is what makes it several times faster
 * than a scan of the same files.
 */

export interface SweepWork {
  readonly algorithms: readonly HashType[];
  /** Rule text compiled once per worker (`YaraRuleSet.text`). */
  readonly yaraText?: string;
  /** Largest file read whole; larger ones are streamed and scanned from disk (tests lower it). */
  readonly wholeFileBytes?: number;
  /**
   * Only these digests (lowercase hex) matter: a file's other digests are not passed on. Absent:
   * every digest of every file is.
   */
  readonly wanted?: readonly string[];
}

export interface SweepOptions {
  /** Keeps a file by its path relative to its input (`/` separators), or its name. */
  readonly keep?: (relativePath: string) => boolean;
  readonly onProgress?: (progress: TreeProgress) => void;
  readonly signal?: AbortSignal;
  /** Worker threads (default: the available cores, at most 8). */
  readonly workers?: number;
}

/** One file looked at: its node path in the report (`<input name>/<relative path>`) and results. */
export interface SweptFile extends Omit<HuntFileResult, 'size'> {
  readonly node: NodePath;
}

export interface SweepResult {
  readonly files: number;
  readonly bytes: number;
  readonly gaps: readonly CoverageGap[];
}

/** Paths per message: enough that messaging is noise, few enough that both cores stay busy to the end. */
const BATCH_FILES = 64;
/** Batches given to a worker before it answers: it never waits for the main thread. */
const BATCHES_IN_FLIGHT = 4;
const PROGRESS_EVERY_FILES = 256;

interface Pending {
  readonly path: string;
  readonly node: NodePath;
}

function startWorker(): Worker {
  return startModuleWorker(import.meta.url, 'hunt-worker');
}

/** Sweeps the inputs; `onFile` gets each file's result as it arrives (in no particular order). */
export async function sweepFiles(
  inputs: readonly string[],
  work: SweepWork,
  onFile: (file: SweptFile) => void,
  options: SweepOptions = {},
): Promise<SweepResult> {
  const roots: { absolute: string; name: string; isDirectory: boolean }[] = [];
  for (const input of inputs) {
    const absolute = resolve(input);
    let info: Awaited<ReturnType<typeof lstat>>;
    try {
      info = await lstat(absolute);
    } catch (error) {
      throw new CountersignError('E_INPUT_NOT_FOUND', `${input}: cannot read: ${(error as Error).message}`, {
        cause: error,
      });
    }
    // A link or a special file given as an input is not followed or read either.
    if (info.isDirectory() || info.isFile())
      roots.push({ absolute, name: basename(absolute), isDirectory: info.isDirectory() });
  }

  const queue: Pending[] = [];
  const gaps: CoverageGap[] = [];
  let files = 0;
  let bytes = 0;
  let walked = 0;
  let isWalking = true;
  let failure: Error | undefined;
  const count = Math.max(1, Math.min(options.workers ?? availableParallelism(), 8));
  const workers = Array.from({ length: count }, () => ({
    worker: startWorker(),
    inFlight: new Map<number, Pending[]>(),
  }));
  let nextId = 1;
  let settle: () => void = () => undefined;
  const finished = new Promise<void>((resolvePromise) => {
    settle = resolvePromise;
  });

  const isDone = () =>
    (!isWalking || failure !== undefined) &&
    (queue.length === 0 || failure !== undefined) &&
    workers.every((entry) => entry.inFlight.size === 0);

  const dispatch = () => {
    if (failure === undefined && !options.signal?.aborted) {
      for (const entry of workers) {
        while (
          entry.inFlight.size < BATCHES_IN_FLIGHT &&
          (queue.length >= BATCH_FILES || (!isWalking && queue.length > 0))
        ) {
          const batch = queue.splice(0, BATCH_FILES);
          const id = nextId++;
          entry.inFlight.set(id, batch);
          entry.worker.postMessage({
            op: 'batch',
            id,
            paths: batch.map((item) => item.path),
          } satisfies HuntWorkerRequest);
        }
      }
    }
    if (options.signal?.aborted && failure === undefined) {
      failure = new CountersignError('E_INTERNAL', 'hunt aborted');
    }
    if (isDone()) settle();
  };

  for (const entry of workers) {
    entry.worker.postMessage({
      op: 'init',
      algorithms: [...work.algorithms],
      ...(work.yaraText !== undefined ? { yaraText: work.yaraText } : {}),
      ...(work.wholeFileBytes !== undefined ? { wholeFileBytes: work.wholeFileBytes } : {}),
      ...(work.wanted !== undefined ? { wanted: work.wanted } : {}),
    } satisfies HuntWorkerRequest);
    entry.worker.on('message', (response: HuntWorkerResponse) => {
      const batch = entry.inFlight.get(response.id);
      entry.inFlight.delete(response.id);
      if ('error' in response) {
        failure ??= new CountersignError('E_INTERNAL', `hunt worker failed: ${response.error}`);
      } else if (batch) {
        response.results.forEach((result, index) => {
          const { path, node } = batch[index]!;
          if (result === null) {
            onFile({ path, node, digests: {}, yara: [] });
            return;
          }
          if (result.problem !== undefined) {
            gaps.push({ node, code: 'E_INPUT_UNREADABLE', stage: 'read', message: result.problem });
          }
          const { size: _size, ...rest } = result;
          onFile({ ...rest, node });
        });
        files += batch.length;
        bytes += response.bytes;
        if (
          options.onProgress &&
          Math.floor(files / PROGRESS_EVERY_FILES) !==
            Math.floor((files - batch.length) / PROGRESS_EVERY_FILES)
        ) {
          // Progress by files: sizes are known only once the workers have read them.
          options.onProgress({
            nodes: files,
            bytes,
            inputBytes: isWalking ? 0 : walked,
            inputBytesDone: files,
            current: batch.at(-1)?.path ?? '',
          });
        }
      }
      dispatch();
    });
    entry.worker.on('error', (error) => {
      failure ??= error;
      entry.inFlight.clear();
      dispatch();
    });
  }

  const enqueue = (path: string, node: NodePath) => {
    queue.push({ path, node });
    walked += 1;
    if (queue.length >= BATCH_FILES) dispatch();
  };
  const keep = options.keep ?? (() => true);
  const walk = async (directory: string, relative: string, rootName: string): Promise<void> => {
    if (failure !== undefined || options.signal?.aborted) return;
    let entries: Dirent[];
    try {
      entries = await readdir(directory, { withFileTypes: true });
    } catch (error) {
      gaps.push({
        node: (relative ? `${rootName}/${relative}` : rootName) as NodePath,
        code: 'E_INPUT_UNREADABLE',
        stage: 'read',
        message: `cannot list the folder: ${(error as Error).message}`,
      });
      return;
    }
    entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    for (const entry of entries) {
      const childRelative = relative ? `${relative}/${entry.name}` : entry.name;
      // Links are never followed, in or out of the tree; sockets, FIFOs and devices have no content.
      if (entry.isDirectory()) await walk(join(directory, entry.name), childRelative, rootName);
      else if (entry.isFile() && keep(childRelative))
        enqueue(join(directory, entry.name), `${rootName}/${childRelative}` as NodePath);
    }
  };

  try {
    for (const root of roots) {
      if (root.isDirectory) await walk(root.absolute, '', root.name);
      else if (keep(root.name)) enqueue(root.absolute, root.name as NodePath);
    }
  } catch (error) {
    failure ??= error as Error;
  } finally {
    isWalking = false;
    dispatch();
  }
  await finished;
  await Promise.all(workers.map((entry) => entry.worker.terminate()));
  if (failure) throw failure;
  return { files, bytes, gaps };
}
