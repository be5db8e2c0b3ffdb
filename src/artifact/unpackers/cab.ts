import { CountersignError } from '../../core/errors.js';
import type { ArchiveEntry, ContentView, Unpacker } from '../../core/plugin.js';
import { cabArchiveError, cabinetMembers } from './cab-entries.js';

/** Cabinets are parsed in memory; larger ones are reported rather than read. */
export const MAX_IN_MEMORY_CONTAINER_BYTES = 1024 * 1024 * 1024;

export async function readWholeContainer(node: ContentView, kind: string): Promise<Uint8Array> {
  if (node.size > MAX_IN_MEMORY_CONTAINER_BYTES) {
    throw new CountersignError(
      'E_ARCHIVE_UNSUPPORTED',
      `${kind} ${node.name} is ${node.size} bytes; containers over ${MAX_IN_MEMORY_CONTAINER_BYTES} bytes are not unpacked`,
    );
  }
  try {
    return await node.read();
  } catch (error) {
    throw cabArchiveError(error, `${kind} ${node.name}`);
  }
}

/**
 * unpacker/cab: Microsoft Cabinet files. Stored and MSZIP folders are decoded in TypeScript
 * (formats/cab); LZX and Quantum folders through 7-Zip compiled to WebAssembly. Members of a
 * multi-cabinet set that continue in another file are recorded, not read.
 */
export const cabUnpacker: Unpacker = {
  id: 'unpacker/cab',
  version: 1,
  acceptsWithoutHead: true,
  accepts: (node) => node.type === 'cab',
  async *unpack(node): AsyncGenerator<ArchiveEntry> {
    const bytes = await readWholeContainer(node, 'cab');
    for (const member of cabinetMembers(bytes, `cab ${node.name}`)) yield member.entry;
  },
};
