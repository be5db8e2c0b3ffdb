import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import type { DetectedType } from '../core/detected-type.js';
import type { NodePath } from '../core/node-path.js';
import type { ByteRange, NodeView } from '../core/plugin.js';
import { detectType, SNIFF_BYTES } from '../formats/magic.js';

/** Clamps a requested range to a node of `size` bytes. */
export function clampRange(size: number, range?: ByteRange): { start: number; end: number } {
  if (!range) return { start: 0, end: size };
  const start = Math.min(Math.max(0, range.offset), size);
  const end = Math.min(size, start + Math.max(0, range.length));
  return { start, end };
}

/**
 * A NodeView over bytes held in memory: small unpacked entries, and plugin tests.
 * `path` defaults to `name`; `type` defaults to what the bytes sniff as.
 */
export function memoryNode(
  bytes: Uint8Array,
  options: { name: string; path?: NodePath; depth?: number; type?: DetectedType; sha256?: string },
): NodeView {
  const data = bytes;
  return {
    path: options.path ?? (options.name as NodePath),
    name: options.name,
    size: data.length,
    depth: options.depth ?? 0,
    type: options.type ?? detectType(data.subarray(0, SNIFF_BYTES), options.name, data.length),
    head: data.subarray(0, SNIFF_BYTES),
    sha256: options.sha256 ?? createHash('sha256').update(data).digest('hex'),
    async read(range?: ByteRange): Promise<Uint8Array> {
      const { start, end } = clampRange(data.length, range);
      return data.subarray(start, end);
    },
    stream(range?: ByteRange): Readable {
      const { start, end } = clampRange(data.length, range);
      return Readable.from([Buffer.from(data.buffer, data.byteOffset + start, end - start)], {
        objectMode: false,
      });
    },
  };
}
