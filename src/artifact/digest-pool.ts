import type { Worker } from 'node:worker_threads';
import type { DetectedType } from '../core/detected-type.js';
import { CountersignError, isErrorCode } from '../core/errors.js';
import { startModuleWorker } from '../core/module-worker.js';
import type { ByteRange, ZipMemberLocation } from '../core/plugin.js';
import type { DigestAlgorithm, Digests } from '../core/scan-result.js';
import { defaultThreads } from '../core/threads.js';
import { ACCEPTS_HEAD_BYTES } from '../formats/magic.js';
import {
  type ContentDigest,
  ContentDigester,
  combineDigests,
  digestBytes,
  exactDigests,
  type PartialDigest,
  withSha256,
} from './content-digest.js';
import { readFileRange } from './content-source.js';
import type { DigestRequest, Payload } from './digest-worker.js';
import { type RingSlice, SharedRing } from './shared-ring.js';

/** Below this, hashing on the main thread is cheaper than batching it to a worker (the main thread is the scarce one). */
const INLINE_BYTES = 2 * 1024;
/** Bytes posted to one worker and not yet hashed; past this, producers wait (bounded memory). */
const MAX_IN_FLIGHT_BYTES = 32 * 1024 * 1024;

/** File ranges at least this large are split across two workers (hashes on one, bytes counted on both). */
const SPLIT_BYTES = 16 * 1024 * 1024;

/** Relative cost per byte measured on this class of machine: md5 is the slowest hash. */
const COST: Record<DigestAlgorithm, number> = { md5: 1.4, sha1: 0.55, sha256: 0.6 };
const HISTOGRAM_COST = 1.2;

/** Read size when hashing on the calling thread. */
const INLINE_CHUNK_BYTES = 1024 * 1024;

/** An incremental digest on the calling thread. */
function inlineStream(algorithms: readonly DigestAlgorithm[]): StreamDigest {
  const digester = new ContentDigester(algorithms);
  return {
    update: async (chunk) => digester.update(chunk),
    finish: async () => digester.finish(),
    abort: () => undefined,
  };
}

/**
 * Each worker's shared ring: what is posted to it for hashing is copied here instead of into a
 * buffer per message (see shared-ring.ts). Also the most such bytes a worker has waiting.
 */
const RING_BYTES = 4 * 1024 * 1024;

/** Small contents are sent in batches of up to this many bytes: one message instead of hundreds. */
const BATCH_BYTES = 1024 * 1024;
const BATCH_COUNT = 512;

interface BatchItem {
  /** The bytes until the batch is joined; then only their length is kept (the caller's buffer may be a slice of a much larger one). */
  bytes: Uint8Array | undefined;
  readonly size: number;
  resolve(result: ContentDigest): void;
  reject(error: Error): void;
}

interface Pending {
  resolve(result: unknown): void;
  reject(error: Error): void;
}

/** What a hashing worker posts back. */
interface WorkerMessage {
  readonly id: number;
  readonly result?: PartialDigest;
  readonly error?: string;
  readonly code?: string;
  readonly ack?: number;
  /** A `chunk` answer: the ring slice it was in, now free. */
  readonly freed?: RingSlice;
  /** `zip-member` answers: the size, head, content (when asked for) and type. */
  readonly size?: number;
  readonly head?: Uint8Array;
  readonly bytes?: Uint8Array;
  readonly type?: DetectedType;
}

/** A zip member decoded, checked and hashed by a worker. */
export interface DecodedZipMember {
  readonly digest: ContentDigest;
  readonly size: number;
  /**
   * Its first SNIFF_BYTES with `bytes`, else its first `headBytes` (by default ACCEPTS_HEAD_BYTES,
   * enough for `accepts`).
   */
  readonly head: Uint8Array;
  /** The content, when its type was one asked for. */
  readonly bytes?: Uint8Array;
  readonly type: DetectedType;
}

interface PoolWorker {
  readonly worker: Worker;
  readonly ring: SharedRing;
  inFlightBytes: number;
  jobs: number;
  drainWaiters: Array<() => void>;
}

