import type { VetReleaseInput, VetReleaseOutcome, VetReleaseStage } from '../pipeline/vet-release.js';
import type { BlobStore, IntelSourceRecord, Store } from '../store/types.js';
import { importIntelHandler } from './import-intel-handler.js';
import { StoreFactsCache } from './store-facts-cache.js';
import type { ImportIntelJob, JobContext, JobQueue, VetReleaseJob } from './types.js';
import { vetReleaseHandler } from './vet-release-handler.js';

export interface WorkerOptions {
  readonly store: Store;
  readonly blobs: BlobStore;
  readonly queue: JobQueue;
  /** vet-release jobs run at once in this process (default 1). */
  readonly concurrency?: number;
  readonly scan?: VetReleaseInput['scan'];
  /** Each stage a vet reaches, with the job it belongs to (logs; the kill -9 test pauses here). */
  readonly onStage?: (
    stage: VetReleaseStage,
    job: VetReleaseJob,
    context: JobContext,
  ) => void | Promise<void>;
  readonly onOutcome?: (outcome: VetReleaseOutcome, job: VetReleaseJob, context: JobContext) => void;
  readonly onIntelImported?: (source: IntelSourceRecord, rejected: number, context: JobContext) => void;
  /** Before each import-intel attempt (the restart test pauses here; a stop aborts `context.signal`). */
  readonly onIntelImportStart?: (job: ImportIntelJob, context: JobContext) => void | Promise<void>;
}

export interface RunningWorker {
  /** Graceful: running vets get `graceMs` to finish, the rest go back to the queue. */
  stop(options?: { graceMs?: number }): Promise<void>;
}

/** A worker process's job loop: consumes vet-release and import-intel jobs until stopped. */
export async function startWorker(options: WorkerOptions): Promise<RunningWorker> {
  const { queue } = options;
  await queue.start();
  await queue.work(
    'vet-release',
    async (job, context) => {
      // What analyzers said about each content goes to the store, so that any worker vetting N+1
      // finds N's unchanged files analysed already (unless the caller brought its own cache).
      const facts = options.scan?.analysisCache ? undefined : new StoreFactsCache(options.store);
      try {
        await vetReleaseHandler({
          store: options.store,
          blobs: options.blobs,
          scan: { ...options.scan, ...(facts ? { analysisCache: facts } : {}) },
          ...(options.onStage ? { onStage: (stage) => options.onStage?.(stage, job, context) } : {}),
          ...(options.onOutcome
            ? { onOutcome: (outcome) => options.onOutcome?.(outcome, job, context) }
            : {}),
        })(job, context);
      } finally {
        // A failed vet's analyses are still right: keep them for the retry.
        await facts?.flush().catch(() => undefined);
      }
    },
    { concurrency: options.concurrency ?? 1 },
  );
  // Imports are short and rare: one at a time per process is plenty.
  await queue.work('import-intel', async (job, context) => {
    await options.onIntelImportStart?.(job, context);
    return importIntelHandler({
      store: options.store,
      blobs: options.blobs,
      ...(options.onIntelImported
        ? { onImported: (source, rejected) => options.onIntelImported?.(source, rejected, context) }
        : {}),
    })(job, context);
  });
  return {
    stop: (stopOptions) => queue.stop(stopOptions),
  };
}
