/**
 * Worker thread: hashes and measures content off the main thread, so that unpacking (main thread
 * and zlib's pool) and hashing run on both cores at once.
 */
import { closeSync, openSync, readSync } from 'node:fs';
import { parentPort } from 'node:worker_threads';
import type { DigestAlgorithm } from '../core/scan-result.js';
import { ContentDigester, digestBytes } from './content-digest.js';

export type DigestRequest =
  | { op: 'file'; id: number; path: string; offset: number; length: number; algorithms: DigestAlgorithm[] }
  | { op: 'bytes'; id: number; bytes: Uint8Array; algorithms: DigestAlgorithm[] }
  | { op: 'open'; id: number; algorithms: DigestAlgorithm[] }
  | { op: 'chunk'; id: number; bytes: Uint8Array }
  | { op: 'close'; id: number };

const READ_CHUNK = 1024 * 1024;
const streams = new Map<number, ContentDigester>();
let readBuffer: Buffer | undefined;

function digestFileRange(path: string, offset: number, length: number, algorithms: DigestAlgorithm[]) {
  readBuffer ??= Buffer.allocUnsafe(READ_CHUNK);
  const digester = new ContentDigester(algorithms);
  const fd = openSync(path, 'r');
  try {
    let done = 0;
    while (done < length) {
      const n = readSync(fd, readBuffer, 0, Math.min(READ_CHUNK, length - done), offset + done);
      if (n === 0) throw new Error(`unexpected end of file at ${offset + done}`);
      digester.update(readBuffer.subarray(0, n));
      done += n;
    }
  } finally {
    closeSync(fd);
  }
  return digester.finish();
}

parentPort?.on('message', (request: DigestRequest) => {
  try {
    switch (request.op) {
      case 'file':
        parentPort?.postMessage({
          id: request.id,
          result: digestFileRange(request.path, request.offset, request.length, request.algorithms),
        });
        break;
      case 'bytes':
        parentPort?.postMessage({ id: request.id, result: digestBytes(request.bytes, request.algorithms) });
        break;
      case 'open':
        streams.set(request.id, new ContentDigester(request.algorithms));
        break;
      case 'chunk':
        streams.get(request.id)?.update(request.bytes);
        parentPort?.postMessage({ id: request.id, ack: request.bytes.length });
        break;
      case 'close': {
        const digester = streams.get(request.id);
        streams.delete(request.id);
        if (digester) parentPort?.postMessage({ id: request.id, result: digester.finish() });
        break;
      }
    }
  } catch (error) {
    parentPort?.postMessage({
      id: request.id,
      error: error instanceof Error ? error.message : String(error),
    });
  }
});
