/**
 * Worker thread of a file hunt: reads each file once, hashes it with only the algorithms the
 * loaded hash indicators use, and runs the YARA rules over the same bytes. One worker per core;
 * the main thread walks the tree, hands out batches of paths and matches the results.
 */
import { createHash, type Hash } from 'node:crypto';
import { closeSync, constants, fstatSync, openSync, readSync } from 'node:fs';
import { basename } from 'node:path';
import { parentPort } from 'node:worker_threads';
import type { HashType } from '../intel/ioc/types.js';
import type { YaraRuleSet } from '../intel/yara/compile.js';
import type { YaraRuleMatch } from '../intel/yara/scan.js';

/** The YARA modules (and the native engine) are loaded only by a hunt that has rules. */
type YaraScan = typeof import('../intel/yara/scan.js');

export type HuntWorkerRequest =
  | {
      readonly op: 'init';
      readonly algorithms: readonly HashType[];
      readonly yaraText?: string;
      /** Files up to this size are read whole (default 64 MiB); tests lower it to reach the streamed path. */
      readonly wholeFileBytes?: number;
      /**
       * The hash values the indicators list (lowercase hex): a file none of whose digests is listed,
       * that no rule matched and that read fine comes back as `null`, so that 50,000 clean files
       * cost the main thread no messages to decode. Absent: every file's digests come back.
       */
      readonly wanted?: readonly string[];
    }
  | { readonly op: 'batch'; readonly id: number; readonly paths: readonly string[] };

export interface HuntFileResult {
  readonly path: string;
  readonly size: number;
  readonly digests: Partial<Record<HashType, string>>;
  readonly yara: readonly YaraRuleMatch[];
  /** Why the file was not (fully) looked at: not a regular file any more, unreadable, YARA failed. */
  readonly problem?: string;
}

export type HuntWorkerResponse =
  | {
      readonly id: number;
      /** One per path of the batch, in order; `null`: nothing to report (see `wanted`). */
      readonly results: readonly (HuntFileResult | null)[];
      /** Bytes read for the whole batch. */
      readonly bytes: number;
    }
  | { readonly id: number; readonly error: string };

/** Files up to this size are read whole (one read serves the hashes and YARA); larger ones stream. */
const WHOLE_FILE_BYTES = 64 * 1024 * 1024;
let wholeFileBytes = WHOLE_FILE_BYTES;
let wanted: ReadonlySet<string> | undefined;
const CHUNK_BYTES = 4 * 1024 * 1024;
/**
 * Never block on a FIFO swapped in after the walk, never follow a link swapped in for a file:
 * the file is checked again (fstat) once open.
 */
const OPEN_FLAGS = constants.O_RDONLY | constants.O_NONBLOCK | constants.O_NOFOLLOW;

let algorithms: readonly HashType[] = [];
let rules: YaraRuleSet | undefined;
let yaraScan: YaraScan | undefined;
/** Batches wait for `init` to finish (it may load the YARA engine). */
let ready: Promise<void> = Promise.resolve();
let buffer = Buffer.allocUnsafe(1024 * 1024);

function bufferOf(size: number): Buffer {
  if (buffer.length < size) buffer = Buffer.allocUnsafe(Math.max(size, buffer.length * 2));
  return buffer;
}

function finish(hashes: readonly Hash[]): Partial<Record<HashType, string>> {
  const out: Partial<Record<HashType, string>> = {};
  hashes.forEach((hash, index) => {
    out[algorithms[index]!] = hash.digest('hex');
  });
  return out;
}

function huntFile(path: string): HuntFileResult {
  let fd: number;
  try {
    fd = openSync(path, OPEN_FLAGS);
  } catch (error) {
    return { path, size: 0, digests: {}, yara: [], problem: `cannot open: ${(error as Error).message}` };
  }
  try {
    const info = fstatSync(fd);
    if (!info.isFile()) return { path, size: 0, digests: {}, yara: [], problem: 'no longer a regular file' };
    const size = info.size;
    const hashes = algorithms.map((algorithm) => createHash(algorithm));
    const context = { name: basename(path), path };
    if (size <= wholeFileBytes) {
      const bytes = bufferOf(size);
      let read = 0;
      while (read < size) {
        const n = readSync(fd, bytes, read, size - read, read);
        if (n === 0) break; // shrank since fstat: what is there is what we judge
        read += n;
      }
      const content = bytes.subarray(0, read);
      for (const hash of hashes) hash.update(content);
      let yara: YaraRuleMatch[] = [];
      let problem: string | undefined;
      if (rules && read > 0) {
        try {
          yara = yaraScan!.scanWithYara(rules, content, context);
        } catch (error) {
          problem = `YARA scan failed: ${(error as Error).message}`;
        }
      }
      return { path, size: read, digests: finish(hashes), yara, ...(problem ? { problem } : {}) };
    }
    const chunk = bufferOf(CHUNK_BYTES);
    let position = 0;
    while (position < size) {
      const n = readSync(fd, chunk, 0, Math.min(CHUNK_BYTES, size - position), position);
      if (n === 0) break;
      const view = chunk.subarray(0, n);
      for (const hash of hashes) hash.update(view);
      position += n;
    }
    let yara: YaraRuleMatch[] = [];
    let problem: string | undefined;
    if (rules) {
      try {
        yara = yaraScan!.scanFileWithYara(rules, path, context);
      } catch (error) {
        problem = `YARA scan failed: ${(error as Error).message}`;
      }
    }
    return { path, size: position, digests: finish(hashes), yara, ...(problem ? { problem } : {}) };
  } catch (error) {
    return { path, size: 0, digests: {}, yara: [], problem: `cannot read: ${(error as Error).message}` };
  } finally {
    closeSync(fd);
  }
}

/** The result with only the listed digests, or null when it has nothing to report. */
function reportable(result: HuntFileResult): HuntFileResult | null {
  if (wanted === undefined) return result;
  const digests: Partial<Record<HashType, string>> = {};
  let isListed = false;
  for (const [algorithm, hex] of Object.entries(result.digests) as [HashType, string][]) {
    if (wanted.has(hex)) {
      digests[algorithm] = hex;
      isListed = true;
    }
  }
  if (!isListed && result.yara.length === 0 && result.problem === undefined) return null;
  return { ...result, digests };
}

async function init(request: Extract<HuntWorkerRequest, { op: 'init' }>): Promise<void> {
  algorithms = request.algorithms;
  wholeFileBytes = request.wholeFileBytes ?? WHOLE_FILE_BYTES;
  wanted = request.wanted ? new Set(request.wanted) : undefined;
  if (request.yaraText === undefined) return;
  const [{ compileYaraText }, scanModule] = await Promise.all([
    import('../intel/yara/compile.js'),
    import('../intel/yara/scan.js'),
  ]);
  yaraScan = scanModule;
  rules = compileYaraText(request.yaraText);
}

parentPort?.on('message', (request: HuntWorkerRequest) => {
  if (request.op === 'init') {
    ready = init(request);
    return;
  }
  ready
    .then(() => {
      let bytes = 0;
      const results = request.paths.map((path) => {
        const result = huntFile(path);
        bytes += result.size;
        return reportable(result);
      });
      parentPort?.postMessage({ id: request.id, results, bytes } satisfies HuntWorkerResponse);
    })
    .catch((error: Error) => {
      parentPort?.postMessage({ id: request.id, error: error.message } satisfies HuntWorkerResponse);
    });
});
