import { Readable } from 'node:stream';
import { crc32, createInflateRaw } from 'node:zlib';
import { CountersignError } from '../../core/errors.js';
import type { ContentView } from '../../core/plugin.js';
import { toArchiveError } from './archive-errors.js';
import { isGzipMagic, MAX_GZIP_HEADER_BYTES, parseGzipHeader } from './gzip-header.js';
import { nodeChunks, readAt } from './node-bytes.js';
import { typedStream } from './typed-stream.js';

/** Output chunk of the inflater: zlib's default 16 KiB means one thread-pool round trip per 16 KiB. */
const INFLATE_CHUNK_BYTES = 256 * 1024;

/** What decoding found besides content: bytes after the last member that are not gzip. */
export interface GunzipReport {
  members: number;
  /** Non-zero bytes after the last member: not examined, so the caller reports them as a gap. */
  trailing?: { readonly offset: number; readonly length: number };
  /** Zero bytes after the last member (tape-style padding): ignored, like `gzip -d` does. */
  zeroPadding?: number;
}

export interface GunzipOptions {
  /**
   * Stop with E_ARTIFACT_RATIO_EXCEEDED once the output passes `floorBytes` and is more than
   * `maxRatio` times the compressed size: the whole stream's ratio, which the per-entry check of
   * the engine cannot see when one gzip stream holds many tar entries.
   */
  readonly ratio?: { readonly maxRatio: number; readonly floorBytes: number };
}

/** Scans [offset, end) for a non-zero byte, chunk by chunk (bounded memory, however long the tail). */
async function firstNonZero(node: ContentView, offset: number): Promise<number | undefined> {
  let position = offset;
  for await (const chunk of nodeChunks(node, offset)) {
    const index = chunk.findIndex((byte) => byte !== 0);
    if (index !== -1) return position + index;
    position += chunk.length;
  }
  return undefined;
}

/** Inflates one member's deflate data starting at `dataStart`; returns the compressed length it consumed. */
async function* inflateMember(
  node: ContentView,
  dataStart: number,
  onChunk: (chunk: Buffer) => void,
): AsyncGenerator<Buffer, number> {
  const inflate = createInflateRaw({ chunkSize: INFLATE_CHUNK_BYTES });
  const input = Readable.from(nodeChunks(node, dataStart), { objectMode: false });
  input.on('error', (error) => inflate.destroy(error));
  input.pipe(inflate);
  try {
    for await (const chunk of inflate as AsyncIterable<Buffer>) {
      onChunk(chunk);
      yield chunk;
    }
  } catch (error) {
    throw toArchiveError(error, `gzip ${node.name}`);
  } finally {
    input.unpipe(inflate);
    input.destroy();
    // Writes that raced the end of the deflate stream may still error: they are not ours to report.
    inflate.on('error', () => {});
  }
  return inflate.bytesWritten;
}

/**
 * Decodes every gzip member of `node`, one after another, as a single stream of bytes (RFC 1952:
 * a multi-member file is the concatenation of its members, as `gzip -d` gives). Each member's
 * CRC-32 and ISIZE are checked. After the last member, zero padding is ignored; anything else
 * ends the stream normally and is recorded in `report.trailing` for the caller to report.
 */
export function gunzipNode(node: ContentView, report: GunzipReport, options: GunzipOptions = {}): Readable {
  const ratio = options.ratio;
  let produced = 0;
  const countOutput = (chunk: Buffer) => {
    produced += chunk.length;
    if (ratio && produced > ratio.floorBytes && produced > ratio.maxRatio * Math.max(1, node.size)) {
      throw new CountersignError(
        'E_ARTIFACT_RATIO_EXCEEDED',
        `gzip ${node.name}: more than ${ratio.maxRatio}:1 decompressed (${produced} bytes from ${node.size})`,
        { details: { produced, compressed: node.size, maxRatio: ratio.maxRatio } },
      );
    }
  };

  async function* members(): AsyncGenerator<Buffer> {
    let position = 0;
    while (position < node.size) {
      const head = await readAt(node, position, MAX_GZIP_HEADER_BYTES);
      if (report.members > 0 && !isGzipMagic(head)) {
        const nonZero = await firstNonZero(node, position);
        if (nonZero === undefined) {
          report.zeroPadding = node.size - position;
        } else {
          report.trailing = { offset: position, length: node.size - position };
        }
        return;
      }
      const header = parseGzipHeader(head);
      const dataStart = position + header.length;
      let crc = 0;
      let size = 0;
      const member = inflateMember(node, dataStart, (chunk) => {
        countOutput(chunk);
        crc = crc32(chunk, crc);
        size += chunk.length;
      });
      let step = await member.next();
      while (!step.done) {
        yield step.value;
        step = await member.next();
      }
      const trailerAt = dataStart + step.value;
      const trailer = await readAt(node, trailerAt, 8);
      if (trailer.length < 8) {
        throw new CountersignError('E_ARCHIVE_TRUNCATED', `gzip ${node.name}: member trailer cut short`, {
          details: { offset: trailerAt },
        });
      }
      const view = new DataView(trailer.buffer, trailer.byteOffset, 8);
      if (view.getUint32(0, true) !== crc >>> 0 || view.getUint32(4, true) !== size % 2 ** 32) {
        throw new CountersignError(
          'E_ARCHIVE_CORRUPT',
          `gzip ${node.name}: CRC-32 or size mismatch in member`,
          {
            details: { member: report.members, offset: position },
          },
        );
      }
      report.members++;
      position = trailerAt + 8;
    }
  }

  return typedStream(Readable.from(members(), { objectMode: false }), (error) =>
    toArchiveError(error, `gzip ${node.name}`),
  );
}
