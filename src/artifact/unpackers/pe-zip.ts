import { Readable } from 'node:stream';
import { CountersignError } from '../../core/errors.js';
import type { ArchiveEntry, ContentView, Unpacker } from '../../core/plugin.js';
import { type EmbeddedZip, findEmbeddedZips, rebaseZip } from '../../formats/embedded-zip.js';
import { cabArchiveError } from './cab-entries.js';

/** PEs are scanned in memory; a rebased (zip -A) zip is copied, so both are bounded. */
const MAX_SCANNED_PE_BYTES = 1024 * 1024 * 1024;
const MAX_REBASED_ZIP_BYTES = 256 * 1024 * 1024;

function hex(offset: number): string {
  return `0x${offset.toString(16)}`;
}

function zipEntry(node: ContentView, host: Uint8Array, zip: EmbeddedZip): ArchiveEntry {
  const name = `embedded-zip@${hex(zip.start)}.zip`;
  const length = zip.end - zip.start;
  if (!zip.hostRelative) {
    // The zip's bytes as they are: the engine reads them in place.
    return {
      name,
      kind: 'file',
      declaredSize: length,
      storedRange: { offset: zip.start, length },
      open: async () => node.stream({ offset: zip.start, length }),
    };
  }
  if (length > MAX_REBASED_ZIP_BYTES) {
    return {
      name,
      kind: 'file',
      declaredSize: length,
      problem: new CountersignError(
        'E_ARCHIVE_UNSUPPORTED',
        `pe ${node.name}: a zip with host-relative offsets of ${length} bytes is over the ${MAX_REBASED_ZIP_BYTES} rebased in memory`,
      ),
    };
  }
  return {
    name,
    kind: 'file',
    declaredSize: length,
    open: async () => {
      try {
        const bytes = rebaseZip(host, zip);
        return Readable.from([Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length)], {
          objectMode: false,
        });
      } catch (error) {
        throw cabArchiveError(error, `pe ${node.name}: ${name}`);
      }
    },
  };
}

/**
 * unpacker/pe-embedded-zip: zip archives appended to or embedded in a PE (self-extracting
 * archives, Squirrel installers carrying a `.nupkg`) become nodes of the tree, named
 * `embedded-zip@0x<offset>.zip`, which the zip unpacker then opens. A PE without one yields
 * nothing (its analysis is unaffected: analyzers and unpackers run independently).
 */
export const peEmbeddedZipUnpacker: Unpacker = {
  id: 'unpacker/pe-embedded-zip',
  version: 1,
  acceptsWithoutHead: true,
  accepts: (node) => node.type === 'pe',
  async *unpack(node): AsyncGenerator<ArchiveEntry> {
    if (node.size > MAX_SCANNED_PE_BYTES) {
      throw new CountersignError(
        'E_ARCHIVE_UNSUPPORTED',
        `pe ${node.name}: ${node.size} bytes; embedded zips are searched in PEs of up to ${MAX_SCANNED_PE_BYTES} bytes`,
      );
    }
    let host: Uint8Array;
    try {
      host = await node.read();
    } catch (error) {
      throw cabArchiveError(error, `pe ${node.name}`);
    }
    for (const zip of findEmbeddedZips(host)) yield zipEntry(node, host, zip);
  },
};
