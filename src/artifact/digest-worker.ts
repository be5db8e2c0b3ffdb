/**
 * Worker thread: hashes and measures content off the main thread, so that unpacking (main thread
 * and zlib's pool) and hashing run on both cores at once.
 */
import { closeSync, openSync, readSync } from 'node:fs';
import { parentPort } from 'node:worker_threads';
import type { DetectedType } from '../core/detected-type.js';
import { isCountersignError } from '../core/errors.js';
import type { ZipMemberLocation } from '../core/plugin.js';
import type { DigestAlgorithm } from '../core/scan-result.js';
import { detectType, SNIFF_BYTES } from '../formats/magic.js';
import { ContentDigester, type PartialDigest } from './content-digest.js';
import { readDescriptorRange } from './content-source.js';
import type { RingSlice } from './shared-ring.js';
import { dataStartOf, decodeMember, LOCAL_HEADER_BYTES } from './unpackers/zip-member.js';

/** Bytes to hash: posted with the message, or a slice of the ring shared with the main thread. */
export type Payload = Uint8Array | RingSlice;

export type DigestRequest =
  | {
      op: 'file';
      id: number;
      path: string;
      offset: number;
      length: number;
      algorithms: DigestAlgorithm[];
      /** The part of the range whose bytes this job counts (absolute file offsets). */
      histogram?: { offset: number; length: number };
    }
  /** Byte counts only, of some ranges of a file (absolute offsets, in order). */
  | { op: 'count'; id: number; path: string; ranges: Array<{ offset: number; length: number }> }
  | { op: 'bytes'; id: number; bytes: Payload; algorithms: DigestAlgorithm[] }
  /** Many small contents in one message: `bytes` is their concatenation, `sizes` their lengths. */
  | { op: 'batch'; id: number; bytes: Payload; sizes: number[]; algorithms: DigestAlgorithm[] }
  | { op: 'open'; id: number; algorithms: DigestAlgorithm[] }
  /**
   * `count: false`: hash the bytes but leave them out of this share's histogram. Answered with
   * `ack` (the length) for posted bytes, `freed` (the slice) for ring slices.
   */
  | { op: 'chunk'; id: number; bytes: Payload; count?: boolean }
  /** The ring this thread reads slices from (sent once, first). */
  | { op: 'ring'; id: number; buffer: SharedArrayBuffer }
  | { op: 'close'; id: number }
  /**
   * A small member of a zip that is a range of a file on disk: read, decode, check, hash and type
   * it here; the content goes back to the main thread (transferred, not copied) with the result.
   */
  | {
      op: 'zip-member';
      id: number;
      path: string;
      /** The zip's own range within the file. */
      zipOffset: number;
      zipLength: number;
      member: ZipMemberLocation;
      /** The entry's name, for type detection by name where bytes say nothing. */
      name: string;
      algorithms: DigestAlgorithm[];
      /** The types whose content the main thread wants back (`all`: every type); else only the head. */
      bytesFor: readonly DetectedType[] | 'all';
      /** How much of a content not sent back goes back as its head (0 when no plugin reads heads). */
      headBytes: number;
    };

/** What a `zip-member` request answers besides the digest. */
export interface ZipMemberResult {
  readonly size: number;
  /** The content's first SNIFF_BYTES when `bytes` is sent, else its first `headBytes`. */
  readonly head: Uint8Array;
  /** The content, when its type is one the request asked for. */
  readonly bytes?: Uint8Array;
  readonly type: DetectedType;
}

const READ_CHUNK = 1024 * 1024;
const streams = new Map<number, ContentDigester>();
let readBuffer: Buffer | undefined;
let ring: Uint8Array | undefined;

function contentOf(payload: Payload): Uint8Array {
  if (payload instanceof Uint8Array) return payload;
  if (!ring) throw new Error('no ring shared with this thread');
  return ring.subarray(payload.offset, payload.offset + payload.length);
}

/** Reads `length` bytes of an open file from `offset` through this thread's read buffer, a chunk at a time. */
function readChunks(
  fd: number,
  offset: number,
  length: number,
  onChunk: (chunk: Buffer, at: number) => void,
) {
  readBuffer ??= Buffer.allocUnsafe(READ_CHUNK);
  const end = offset + length;
  for (let position = offset; position < end; ) {
    const n = readSync(fd, readBuffer, 0, Math.min(READ_CHUNK, end - position), position);
    if (n === 0) throw new Error(`unexpected end of file at ${position}`);
    onChunk(readBuffer.subarray(0, n), position);
    position += n;
  }
}

function withFile<T>(path: string, use: (fd: number) => T): T {
  const fd = openSync(path, 'r');
  try {
    return use(fd);
  } finally {
    closeSync(fd);
  }
}

/**
 * Reads a file range and digests it. With no hashes to compute, only the histogram range is
 * read; otherwise the whole range is hashed and the histogram range counted on the way.
 */
