import { createHash, type Hash } from 'node:crypto';
import type { DigestAlgorithm, Digests } from '../core/scan-result.js';
import { countBytes, sumTables, TABLE_WORDS } from './byte-histogram.js';

/** What one pass over a node's bytes yields. */
export interface ContentDigest {
  readonly size: number;
  readonly digests: Digests;
  /** Shannon entropy in bits per byte. */
  readonly entropy: number;
  /** Count of `\n` bytes: the line count of text, with `endsWithNewline`. */
  readonly newlines: number;
  readonly endsWithNewline: boolean;
}

/**
 * One worker's share of a digest: some hashes over the whole content and/or the byte histogram
 * of a part of it. Histograms add up, so a large file's work can be split across cores.
 */
export interface PartialDigest {
  readonly size: number;
  readonly digests: Partial<Record<DigestAlgorithm, string>>;
  /** Byte counts (256 entries), when this part counted bytes. */
  readonly histogram?: number[];
  /** The last byte this part counted (-1 when none). */
  readonly lastByte: number;
  /**
   * What the histogram says, in place of it, when this part is the whole content (see
   * `finishWhole`): three numbers cross between threads instead of 256.
   */
  readonly measures?: ContentMeasures;
}

/** What a whole content's byte histogram says. */
export interface ContentMeasures {
  readonly entropy: number;
  readonly newlines: number;
  readonly endsWithNewline: boolean;
}

/**
 * Hashes and measures bytes incrementally in one read: the requested digests and a byte
 * histogram (entropy, and the newline count for free).
 */
export class ContentDigester {
  private readonly hashes: Array<[DigestAlgorithm, Hash]>;
  // Interleaved tables of 256 counters (see byte-histogram.ts), folded into totals.
  private readonly tables = new Uint32Array(TABLE_WORDS);
  /** Totals the 32-bit counters are folded into before they could overflow. */
  private readonly totals = new Float64Array(256);
  private countedSinceFold = 0;
  private size = 0;
  private lastByte = -1;
  private isCounting: boolean;

  constructor(algorithms: readonly DigestAlgorithm[], options: { histogram?: boolean } = {}) {
    this.hashes = [...new Set(algorithms)].map((algorithm) => [algorithm, createHash(algorithm)]);
    this.isCounting = options.histogram ?? true;
  }

  /** Feeds bytes to the hashes and, unless `countBytes` is false, to the histogram. */
  update(chunk: Uint8Array, countBytes = true): void {
    if (chunk.length === 0) return;
    for (const [, hash] of this.hashes) hash.update(chunk);
    this.size += chunk.length;
    if (countBytes && this.isCounting) this.count(chunk);
  }

  /** Counts bytes without hashing them (a histogram-only share of a split job). */
  countOnly(chunk: Uint8Array): void {
    if (this.isCounting) this.count(chunk);
  }

  private count(chunk: Uint8Array): void {
    if (chunk.length === 0) return;
    // Integer counters are about twice as fast as float ones; fold them well before 2^32.
    if (this.countedSinceFold + chunk.length > 0x40000000) this.fold();
    this.countedSinceFold += chunk.length;
    countBytes(this.tables, chunk);
    this.lastByte = chunk[chunk.length - 1]!;
  }

  private fold(): void {
    sumTables(this.tables, this.totals);
    this.tables.fill(0);
    this.countedSinceFold = 0;
  }

  finishPartial(): PartialDigest {
    const digests = this.hexDigests();
    if (!this.isCounting) return { size: this.size, digests, lastByte: this.lastByte };
    this.fold();
    return { size: this.size, digests, histogram: Array.from(this.totals), lastByte: this.lastByte };
  }

  /**
   * The digest of a content this digester saw and counted whole, with the histogram reduced to
   * its measures where the bytes were counted. A thread that digests a whole zip member or file
   * sends this: 46,000 members' histograms were 46,000 arrays of 256 numbers for the main thread
   * to take apart and collect.
   */
  finishWhole(): PartialDigest {
    const digests = this.hexDigests();
    if (!this.isCounting) return { size: this.size, digests, lastByte: this.lastByte };
    this.fold();
    return {
      size: this.size,
      digests,
      lastByte: this.lastByte,
      measures: measuresOf(this.totals, this.size, this.lastByte),
    };
  }

  private hexDigests(): Partial<Record<DigestAlgorithm, string>> {
    const digests: Partial<Record<DigestAlgorithm, string>> = {};
    for (const [algorithm, hash] of this.hashes) digests[algorithm] = hash.digest('hex');
    return digests;
  }

  finish(): ContentDigest {
    return combineDigests([this.finishWhole()], this.size);
  }
}

/**
 * Joins the shares of one content's digest: hashes from whichever part computed them, the
 * histograms summed (in content order, so the last part's last byte is the content's).
 */
export function combineDigests(parts: readonly PartialDigest[], size: number): ContentDigest {
  const found: Partial<Record<DigestAlgorithm, string>> = {};
  for (const part of parts) Object.assign(found, part.digests);
  const digests = exactDigests(found);
  const measured = parts.length === 1 ? parts[0]!.measures : undefined;
  if (measured) return { size, digests, ...measured };
  const histogram = new Float64Array(256);
  let lastByte = -1;
  for (const part of parts) {
    if (part.measures)
      throw new Error("internal: a whole content's measures cannot be joined with other parts");
    if (part.histogram) {
      for (let b = 0; b < 256; b++) histogram[b]! += part.histogram[b]!;
      if (part.lastByte !== -1) lastByte = part.lastByte;
    }
  }
  return { size, digests, ...measuresOf(histogram, size, lastByte) };
}

/**
 * The digests as an object of exactly the computed fields: one made by adding fields to `{}`
 * keeps room for more, 56 bytes instead of 32 for the usual lone sha256, on every node.
 */
export function exactDigests(found: Partial<Record<DigestAlgorithm, string>>): Digests {
  const { sha256, sha1, md5 } = found;
  if (sha256 === undefined) throw new Error('internal: no part computed sha256');
  if (sha1 === undefined && md5 === undefined) return { sha256 };
  if (md5 === undefined) return { sha256, sha1 };
  if (sha1 === undefined) return { sha256, md5 };
  return { sha256, sha1, md5 };
}

/** Entropy (bits per byte, to four places) and newlines from the byte counts of a content. */
export function measuresOf(histogram: ArrayLike<number>, size: number, lastByte: number): ContentMeasures {
  let entropy = 0;
  for (let b = 0; b < 256; b++) {
    const n = histogram[b]!;
    if (n > 0) {
      const p = n / size;
      entropy -= p * Math.log2(p);
    }
  }
  return {
    entropy: Math.round(entropy * 10_000) / 10_000,
    newlines: histogram[10]!,
    endsWithNewline: lastByte === 10,
  };
}

export function digestBytes(bytes: Uint8Array, algorithms: readonly DigestAlgorithm[]): ContentDigest {
  const digester = new ContentDigester(withSha256(algorithms));
  digester.update(bytes);
  return digester.finish();
}

export function withSha256(algorithms: readonly DigestAlgorithm[]): DigestAlgorithm[] {
  return [...new Set<DigestAlgorithm>(['sha256', ...algorithms])];
}

/** Lines of text as editors count them: a last line without `\n` still counts. */
export function lineCount(digest: Pick<ContentDigest, 'size' | 'newlines' | 'endsWithNewline'>): number {
  if (digest.size === 0) return 0;
  return digest.newlines + (digest.endsWithNewline ? 0 : 1);
}
