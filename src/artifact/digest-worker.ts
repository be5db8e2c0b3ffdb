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
import { dataStartOf, decodeMember, LOCAL_HEADER_BYTES } from './unpackers/zip-member.js';

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
  | { op: 'bytes'; id: number; bytes: Uint8Array; algorithms: DigestAlgorithm[] }
  /** Many small contents in one message: `bytes` is their concatenation, `sizes` their lengths. */
  | { op: 'batch'; id: number; bytes: Uint8Array; sizes: number[]; algorithms: DigestAlgorithm[] }
  | { op: 'open'; id: number; algorithms: DigestAlgorithm[] }
  /** `count: false`: hash the bytes but leave them out of this share's histogram. */
  | { op: 'chunk'; id: number; bytes: Uint8Array; count?: boolean }
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
    };

/** What a `zip-member` request answers besides the digest. */
export interface ZipMemberResult {
  readonly bytes: Uint8Array;
  readonly type: DetectedType;
}

const READ_CHUNK = 1024 * 1024;
const streams = new Map<number, ContentDigester>();
let readBuffer: Buffer | undefined;

/**
 * Reads a file range and digests it. With no hashes to compute, only the histogram range is
 * read; otherwise the whole range is hashed and the histogram range counted on the way.
 */
function digestFileRange(request: Extract<DigestRequest, { op: 'file' }>): PartialDigest {
  readBuffer ??= Buffer.allocUnsafe(READ_CHUNK);
  const counted = request.histogram ?? { offset: request.offset, length: request.length };
  const countedEnd = counted.offset + counted.length;
  const digester = new ContentDigester(request.algorithms);
  const start = request.algorithms.length > 0 ? request.offset : counted.offset;
  const end = request.algorithms.length > 0 ? request.offset + request.length : countedEnd;
  const fd = openSync(request.path, 'r');
  try {
    let position = start;
    while (position < end) {
      const n = readSync(fd, readBuffer, 0, Math.min(READ_CHUNK, end - position), position);
      if (n === 0) throw new Error(`unexpected end of file at ${position}`);
      const chunk = readBuffer.subarray(0, n);
      if (request.algorithms.length > 0) digester.update(chunk, false);
      const from = Math.max(position, counted.offset);
      const to = Math.min(position + n, countedEnd);
      if (to > from) digester.countOnly(chunk.subarray(from - position, to - position));
      position += n;
    }
  } finally {
    closeSync(fd);
  }
  return digester.finishPartial();
}

/** Reads `length` bytes at `position` (fewer at the end of the file). */
function readAt(fd: number, position: number, length: number): Buffer {
  const buffer = Buffer.allocUnsafe(length);
  let done = 0;
  while (done < length) {
    const n = readSync(fd, buffer, done, length - done, position + done);
    if (n === 0) break;
    done += n;
  }
  return buffer.subarray(0, done);
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
  const local = readAt(fd, zipOffset + member.localHeaderOffset, headerLength);
  const dataStart = dataStartOf(local, member, zipLength);
  const content = decodeMember(readAt(fd, zipOffset + dataStart, member.compressedSize), member);
  const digester = new ContentDigester(request.algorithms);
  digester.update(content);
  // Its own buffer, so that it can be transferred whole.
  const bytes =
    content.byteOffset === 0 && content.byteLength === content.buffer.byteLength
      ? content
      : new Uint8Array(content);
  return {
    result: digester.finishPartial(),
    bytes,
    type: detectType(bytes.subarray(0, SNIFF_BYTES), request.name, bytes.length),
  };
}

function whole(bytes: Uint8Array, algorithms: DigestAlgorithm[]): PartialDigest {
  const digester = new ContentDigester(algorithms);
  digester.update(bytes);
  return digester.finishPartial();
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
      case 'bytes':
        parentPort?.postMessage({ id: request.id, result: whole(request.bytes, request.algorithms) });
        break;
      case 'batch': {
        const results: PartialDigest[] = [];
        let offset = 0;
        for (const size of request.sizes) {
          results.push(whole(request.bytes.subarray(offset, offset + size), request.algorithms));
          offset += size;
        }
        parentPort?.postMessage({ id: request.id, result: results });
        break;
      }
      case 'open':
        streams.set(request.id, new ContentDigester(request.algorithms));
        break;
      case 'chunk':
        streams.get(request.id)?.update(request.bytes, request.count ?? true);
        parentPort?.postMessage({ id: request.id, ack: request.bytes.length });
        break;
      case 'zip-member': {
        const { result, bytes, type } = zipMember(request);
        parentPort?.postMessage({ id: request.id, result, bytes, type }, [bytes.buffer as ArrayBuffer]);
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
