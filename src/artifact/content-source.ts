import { createReadStream } from 'node:fs';
import { open } from 'node:fs/promises';
import { Readable } from 'node:stream';
import type { ByteRange, ContentView, NodeHead, NodeView } from '../core/plugin.js';
import { clampRange } from './memory-node.js';

/**
 * Where a node's bytes live: a range of a file on disk (an input, or a scratch file holding an
 * unpacked entry too large for memory), or memory (small unpacked entries).
 */
export type ContentSource =
  | { readonly kind: 'file'; readonly path: string; readonly offset: number; readonly length: number }
  | { readonly kind: 'memory'; readonly bytes: Uint8Array };

export function sourceLength(source: ContentSource): number {
  return source.kind === 'file' ? source.length : source.bytes.length;
}

async function readFileRange(path: string, offset: number, length: number): Promise<Uint8Array> {
  const handle = await open(path, 'r');
  try {
    const buffer = Buffer.allocUnsafe(length);
    let done = 0;
    while (done < length) {
      const { bytesRead } = await handle.read(buffer, done, length - done, offset + done);
      if (bytesRead === 0) break;
      done += bytesRead;
    }
    return buffer.subarray(0, done);
  } finally {
    await handle.close();
  }
}

export function readSource(source: ContentSource, range?: ByteRange): Promise<Uint8Array> {
  const { start, end } = clampRange(sourceLength(source), range);
  if (source.kind === 'memory') return Promise.resolve(source.bytes.subarray(start, end));
  return readFileRange(source.path, source.offset + start, end - start);
}

export function streamSource(source: ContentSource, range?: ByteRange): Readable {
  const { start, end } = clampRange(sourceLength(source), range);
  if (source.kind === 'memory') {
    const bytes = source.bytes.subarray(start, end);
    return Readable.from([Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length)]);
  }
  if (end === start) return Readable.from([]);
  return createReadStream(source.path, {
    start: source.offset + start,
    end: source.offset + end - 1,
    highWaterMark: 1024 * 1024,
  });
}

export function contentView(head: NodeHead, source: ContentSource): ContentView {
  return {
    ...head,
    read: (range) => readSource(source, range),
    stream: (range) => streamSource(source, range),
  };
}

export function nodeView(head: NodeHead, source: ContentSource, sha256: string): NodeView {
  return { ...contentView(head, source), sha256 };
}
