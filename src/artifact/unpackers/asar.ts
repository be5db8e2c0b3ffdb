import { CountersignError } from '../../core/errors.js';
import type { ArchiveEntry, ContentView, Unpacker } from '../../core/plugin.js';
import {
  ASAR_PREAMBLE_BYTES,
  type AsarEntry,
  type AsarIntegrity,
  parseAsarHeader,
  parseAsarLayout,
} from '../../formats/asar.js';
import { toArchiveError } from './archive-errors.js';
import { nodeReadable, readAt } from './node-bytes.js';
import { typedStream } from './typed-stream.js';

/**
 * An asar entry as yielded: an ArchiveEntry plus the integrity record @electron/asar writes into
 * the header (SHA-256 of the whole file and of each block). The engine may ignore it; whoever
 * wants to compare it with the digest of the bytes (tampered app.asar) reads it from here.
 */
export interface AsarArchiveEntry extends ArchiveEntry {
  readonly integrity?: AsarIntegrity;
  readonly executable?: boolean;
}

/** Format-layer codes become archive codes: to the engine an asar is one more container. */
function archiveError(error: unknown, context: string): CountersignError {
  if (error instanceof CountersignError && error.code === 'E_FORMAT_TRUNCATED') {
    return new CountersignError('E_ARCHIVE_TRUNCATED', error.message, {
      cause: error,
      details: { ...error.details },
    });
  }
  if (error instanceof CountersignError && error.code === 'E_FORMAT_MALFORMED') {
    return new CountersignError('E_ARCHIVE_CORRUPT', error.message, {
      cause: error,
      details: { ...error.details },
    });
  }
  return toArchiveError(error, context);
}

function toArchiveEntry(node: ContentView, entry: AsarEntry): AsarArchiveEntry {
  const base = {
    name: entry.path,
    kind: entry.kind,
    ...(entry.linkTarget === undefined ? {} : { linkTarget: entry.linkTarget }),
    ...(entry.size === undefined ? {} : { declaredSize: entry.size }),
    ...(entry.kind === 'file' && !entry.unpacked && entry.size !== undefined
      ? { compressedSize: entry.size }
      : {}),
    ...(entry.integrity ? { integrity: entry.integrity } : {}),
    ...(entry.executable ? { executable: true, mode: 0o755 } : {}),
  };
  if (entry.kind !== 'file') return base;
  if (entry.defect) {
    return {
      ...base,
      problem: archiveError(new CountersignError(entry.defect.code, entry.defect.message), ''),
    };
  }
  if (entry.unpacked) {
    return {
      ...base,
      problem: new CountersignError(
        'E_ARCHIVE_EXTERNAL_CONTENT',
        `asar entry ${entry.path} is stored outside the archive, in ${node.name}.unpacked/${entry.path}`,
        { details: { externalPath: `${node.name}.unpacked/${entry.path}` } },
      ),
    };
  }
  const start = entry.offset ?? 0;
  const end = start + (entry.size ?? 0);
  const context = `asar entry ${entry.path}`;
  return {
    ...base,
    open: async () => typedStream(nodeReadable(node, start, end), (e) => archiveError(e, context)),
  };
}

/**
 * unpacker/asar: Electron app archives, header parsed by formats/asar (no temporary files, so
 * nested asars work). Files marked `unpacked` live in the sibling `<name>.asar.unpacked/` folder,
 * which is not inside the archive: they are yielded with an E_ARCHIVE_EXTERNAL_CONTENT problem,
 * so the report shows them as not examined here.
 */
export const asarUnpacker: Unpacker = {
  id: 'unpacker/asar',
  version: 1,
  acceptsWithoutHead: true,
  accepts: (node) => node.type === 'asar',
  async *unpack(node): AsyncGenerator<AsarArchiveEntry> {
    let entries: AsarEntry[];
    try {
      const layout = parseAsarLayout(await readAt(node, 0, ASAR_PREAMBLE_BYTES), node.size);
      const json = await readAt(node, layout.jsonOffset, layout.jsonLength);
      entries = parseAsarHeader(json, layout, node.size);
    } catch (error) {
      throw archiveError(error, `asar ${node.name}`);
    }
    for (const entry of entries) yield toArchiveEntry(node, entry);
  },
};
