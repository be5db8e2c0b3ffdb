import type { JobQueue } from '../jobs/types.js';
import type { BlobStore, Store } from '../store/types.js';
import type { ServerMetrics } from './metrics.js';

export interface ServerLimits {
  /** Largest artifact upload, in bytes (413 past it, nothing kept). */
  readonly maxUploadBytes: number;
  /** Largest intel file upload, in bytes. */
  readonly maxIntelBytes: number;
  /** Largest JSON request body, in bytes. */
  readonly maxJsonBytes: number;
  /** Longest a request asking to wait for its job (`?wait=true`) is held before it gets the job (202). */
  readonly maxJobWaitMs: number;
}

export const DEFAULT_LIMITS: ServerLimits = {
  maxUploadBytes: 4 * 1024 ** 3,
  maxIntelBytes: 256 * 1024 ** 2,
  maxJsonBytes: 1024 ** 2,
  maxJobWaitMs: 30_000,
};

/** What route modules get: the server's collaborators, nothing global. */
export interface RouteContext {
  readonly store: Store;
  readonly blobs: BlobStore;
  readonly queue: JobQueue;
  readonly metrics: ServerMetrics;
  readonly limits: ServerLimits;
}
