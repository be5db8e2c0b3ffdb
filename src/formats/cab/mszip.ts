import { inflateRawSync } from 'node:zlib';
import { CountersignError } from '../../core/errors.js';
import { CAB_MAX_BLOCK_UNCOMPRESSED, type CabDataBlock } from './cab.js';

/**
 * MSZIP (MS-MCI): each CFDATA block is 'CK' followed by one raw deflate stream, and every block
 * may refer back into the previous block's output, so the previous block is the dictionary.
 * Output is bounded per block (32 KiB), so a hostile block cannot inflate without limit.
 */
export function inflateMszipBlock(
  bytes: Uint8Array,
  block: CabDataBlock,
  previous: Uint8Array | undefined,
  where: string,
): Uint8Array {
  const data = bytes.subarray(block.offset, block.offset + block.compressedSize);
  if (data.length < 2 || data[0] !== 0x43 || data[1] !== 0x4b) {
    throw new CountersignError('E_FORMAT_MALFORMED', `cab: ${where} lacks the MSZIP 'CK' signature`);
  }
  let output: Buffer;
  try {
    output = inflateRawSync(data.subarray(2), {
      maxOutputLength: CAB_MAX_BLOCK_UNCOMPRESSED,
      ...(previous && previous.length > 0 ? { dictionary: previous } : {}),
    });
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    const code = /unexpected end/i.test(message) ? 'E_FORMAT_TRUNCATED' : 'E_FORMAT_MALFORMED';
    throw new CountersignError(code, `cab: ${where} does not inflate: ${message}`, { cause: error });
  }
  if (output.length !== block.uncompressedSize) {
    throw new CountersignError(
      'E_FORMAT_MALFORMED',
      `cab: ${where} inflates to ${output.length} bytes, not the ${block.uncompressedSize} it declares`,
    );
  }
  return new Uint8Array(output.buffer, output.byteOffset, output.length);
}
