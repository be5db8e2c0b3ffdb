import { createRequire } from 'node:module';

/** The parts of the `tlsh` package (a CommonJS port of Trend Micro's TLSH) used here. */
interface TlshDigest {
  calculateDifference(other: TlshDigest, lengthDiff: boolean): number;
}
type HashFunction = (data: string) => string;
type DigestBuilder = new () => { withHash(hash: string): { build(): TlshDigest } };

const require = createRequire(import.meta.url);
const hash = require('tlsh') as HashFunction;
const Builder = require('tlsh/lib/digests/digest-hash-builder.js') as DigestBuilder;

/** TLSH needs at least this many bytes (and some variety) to say anything. */
export const TLSH_MIN_BYTES = 512;

/**
 * The TLSH digest of some bytes, or undefined when TLSH cannot hash them (fewer than 512 bytes,
 * or too little variety, e.g. all zeros). The port reads a string of char codes: latin1 keeps
 * one char per byte.
 */
export function tlshOf(bytes: Uint8Array): string | undefined {
  if (bytes.length < TLSH_MIN_BYTES) return undefined;
  try {
    return hash(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('latin1'));
  } catch {
    // InsufficientComplexityError: no digest, which is an answer, not a failure.
    return undefined;
  }
}

/** TLSH distance of two digests (length difference included): 0 identical, >200 unrelated. */
export function tlshDistance(a: string, b: string): number {
  return new Builder().withHash(a).build().calculateDifference(new Builder().withHash(b).build(), true);
}