/** An incremental digest whose hashing runs in a worker. */
export interface StreamDigest {
  /** Resolves when the chunk is accepted (waits while the worker is too far behind). */
  update(chunk: Uint8Array): Promise<void>;
  finish(): Promise<ContentDigest>;
  /** Drops the digest (the stream failed). */
  abort(): void;
}

/** Byte counts of some bytes (256 entries) and the last of those bytes (-1 when none). */
export interface ByteCounts {
  readonly histogram: number[];
  readonly lastByte: number;
}

/** The hashes of a content whose byte counts come separately (`DigestPool.hashFile`). */
export interface HashedContent {
  readonly size: number;
  readonly digests: Digests;
}

/** Adds up the counts of parts given in content order (the last part that counted gives the last byte). */
function sumCounts(parts: ReadonlyArray<{ histogram?: readonly number[]; lastByte: number }>): ByteCounts {
  const histogram = new Array<number>(256).fill(0);
  let lastByte = -1;
  for (const part of parts) {
    if (!part.histogram) continue;
    for (let b = 0; b < 256; b++) histogram[b]! += part.histogram[b]!;
    if (part.lastByte !== -1) lastByte = part.lastByte;
  }
  return { histogram, lastByte };
}

/** Ranges cut into two shares of about `firstBytes` and the rest, a range cut in two if need be. */
function splitRanges(ranges: readonly ByteRange[], firstBytes: number): [ByteRange[], ByteRange[]] {
  const first: ByteRange[] = [];
  const second: ByteRange[] = [];
  let taken = 0;
  for (const range of ranges) {
    const room = Math.max(0, Math.floor(firstBytes - taken));
    if (room >= range.length) first.push(range);
    else if (room === 0) second.push(range);
    else {
      first.push({ offset: range.offset, length: room });
      second.push({ offset: range.offset + room, length: range.length - room });
    }
    taken += Math.min(room, range.length);
  }
  return [first, second];
}

/**
 * Starts one hashing worker. Under the TypeScript sources (tests run them directly) the worker is a
 * `.ts` file: a small bootstrap registers tsx's loader inside the worker before importing it.
 */
function startWorker(): Worker {
  return startModuleWorker(import.meta.url, 'digest-worker');
}

/**
 * A small pool of hashing workers (one per core). Jobs go to the least-loaded worker; tiny
 * inputs are hashed inline. `close()` must be called: live workers keep the process running.
 */
export class DigestPool {
  private readonly workers: PoolWorker[] = [];
  private readonly pending = new Map<number, Pending>();
  private nextId = 1;
  private closed = false;
  private batch: BatchItem[] = [];
  private batchBytes = 0;
  private isFlushScheduled = false;

  private readonly algorithms: readonly DigestAlgorithm[];

  /** `size` 0 hashes everything on the calling thread (a worker process that is one core's worth). */
  constructor(
    algorithms: readonly DigestAlgorithm[],
    private readonly size = defaultThreads(),
  ) {
    this.algorithms = withSha256(algorithms);
  }

  /** The workers, started on first use: a scan of small files never pays for them. */
  private get live(): PoolWorker[] {
    if (this.workers.length > 0 || this.closed) return this.workers;
    for (let i = 0; i < this.size; i++) {
      const worker = startWorker();
      const ring = new SharedRing(RING_BYTES);
      worker.postMessage({ op: 'ring', id: 0, buffer: ring.buffer } satisfies DigestRequest);
      const entry: PoolWorker = { worker, ring, inFlightBytes: 0, jobs: 0, drainWaiters: [] };
      worker.on('message', (message: WorkerMessage) => this.onMessage(entry, message));
      worker.on('error', (error) => this.failAll(error));
      this.workers.push(entry);
    }
    return this.workers;
  }

