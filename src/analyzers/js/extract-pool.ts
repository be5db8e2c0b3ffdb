import type { Worker } from 'node:worker_threads';
import { CountersignError } from '../../core/errors.js';
import { startModuleWorker } from '../../core/module-worker.js';
import { defaultThreads } from '../../core/threads.js';
import type { ExtractLimits } from './context.js';
import type { ExtractResult, JsLang } from './extract.js';
import type { ExtractRequest, ExtractResponse } from './extract-worker.js';

export interface PooledExtractOptions {
  readonly filename: string;
  readonly lang: JsLang;
  readonly limits: ExtractLimits;
}

interface Pending {
  readonly bytes: number;
  resolve(result: ExtractResult): void;
  reject(error: Error): void;
}

interface PoolWorker {
  readonly worker: Worker;
  readonly pending: Map<number, Pending>;
  /** Requests not posted yet: they go together, one message per batch (see `flush`). */
  outbox: ExtractRequest[];
  outboxBytes: number;
  queuedBytes: number;
}

/** Workers with nothing to do are stopped after this long: a server must not keep their heaps. */
const IDLE_MS = 5_000;

/**
 * A batch is posted at the end of the event-loop turn that queued it, or earlier once it holds
 * this many files or bytes. One message per file cost the main thread ~120 µs each, as much as
 * reading the file (node_modules: 6,756 messages, 0.8 s of its CPU profile).
 */
const BATCH_FILES = 64;
const BATCH_BYTES = 4 * 1024 * 1024;

/**
 * A pool of extraction threads shared by every scan in the process (starting a thread and loading
 * the parser costs more than a small file's whole analysis, so scans must not each pay for it).
 * Jobs go to the thread with the fewest bytes queued. Threads keep the process alive only while
 * they hold a job, and stop after a few idle seconds, so nobody has to close the pool.
 */
export class JsExtractPool {
  private readonly workers: PoolWorker[] = [];
  private nextId = 1;
  private idleTimer: NodeJS.Timeout | undefined;

  constructor(readonly size: number) {}

  extract(bytes: Uint8Array, options: PooledExtractOptions): Promise<ExtractResult> {
    const entry = this.pick();
    const id = this.nextId++;
    return new Promise<ExtractResult>((resolve, reject) => {
      if (entry.pending.size === 0) entry.worker.ref();
      entry.pending.set(id, { bytes: bytes.byteLength, resolve, reject });
      entry.queuedBytes += bytes.byteLength;
      const request: ExtractRequest = { id, bytes, ...options };
      if (entry.outbox.length === 0) setImmediate(() => this.flush(entry));
      entry.outbox.push(request);
      entry.outboxBytes += bytes.byteLength;
      if (entry.outbox.length >= BATCH_FILES || entry.outboxBytes >= BATCH_BYTES) this.flush(entry);
      this.cancelIdleStop();
    });
  }

  /** Posts what the worker's outbox holds, if anything (a flush scheduled earlier may find it empty). */
  private flush(entry: PoolWorker): void {
    if (entry.outbox.length === 0) return;
    const batch = entry.outbox;
    entry.outbox = [];
    entry.outboxBytes = 0;
    entry.worker.postMessage(batch);
  }

  /** Stops every thread now; jobs still running fail. Later calls start new threads. */
  async close(): Promise<void> {
    this.cancelIdleStop();
    const workers = this.workers.splice(0);
    for (const entry of workers)
      this.failAll(entry, new CountersignError('E_INTERNAL', 'JavaScript pool closed'));
    await Promise.all(workers.map((entry) => entry.worker.terminate()));
  }

  private pick(): PoolWorker {
    if (this.workers.length < this.size) {
      const idle = this.workers.find((entry) => entry.pending.size === 0);
      if (idle) return idle;
      return this.start();
    }
    let best = this.workers[0]!;
    for (const entry of this.workers) if (entry.queuedBytes < best.queuedBytes) best = entry;
    return best;
  }

  private start(): PoolWorker {
    // Parsing makes young garbage fast: a young generation of 16 MB semi-spaces, as V8 would grow
    // it to (see holdInitialSemiSpace).
    const worker = startModuleWorker(import.meta.url, 'extract-worker', { semiSpaceMb: 16 });
    const entry: PoolWorker = { worker, pending: new Map(), outbox: [], outboxBytes: 0, queuedBytes: 0 };
    worker.unref();
    worker.on('message', (responses: ExtractResponse[]) => {
      for (const response of responses) this.onResponse(entry, response);
    });
    const lost = (reason: string) => {
      this.remove(entry);
      this.failAll(entry, new CountersignError('E_PLUGIN_FAILED', `JavaScript analysis thread ${reason}`));
    };
    worker.on('error', (error) => lost(`failed: ${error.message}`));
    worker.on('exit', (code) => {
      if (entry.pending.size > 0) lost(`exited with code ${code}`);
      else this.remove(entry);
    });
    this.workers.push(entry);
    return entry;
  }

  private onResponse(entry: PoolWorker, response: ExtractResponse) {
    const pending = entry.pending.get(response.id);
    if (!pending) return;
    entry.pending.delete(response.id);
    entry.queuedBytes -= pending.bytes;
    if (entry.pending.size === 0) {
      entry.worker.unref();
      this.scheduleIdleStop();
    }
    if ('error' in response) pending.reject(new CountersignError('E_PLUGIN_FAILED', response.error));
    else pending.resolve(response.result);
  }

  private failAll(entry: PoolWorker, error: Error) {
    for (const pending of entry.pending.values()) pending.reject(error);
    entry.pending.clear();
    entry.outbox = [];
    entry.outboxBytes = 0;
    entry.queuedBytes = 0;
  }

  private remove(entry: PoolWorker) {
    const at = this.workers.indexOf(entry);
    if (at !== -1) this.workers.splice(at, 1);
  }

  private scheduleIdleStop() {
    if (this.idleTimer || this.workers.some((entry) => entry.pending.size > 0)) return;
    this.idleTimer = setTimeout(() => {
      this.idleTimer = undefined;
      if (this.workers.every((entry) => entry.pending.size === 0)) void this.close();
    }, IDLE_MS);
    this.idleTimer.unref();
  }

  private cancelIdleStop() {
    if (!this.idleTimer) return;
    clearTimeout(this.idleTimer);
    this.idleTimer = undefined;
  }
}

let shared: JsExtractPool | undefined;

/** The process-wide pool (undefined when configured to 0 threads). */
export function sharedJsExtractPool(): JsExtractPool | undefined {
  const size = defaultThreads();
  if (size === 0) return undefined;
  if (!shared || shared.size !== size) shared = new JsExtractPool(size);
  return shared;
}
