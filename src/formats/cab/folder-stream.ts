import { CountersignError } from '../../core/errors.js';
import { type CabDataBlock, type CabFolder, folderUncompressedSize } from './cab.js';
import { inflateMszipBlock } from './mszip.js';

/** Decodes one folder's blocks in order, for the compressions done here (none, MSZIP). */
export function* decodeFolderBlocks(
  bytes: Uint8Array,
  folder: CabFolder,
  blocks: readonly CabDataBlock[],
): Generator<Uint8Array> {
  let previous: Uint8Array | undefined;
  for (const [index, block] of blocks.entries()) {
    const where = `block ${index} of folder ${folder.index}`;
    if (folder.compression === 'none') {
      if (block.compressedSize !== block.uncompressedSize) {
        throw new CountersignError(
          'E_FORMAT_MALFORMED',
          `cab: stored ${where} holds ${block.compressedSize} bytes but declares ${block.uncompressedSize}`,
        );
      }
      yield bytes.subarray(block.offset, block.offset + block.compressedSize);
    } else if (folder.compression === 'mszip') {
      previous = inflateMszipBlock(bytes, block, previous, where);
      yield previous;
    } else {
      throw new CountersignError(
        'E_FORMAT_UNSUPPORTED',
        `cab: ${folder.compression} is not decoded in TypeScript (folder ${folder.index})`,
      );
    }
  }
}

/**
 * Hands out the files of one folder from its uncompressed stream, decoding blocks only as far as
 * needed. Files are usually asked for in folder order; asking for an earlier one restarts the
 * decoding (correct, just slower), so memory stays at one file plus one block.
 */
export class FolderReader {
  private blocks: Iterator<Uint8Array> | undefined;
  /** Uncompressed offset of the first byte of `pending`. */
  private position = 0;
  private pending: Uint8Array = new Uint8Array(0);
  readonly size: number;

  constructor(
    private readonly decode: () => Iterator<Uint8Array>,
    blocks: readonly CabDataBlock[],
  ) {
    this.size = folderUncompressedSize(blocks);
  }

  /** The bytes [offset, offset + length) of the folder's uncompressed stream. */
  read(offset: number, length: number, what: string): Uint8Array {
    if (offset + length > this.size) {
      throw new CountersignError(
        'E_FORMAT_MALFORMED',
        `cab: ${what} ends at ${offset + length}, beyond its folder's ${this.size} bytes`,
      );
    }
    if (!this.blocks || offset < this.position) {
      this.blocks = this.decode();
      this.position = 0;
      this.pending = new Uint8Array(0);
    }
    const output = new Uint8Array(length);
    let filled = 0;
    while (filled < length) {
      const start = offset + filled - this.position;
      if (start < this.pending.length) {
        const piece = this.pending.subarray(start, Math.min(this.pending.length, start + length - filled));
        output.set(piece, filled);
        filled += piece.length;
        continue;
      }
      const next = this.blocks.next();
      if (next.done) {
        throw new CountersignError('E_FORMAT_TRUNCATED', `cab: ${what}: its folder ended early`);
      }
      this.position += this.pending.length;
      this.pending = next.value;
    }
    return output;
  }
}