  private onMessage(entry: PoolWorker, message: WorkerMessage) {
    if (message.freed !== undefined) {
      entry.ring.release(message.freed);
      return;
    }
    if (message.ack !== undefined) {
      this.release(entry, message.ack);
      return;
    }
    const pending = this.pending.get(message.id);
    if (!pending) return;
    this.pending.delete(message.id);
    entry.jobs--;
    if (message.error !== undefined)
      pending.reject(
        new CountersignError(
          message.code && isErrorCode(message.code) ? message.code : 'E_INPUT_UNREADABLE',
          message.error,
        ),
      );
    else if (message.head && message.type && message.result)
      pending.resolve({
        part: message.result,
        size: message.size,
        head: message.head,
        bytes: message.bytes,
        type: message.type,
      });
    else if (message.result) pending.resolve(message.result);
  }

  private release(entry: PoolWorker, bytes: number) {
    entry.inFlightBytes -= bytes;
    if (entry.inFlightBytes <= MAX_IN_FLIGHT_BYTES / 2) {
      const waiters = entry.drainWaiters;
      entry.drainWaiters = [];
      for (const wake of waiters) wake();
    }
  }

  private failAll(error: Error) {
    for (const pending of this.pending.values()) pending.reject(error);
    this.pending.clear();
  }

  private leastLoaded(): PoolWorker {
    const workers = this.live;
    let best = workers[0]!;
    for (const entry of workers) {
      if (entry.inFlightBytes + entry.jobs * 65536 < best.inFlightBytes + best.jobs * 65536) best = entry;
    }
    return best;
  }

  private async reserve(entry: PoolWorker, bytes: number): Promise<void> {
    while (entry.inFlightBytes > MAX_IN_FLIGHT_BYTES) {
      await new Promise<void>((resolve) => entry.drainWaiters.push(resolve));
    }
    entry.inFlightBytes += bytes;
  }

  /** Posts a request; the worker answers a PartialDigest (a PartialDigest[] for a batch). */
  private request<T = PartialDigest>(
    entry: PoolWorker,
    request: DigestRequest,
    transfer?: ArrayBuffer[],
  ): Promise<T> {
    if (this.closed) return Promise.reject(new CountersignError('E_INTERNAL', 'digest pool is closed'));
    return new Promise<T>((resolve, reject) => {
      this.pending.set(request.id, { resolve: resolve as (result: unknown) => void, reject });
      entry.jobs++;
      entry.worker.postMessage(request, transfer ?? []);
    });
  }

  /**
   * Hashes a byte range of a file on disk: the workers read it themselves. A large range is
   * split so that one big file keeps both cores busy: the hashes (sequential by nature) are shared
   * out by cost, and the histogram, which adds up, is cut where it balances the two shares.
   */
  async digestFile(path: string, offset: number, length: number): Promise<ContentDigest> {
    return combineDigests(await this.fileParts(path, offset, length, false), length);
  }

  /**
   * `digestFile`, and the byte counts behind its entropy, kept for a container whose own counts
   * are made of its entries' (see `countFileRanges`).
   */
  async digestFileCounted(
    path: string,
    offset: number,
    length: number,
  ): Promise<{ digest: ContentDigest; counts: ByteCounts }> {
    const parts = await this.fileParts(path, offset, length, true);
    return { digest: combineDigests(parts, length), counts: sumCounts(parts) };
  }

  /** The hashes of a file range without its byte counts (which come later, by other means). */
  async hashFile(path: string, offset: number, length: number): Promise<HashedContent> {
    const part =
      this.size === 0 || length <= INLINE_BYTES
        ? await this.digestFileHere(path, offset, length, this.algorithms, false)
        : await this.fileRequest(this.leastLoaded(), path, offset, length, [...this.algorithms], {
            offset,
            length: 0,
          });
    return { size: length, digests: exactDigests(part.digests) };
  }

  /**
   * The byte counts of some ranges of a file (absolute offsets, in order), on both workers when
   * there are many bytes: what a container's stored entries did not count for it.
   */
  async countFileRanges(path: string, ranges: readonly ByteRange[]): Promise<ByteCounts> {
    const total = ranges.reduce((sum, range) => sum + range.length, 0);
    if (this.size === 0) {
      const parts = [];
      for (const range of ranges)
        parts.push(await this.digestFileHere(path, range.offset, range.length, [], true));
      return sumCounts(parts);
    }
    const shares = total >= SPLIT_BYTES && this.size >= 2 ? splitRanges(ranges, total / 2) : [ranges];
    const parts = await Promise.all(
      shares.map((share, index) =>
        this.request<PartialDigest>(shares.length > 1 ? this.live[index]! : this.leastLoaded(), {
          op: 'count',
          id: this.nextId++,
          path,
          ranges: [...share],
        }),
      ),
    );
    return sumCounts(parts);
  }