function digestFileRange(request: Extract<DigestRequest, { op: 'file' }>): PartialDigest {
  const counted = request.histogram ?? { offset: request.offset, length: request.length };
  const countedEnd = counted.offset + counted.length;
  const hashes = request.algorithms.length > 0;
  const digester = new ContentDigester(request.algorithms);
  const [start, length] = hashes ? [request.offset, request.length] : [counted.offset, counted.length];
  withFile(request.path, (fd) =>
    readChunks(fd, start, length, (chunk, at) => {
      if (hashes) digester.update(chunk, false);
      const from = Math.max(at, counted.offset);
      const to = Math.min(at + chunk.length, countedEnd);
      if (to > from) digester.countOnly(chunk.subarray(from - at, to - at));
    }),
  );
  // A job given its counted range (a share of a split job, or an entry lending its counts to its
  // container) sends its histogram, to be added to others.
  return request.histogram ? digester.finishPartial() : digester.finishWhole();
}

function countFileRanges(request: Extract<DigestRequest, { op: 'count' }>): PartialDigest {
  const digester = new ContentDigester([]);
  withFile(request.path, (fd) => {
    for (const range of request.ranges)
      readChunks(fd, range.offset, range.length, (chunk) => digester.countOnly(chunk));
  });
  return digester.finishPartial();
}

/**
 * The zip members come from: kept open across its members (thousands of them), one at a time.
 * Node closes it when the thread stops (workers track the descriptors they open).
 */
let openZip: { readonly path: string; readonly fd: number } | undefined;

function zipFile(path: string): number {
  if (openZip?.path === path) return openZip.fd;
  if (openZip) closeSync(openZip.fd);
  openZip = { path, fd: openSync(path, 'r') };
  return openZip.fd;
}

function zipMember(
  request: Extract<DigestRequest, { op: 'zip-member' }>,
): { result: PartialDigest } & ZipMemberResult {
  const { member, zipOffset, zipLength } = request;
  const fd = zipFile(request.path);
  const headerLength = Math.max(0, Math.min(LOCAL_HEADER_BYTES, zipLength - member.localHeaderOffset));
  const local = readDescriptorRange(fd, zipOffset + member.localHeaderOffset, headerLength);
  const dataStart = dataStartOf(local, member, zipLength);
  const content = decodeMember(readDescriptorRange(fd, zipOffset + dataStart, member.compressedSize), member);
  const digester = new ContentDigester(request.algorithms);
  digester.update(content);
  const type = detectType(content.subarray(0, SNIFF_BYTES), request.name, content.length);
  if (request.bytesFor !== 'all' && !request.bytesFor.includes(type)) {
    // Not wanted back: only a copy of its head crosses over. A content sent to the main thread
    // lives until that thread's collector runs, which on a 20,000-member zip kept tens of MB
    // of this thread's allocations alive for nothing.
    return {
      result: digester.finishWhole(),
      size: content.length,
      // A copy of its own: `content` may be a Buffer, whose `slice` is a view, and a view posted
      // to another thread takes its whole buffer along (the full member, every time).
      head: new Uint8Array(content.subarray(0, request.headBytes)),
      type,
    };
  }
  // Its own buffer, so that it can be transferred whole.
  const bytes =
    content.byteOffset === 0 && content.byteLength === content.buffer.byteLength
      ? content
      : new Uint8Array(content);
  return {
    result: digester.finishWhole(),
    size: bytes.length,
    head: bytes.subarray(0, SNIFF_BYTES),
    bytes,
    type,
  };
}

function whole(bytes: Uint8Array, algorithms: DigestAlgorithm[]): PartialDigest {
  const digester = new ContentDigester(algorithms);
  digester.update(bytes);
  return digester.finishWhole();
}

parentPort?.on('message', (request: DigestRequest) => {
  try {
    switch (request.op) {
      case 'file':
        parentPort?.postMessage({
          id: request.id,
          result: digestFileRange(request),
        });
        break;
      case 'count':
        parentPort?.postMessage({ id: request.id, result: countFileRanges(request) });
        break;
      case 'ring':
        ring = new Uint8Array(request.buffer);
        break;
      case 'bytes':
        parentPort?.postMessage({
          id: request.id,
          result: whole(contentOf(request.bytes), request.algorithms),
        });
        break;
      case 'batch': {
        const results: PartialDigest[] = [];
        const bytes = contentOf(request.bytes);
        let offset = 0;
        for (const size of request.sizes) {
          results.push(whole(bytes.subarray(offset, offset + size), request.algorithms));
          offset += size;
        }
        parentPort?.postMessage({ id: request.id, result: results });
        break;
      }
      case 'open':
        streams.set(request.id, new ContentDigester(request.algorithms));
        break;
      case 'chunk': {
        const bytes = contentOf(request.bytes);
        streams.get(request.id)?.update(bytes, request.count ?? true);
        parentPort?.postMessage(
          request.bytes instanceof Uint8Array
            ? { id: request.id, ack: bytes.length }
            : { id: request.id, freed: request.bytes },
        );
        break;
      }
      case 'zip-member': {
        const { result, size, head, bytes, type } = zipMember(request);
        parentPort?.postMessage(
          { id: request.id, result, size, head, bytes, type },
          bytes ? [bytes.buffer as ArrayBuffer] : [],
        );
        break;
      }
      case 'close': {
        const digester = streams.get(request.id);
        streams.delete(request.id);
        if (digester) parentPort?.postMessage({ id: request.id, result: digester.finishPartial() });
        break;
      }
    }
  } catch (error) {
    parentPort?.postMessage({
      id: request.id,
      error: error instanceof Error ? error.message : String(error),
      ...(isCountersignError(error) ? { code: error.code } : {}),
    });
  }
});
