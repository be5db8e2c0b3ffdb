/**
 * Bounds on unpacking. Every archive is hostile until proven otherwise: these keep a scan finite
 * in depth, count, bytes and memory. All are configurable; the defaults suit release artifacts.
 */
export interface Limits {
  /** Deepest nesting level unpacked (the input itself is depth 0). */
  readonly maxDepth: number;
  /** Most nodes in one scan, across all inputs. */
  readonly maxFiles: number;
  /** Most bytes produced by unpacking, across all inputs. */
  readonly maxTotalBytes: number;
  /** Largest single unpacked entry. */
  readonly maxFileBytes: number;
  /** Largest uncompressed/compressed ratio for one entry, checked once the entry passes `ratioFloorBytes`. */
  readonly maxCompressionRatio: number;
  /** Entries smaller than this are never judged by ratio (tiny files compress absurdly well). */
  readonly ratioFloorBytes: number;
  /** Entries up to this size are held in memory; larger ones go to a scratch file when they must be kept. */
  readonly inMemoryBytes: number;
}

const MiB = 1024 * 1024;
const GiB = 1024 * MiB;

export const DEFAULT_LIMITS: Limits = Object.freeze({
  maxDepth: 32,
  maxFiles: 200_000,
  maxTotalBytes: 16 * GiB,
  maxFileBytes: 4 * GiB,
  maxCompressionRatio: 200,
  ratioFloorBytes: 1 * MiB,
  inMemoryBytes: 8 * MiB,
});

export function resolveLimits(overrides: Partial<Limits> | undefined): Limits {
  return Object.freeze({ ...DEFAULT_LIMITS, ...overrides });
}