  /**
   * The workers' shares of one file range's digest, in content order. With `keepCounts`, every
   * part keeps its byte counts (a whole range's would otherwise come back as its measures).
   */
  private async fileParts(
    path: string,
    offset: number,
    length: number,
    keepCounts: boolean,
  ): Promise<PartialDigest[]> {
    if (this.size === 0 || length <= INLINE_BYTES)
      return [await this.digestFileHere(path, offset, length, this.algorithms, true)];
    if (length < SPLIT_BYTES || this.size < 2) {
      const counted = keepCounts ? { offset, length } : undefined;
      return [
        await this.fileRequest(this.leastLoaded(), path, offset, length, [...this.algorithms], counted),
      ];
    }
    const [first, second] = this.splitHashes();
    const fraction = this.histogramFraction(first, second);
    const cut = offset + Math.floor(length * fraction);
    const [workerA, workerB] = [this.live[0]!, this.live[1]!];
    return Promise.all([
      this.fileRequest(workerA, path, offset, length, first, { offset, length: cut - offset }),
      this.fileRequest(workerB, path, offset, length, second, { offset: cut, length: offset + length - cut }),
    ]);
  }

  /**
   * One worker's `file` job: the hashes over the range, and the bytes of `counted` (absolute
   * offsets) counted, its counts then kept; without `counted`, the whole range is counted and
   * only its measures come back.
   */
  private fileRequest(
    worker: PoolWorker,
    path: string,
    offset: number,
    length: number,
    algorithms: DigestAlgorithm[],
    counted?: ByteRange,
  ): Promise<PartialDigest> {
    return this.request<PartialDigest>(worker, {
      op: 'file',
      id: this.nextId++,
      path,
      offset,
      length,
      algorithms,
      ...(counted ? { histogram: counted } : {}),
    });
  }

  /** The part of the bytes the first share counts so that both shares cost the same. */
  private histogramFraction(first: DigestAlgorithm[], second: DigestAlgorithm[]): number {
    const costOf = (share: DigestAlgorithm[]) =>
      share.reduce((total, algorithm) => total + COST[algorithm], 0);
    // first + h*x = second + h*(1-x)
    return Math.min(1, Math.max(0, (costOf(second) - costOf(first) + HISTOGRAM_COST) / (2 * HISTOGRAM_COST)));
  }

  /** Two shares of the hashes with costs as even as a greedy split makes them (most costly first). */
  private splitHashes(): [DigestAlgorithm[], DigestAlgorithm[]] {
    const shares: [DigestAlgorithm[], DigestAlgorithm[]] = [[], []];
    const costs = [0, 0];
    for (const algorithm of [...this.algorithms].sort((a, b) => COST[b] - COST[a])) {
      const target = costs[0]! <= costs[1]! ? 0 : 1;
      shares[target].push(algorithm);
      costs[target]! += COST[algorithm];
    }
    return shares;
  }

  /** Whether work goes to threads (`false`: everything runs on the calling thread). */
  get hasThreads(): boolean {
    return this.size > 0;
  }

