import { closeSync, createReadStream, openSync, readSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { Readable } from 'node:stream';
import type { ByteRange, ContentView, NodeHead, NodeView } from '../core/plugin.js';

/** Clamps a requested range to a node of `size` bytes. */
export function clampRange(size: number, range?: ByteRange): { start: number; end: number } {
  if (!range) return { start: 0, end: size };
  const start = Math.min(Math.max(0, range.offset), size);
  const end = Math.min(size, start + Math.max(0, range.length));
  return { start, end };
}

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

/** Reads up to this size are done synchronously on a cached descriptor: a zip's directory is many tiny reads. */
const SYNC_READ_BYTES = 1024 * 1024;
const MAX_OPEN_FILES = 64;

/**
 * Open descriptors of the files a scan reads, most recently used kept (at most 64), so that the
 * thousands of small reads an archive's directory takes do not each open and close the file.
 */
export class OpenFiles {
  private readonly descriptors = new Map<string, number>();

  descriptor(path: string): number {
    const cached = this.descriptors.get(path);
    if (cached !== undefined) {
      this.descriptors.delete(path);
      this.descriptors.set(path, cached);
      return cached;
    }
    const fd = openSync(path, 'r');
    this.descriptors.set(path, fd);
    if (this.descriptors.size > MAX_OPEN_FILES) {
      const [oldestPath, oldest] = this.descriptors.entries().next().value as [string, number];
      this.descriptors.delete(oldestPath);
      closeSync(oldest);
    }
    return fd;
  }

  read(path: string, offset: number, length: number): Uint8Array {
    return readDescriptorRange(this.descriptor(path), offset, length);
  }

  closeAll(): void {
    for (const fd of this.descriptors.values()) closeSync(fd);
    this.descriptors.clear();
  }
}

/** Reads a file range asynchronously; fewer bytes when the file ends first. */
export async function readFileRange(path: string, offset: number, length: number): Promise<Uint8Array> {
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

/** `readFileRange`, synchronously: for small reads, where the promise form's round trips cost more. */
export function readFileRangeSync(path: string, offset: number, length: number): Uint8Array {
  const fd = openSync(path, 'r');
  try {
    return readDescriptorRange(fd, offset, length);
  } finally {
    closeSync(fd);
  }
}

/** Reads `length` bytes at `position` of an open file, synchronously; fewer when the file ends first. */
export function readDescriptorRange(fd: number, position: number, length: number): Buffer {
  const buffer = Buffer.allocUnsafe(length);
  let done = 0;
  while (done < length) {
    const n = readSync(fd, buffer, done, length - done, position + done);
    if (n === 0) break;
    done += n;
  }
  return buffer.subarray(0, done);
}

export function readSource(source: ContentSource, range?: ByteRange, files?: OpenFiles): Promise<Uint8Array> {
  const { start, end } = clampRange(sourceLength(source), range);
  if (source.kind === 'memory') return Promise.resolve(source.bytes.subarray(start, end));
  if (files && end - start <= SYNC_READ_BYTES) {
    try {
      return Promise.resolve(files.read(source.path, source.offset + start, end - start));
    } catch (error) {
      return Promise.reject(error);
    }
  }
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

export function contentView(head: NodeHead, source: ContentSource, files?: OpenFiles): ContentView {
  return {
    ...head,
    read: (range) => readSource(source, range, files),
    stream: (range) => streamSource(source, range),
  };
}

export function nodeView(head: NodeHead, source: ContentSource, sha256: string, files?: OpenFiles): NodeView {
  return { ...contentView(head, source, files), sha256 };
}
