import type { Readable } from 'node:stream';
import { CountersignError } from '../../core/errors.js';
import type { ArchiveEntry, ContentView, PluginContext, Unpacker } from '../../core/plugin.js';
import { detectType } from '../../formats/magic.js';
import { type GunzipOptions, type GunzipReport, gunzipNode } from './gunzip.js';
import { MAX_GZIP_HEADER_BYTES, parseGzipHeader } from './gzip-header.js';
import { readAt } from './node-bytes.js';
import { unpackTarStream } from './tar.js';

const TAR_BLOCK = 512;

/** `x.tgz` -> `x.tar`, `notes.txt.gz` -> `notes.txt`; a name without a known suffix is kept as is. */
export function innerNameFor(outerName: string): string {
  if (/\.(tgz|taz)$/i.test(outerName)) return outerName.replace(/\.(tgz|taz)$/i, '.tar');
  const stripped = outerName.replace(/([.\-_]gz|\.z)$/i, '');
  return stripped.length > 0 ? stripped : outerName;
}

/** The first `count` decompressed bytes (fewer if the content is shorter or broken: the caller decides). */
async function peekDecompressed(node: ContentView, count: number): Promise<Uint8Array> {
  const stream = gunzipNode(node, { members: 0 });
  const chunks: Buffer[] = [];
  let total = 0;
  try {
    for await (const chunk of stream as AsyncIterable<Buffer>) {
      chunks.push(chunk);
      total += chunk.length;
      if (total >= count) break;
    }
  } catch {
    // A broken stream is reported when the entry is read; here it simply is not a tar.
  } finally {
    stream.destroy();
  }
  return Buffer.concat(chunks).subarray(0, count);
}

function trailingError(node: ContentView, report: GunzipReport): CountersignError | undefined {
  if (!report.trailing) return undefined;
  const { offset, length } = report.trailing;
  return new CountersignError(
    'E_ARCHIVE_CORRUPT',
    `gzip ${node.name}: ${length} bytes after the last gzip member (at offset ${offset}) were not examined`,
    { details: { offset, length } },
  );
}

function ratioGuard(ctx: PluginContext): GunzipOptions {
  const limits = ctx.limits;
  if (!limits) return {};
  return { ratio: { maxRatio: limits.maxCompressionRatio, floorBytes: limits.ratioFloorBytes } };
}

/**
 * unpacker/gzip. A gzip holding a tar (`.tgz`, npm packages) yields the tar's entries directly,
 * so `x.tgz!/package/index.js` rather than `x.tgz!/x.tar!/package/index.js`. Anything else is one
 * entry, named from the header's FNAME or from the outer name.
 *
 * Decisions: multi-member files decode as the concatenation of their members (RFC 1952, like
 * `gzip -d`); zero padding after the last member is ignored; any other trailing bytes are not
 * content we examined, so once the entries are out the unpacker throws E_ARCHIVE_CORRUPT with
 * their offset and length, which the engine records as a coverage gap on the container.
 */
export const gzipUnpacker: Unpacker = {
  id: 'unpacker/gzip',
  version: 1,
  acceptsWithoutHead: true,
  accepts: (node) => node.type === 'gzip',
  async *unpack(node, ctx): AsyncGenerator<ArchiveEntry> {
    const header = parseGzipHeader(await readAt(node, 0, MAX_GZIP_HEADER_BYTES));
    const innerName = header.fileName || innerNameFor(node.name);
    const options = ratioGuard(ctx);
    const head = await peekDecompressed(node, TAR_BLOCK);
    const report: GunzipReport = { members: 0 };

    if (head.length >= TAR_BLOCK && detectType(head, innerName, head.length) === 'tar') {
      yield* unpackTarStream(gunzipNode(node, report, options), {
        context: `tar inside gzip ${node.name}`,
        isStored: false,
      });
    } else {
      yield {
        name: innerName,
        kind: 'file',
        compressedSize: node.size,
        ...(header.mtime ? { mtime: header.mtime } : {}),
        open: async (): Promise<Readable> => gunzipNode(node, report, options),
      };
    }
    const trailing = trailingError(node, report);
    if (trailing) throw trailing;
  },
};