  /**
   * A small zip member of a zip that is the range `zipOffset`+`zipLength` of the file at `path`:
   * a worker reads, decodes, checks (size, CRC-32) and hashes it, and hands the content over.
   * Rejects with the archive error (`E_ARCHIVE_CORRUPT`, `E_ARCHIVE_TRUNCATED`) when it does not decode.
   */
  async decodeZipMember(
    path: string,
    zipOffset: number,
    zipLength: number,
    member: ZipMemberLocation,
    name: string,
    bytesFor: readonly DetectedType[] | 'all' = 'all',
    headBytes = ACCEPTS_HEAD_BYTES,
  ): Promise<DecodedZipMember> {
    const entry = this.leastLoaded();
    const cost = member.compressedSize + member.uncompressedSize;
    await this.reserve(entry, cost);
    try {
      const answer = await this.request<{
        part: PartialDigest;
        size: number;
        head: Uint8Array;
        bytes?: Uint8Array;
        type: DetectedType;
      }>(entry, {
        op: 'zip-member',
        id: this.nextId++,
        path,
        zipOffset,
        zipLength,
        member,
        name,
        algorithms: [...this.algorithms],
        bytesFor,
        headBytes,
      });
      return {
        digest: combineDigests([answer.part], answer.size),
        size: answer.size,
        head: answer.head,
        ...(answer.bytes ? { bytes: answer.bytes } : {}),
        type: answer.type,
      };
    } finally {
      this.release(entry, cost);
    }
  }

  /** Hashes bytes (copied to the worker, so the caller may reuse them at once). */
  async digestBytes(bytes: Uint8Array): Promise<ContentDigest> {
    if (bytes.length <= INLINE_BYTES || this.size === 0) return digestBytes(bytes, this.algorithms);
    if (bytes.length < BATCH_BYTES) {
      return new Promise<ContentDigest>((resolve, reject) => {
        this.batch.push({ bytes, size: bytes.length, resolve, reject });
        this.batchBytes += bytes.length;
        if (this.batchBytes >= BATCH_BYTES || this.batch.length >= BATCH_COUNT) this.flushBatch();
        else if (!this.isFlushScheduled) {
          // Whatever is batched when the walk next yields goes out then: no entry waits long.
          this.isFlushScheduled = true;
          setImmediate(() => {
            this.isFlushScheduled = false;
            this.flushBatch();
          });
        }
      });
    }
    const size = bytes.length;
    const entry = this.leastLoaded();
    if (entry.ring.fits(size)) {
      const slice = await entry.ring.write([bytes], size);
      const result = this.request(entry, {
        op: 'bytes',
        id: this.nextId++,
        bytes: slice,
        algorithms: [...this.algorithms],
      });
      return result.then((part) => combineDigests([part], size)).finally(() => entry.ring.release(slice));
    }
    await this.reserve(entry, bytes.length);
    // An exact-size copy, transferred: cloning a view would copy its whole underlying buffer.
    const copy = new Uint8Array(bytes);
    const result = this.request(
      entry,
      { op: 'bytes', id: this.nextId++, bytes: copy, algorithms: [...this.algorithms] },
      [copy.buffer],
    );
    return result.then((part) => combineDigests([part], size)).finally(() => this.release(entry, size));
  }

  /**
   * Sends the batched small contents as one message, their bytes copied once into the worker's
   * ring (or, when the ring cannot take them, into one buffer of their own).
   */
  private flushBatch(): void {
    if (this.batch.length === 0) return;
    const items = this.batch;
    const total = this.batchBytes;
    this.batch = [];
    this.batchBytes = 0;
    const entry = this.leastLoaded();
    const sizes = items.map((item) => item.size);
    const hash = async (bytes: Payload) =>
      this.request<PartialDigest[]>(
        entry,
        { op: 'batch', id: this.nextId++, bytes, sizes, algorithms: [...this.algorithms] },
        bytes instanceof Uint8Array ? [bytes.buffer as ArrayBuffer] : [],
      );
    const send = async () => {
      let parts: PartialDigest[];
      if (entry.ring.fits(total)) {
        const slice = await entry.ring.write(
          items.map((item) => item.bytes!),
          total,
        );
        for (const item of items) item.bytes = undefined;
        try {
          parts = await hash(slice);
        } finally {
          entry.ring.release(slice);
        }
      } else {
        const joined = new Uint8Array(total);
        let offset = 0;
        for (const item of items) {
          joined.set(item.bytes!, offset);
          offset += item.size;
          item.bytes = undefined;
        }
        await this.reserve(entry, total);
        try {
          parts = await hash(joined);
        } finally {
          this.release(entry, total);
        }
      }
      for (const [index, item] of items.entries()) {
        item.resolve(combineDigests([parts[index]!], item.size));
      }
    };
    send().catch((error: Error) => {
      for (const item of items) item.reject(error);
    });
  }

