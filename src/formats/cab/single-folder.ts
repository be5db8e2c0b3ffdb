import type { CabDataBlock, CabFolder } from './cab.js';

/** The one file name in a cabinet made by `singleFolderCabinet`. */
export const SINGLE_FOLDER_FILE_NAME = 'folder.bin';

/**
 * A new, minimal cabinet holding one folder of `bytes` as a single file that spans the folder's
 * whole uncompressed stream. This lets an external decoder (7-Zip, for LZX and Quantum) produce a
 * folder's bytes without ever seeing the original file names (which may be hostile paths); the
 * caller slices files out by offset. Checksums are zeroed ("not computed") because the per-block
 * reserve is dropped, which the checksum would cover.
 */
export function singleFolderCabinet(
  bytes: Uint8Array,
  folder: CabFolder,
  blocks: readonly CabDataBlock[],
  uncompressedSize: number,
): Uint8Array {
  const name = new TextEncoder().encode(`${SINGLE_FOLDER_FILE_NAME}\0`);
  const filesOffset = 36 + 8;
  const dataOffset = filesOffset + 16 + name.length;
  const dataBytes = blocks.reduce((sum, block) => sum + 8 + block.compressedSize, 0);
  const total = dataOffset + dataBytes;
  const out = new Uint8Array(total);
  const view = new DataView(out.buffer);
  out.set([0x4d, 0x53, 0x43, 0x46], 0);
  view.setUint32(8, total, true);
  view.setUint32(16, filesOffset, true);
  view.setUint8(24, 3);
  view.setUint8(25, 1);
  view.setUint16(26, 1, true);
  view.setUint16(28, 1, true);
  view.setUint32(36, dataOffset, true);
  view.setUint16(40, blocks.length, true);
  view.setUint16(42, folder.typeCompress, true);
  view.setUint32(filesOffset, uncompressedSize, true);
  view.setUint16(filesOffset + 10, (44 << 9) | (1 << 5) | 1, true); // 2024-01-01, a valid DOS date
  out.set(name, filesOffset + 16);
  let at = dataOffset;
  for (const block of blocks) {
    view.setUint16(at + 4, block.compressedSize, true);
    view.setUint16(at + 6, block.uncompressedSize, true);
    out.set(bytes.subarray(block.offset, block.offset + block.compressedSize), at + 8);
    at += 8 + block.compressedSize;
  }
  return out;
}
