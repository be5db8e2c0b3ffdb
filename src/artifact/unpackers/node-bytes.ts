import { Readable } from 'node:stream';
import type { ContentView } from '../../core/plugin.js';

/** Read size for streaming a node: large enough for throughput, small enough to keep memory flat. */
export const READ_CHUNK_BYTES = 256 * 1024;

/** Yields the bytes of `node` in [start, end) chunk by chunk, through `node.read` (works for memory and disk nodes). */
export async function* nodeChunks(
  node: ContentView,
  start: number,
  end: number = node.size,
  chunkBytes: number = READ_CHUNK_BYTES,
): AsyncGenerator<Buffer> {
  let position = Math.max(0, start);
  const stop = Math.min(end, node.size);
  while (position < stop) {
    const bytes = await node.read({ offset: position, length: Math.min(chunkBytes, stop - position) });
    if (bytes.length === 0) return; // the node is shorter than it said: callers detect the shortfall
    position += bytes.length;
    yield Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length);
  }
}

/** A byte stream (not object mode) over [start, end) of a node. */
export function nodeReadable(node: ContentView, start: number, end: number = node.size): Readable {
  return Readable.from(nodeChunks(node, start, end), { objectMode: false });
}

/** Reads exactly `length` bytes at `offset`, or fewer when the node ends first. */
export async function readAt(node: ContentView, offset: number, length: number): Promise<Uint8Array> {
  if (offset >= node.size || length <= 0) return new Uint8Array(0);
  return node.read({ offset, length: Math.min(length, node.size - offset) });
}