  /** Starts an incremental digest in one worker (chunks are copied to it). */
  openStream(): StreamDigest {
    if (this.size === 0) return inlineStream(this.algorithms);
    if (this.size < 2) return this.openShare(this.leastLoaded(), [...this.algorithms], () => true);
    // Two shares, as for large files: every chunk goes to both workers; each hashes its share of
    // the algorithms, and chunks are counted by one or the other in the balancing proportion.
    const [first, second] = this.splitHashes();
    const fraction = this.histogramFraction(first, second);
    let countedFirst = 0;
    let total = 0;
    const assignments: boolean[] = [];
    const decide = (length: number) => {
      const isFirst = countedFirst <= fraction * (total + length) - length / 2;
      total += length;
      if (isFirst) countedFirst += length;
      assignments.push(isFirst);
      return isFirst;
    };
    let pendingDecision: boolean | undefined;
    const shareA = this.openShare(this.live[0]!, first, () => {
      pendingDecision = decide(lastLength);
      return pendingDecision;
    });
    const shareB = this.openShare(this.live[1]!, second, () => !pendingDecision);
    let lastLength = 0;
    return {
      update: async (chunk: Uint8Array) => {
        if (chunk.length === 0) return;
        lastLength = chunk.length;
        await shareA.update(chunk);
        await shareB.update(chunk);
      },
      finish: async () => {
        const [a, b] = await Promise.all([shareA.finishPartial(), shareB.finishPartial()]);
        return combineDigests([a, b], a.size);
      },
      abort: () => {
        shareA.abort();
        shareB.abort();
      },
    };
  }

  /** One worker's share of a streamed digest; `shouldCount` says per chunk whether it counts bytes. */
  private openShare(entry: PoolWorker, algorithms: DigestAlgorithm[], shouldCount: () => boolean) {
    const id = this.nextId++;
    entry.worker.postMessage({ op: 'open', id, algorithms } satisfies DigestRequest);
    let finished = false;
    const finishPartial = () => {
      finished = true;
      return this.request(entry, { op: 'close', id });
    };
    return {
      update: async (chunk: Uint8Array) => {
        if (chunk.length === 0) return;
        const count = shouldCount();
        if (algorithms.length === 0 && !count) return;
        if (entry.ring.fits(chunk.length)) {
          // Released when the worker answers with `freed`.
          const slice = await entry.ring.write([chunk], chunk.length);
          entry.worker.postMessage({ op: 'chunk', id, bytes: slice, count } satisfies DigestRequest);
          return;
        }
        await this.reserve(entry, chunk.length);
        const copy = new Uint8Array(chunk);
        entry.worker.postMessage({ op: 'chunk', id, bytes: copy, count } satisfies DigestRequest, [
          copy.buffer,
        ]);
      },
      finishPartial,
      finish: async () => {
        const part = await finishPartial();
        return combineDigests([part], part.size);
      },
      abort: () => {
        if (finished) return;
        finished = true;
        this.request(entry, { op: 'close', id }).catch(() => undefined);
      },
    };
  }

  /** A file range read and digested on this thread, as one part (counted or not). */
  private async digestFileHere(
    path: string,
    offset: number,
    length: number,
    algorithms: readonly DigestAlgorithm[],
    count: boolean,
  ): Promise<PartialDigest> {
    const digester = new ContentDigester(algorithms, { histogram: count });
    let position = offset;
    const end = offset + length;
    while (position < end) {
      const chunk = await readFileRange(path, position, Math.min(INLINE_CHUNK_BYTES, end - position));
      if (chunk.length === 0)
        throw new CountersignError('E_INPUT_UNREADABLE', `${path}: unexpected end of file`);
      digester.update(chunk);
      position += chunk.length;
    }
    return digester.finishPartial();
  }

  async close(): Promise<void> {
    this.closed = true;
    await Promise.all(this.workers.map((entry) => entry.worker.terminate()));
  }
}
