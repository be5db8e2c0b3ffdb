import { crc32, inflateRawSync } from 'node:zlib';
import { CountersignError } from '../../core/errors.js';
import type { ZipMemberLocation } from '../../core/plugin.js';
import { toArchiveError } from './archive-errors.js';

/**
 * Decoding one small zip member from its local header on: shared by the zip unpacker (on the
 * main thread) and the hashing workers, which decode, check and hash members of a zip on disk
 * themselves so that the main thread neither inflates nor copies them.
 */

export const LOCAL_HEADER_SIGNATURE = 0x04034b50;
export const LOCAL_HEADER_BYTES = 30;
export const METHOD_STORED = 0;
export const METHOD_DEFLATED = 8;

export type { ZipMemberLocation };

/** Where the member's data starts, from its local header (the name and extra field lengths there). */
export function dataStartOf(local: Uint8Array, member: ZipMemberLocation, zipSize: number): number {
  if (local.length < LOCAL_HEADER_BYTES) {
    throw new CountersignError(
      'E_ARCHIVE_TRUNCATED',
      `${member.context}: local header beyond the end of the file`,
    );
  }
  const view = new DataView(local.buffer, local.byteOffset, local.length);
  if (view.getUint32(0, true) !== LOCAL_HEADER_SIGNATURE) {
    throw new CountersignError('E_ARCHIVE_CORRUPT', `${member.context}: invalid local file header signature`);
  }
  const dataStart =
    member.localHeaderOffset + LOCAL_HEADER_BYTES + view.getUint16(26, true) + view.getUint16(28, true);
  if (dataStart + member.compressedSize > zipSize) {
    throw new CountersignError(
      'E_ARCHIVE_TRUNCATED',
      `${member.context}: data extends beyond the end of the file`,
    );
  }
  return dataStart;
}

/** The member's content from its stored bytes: inflated if need be, checked for size and CRC-32. */
export function decodeMember(stored: Uint8Array, member: ZipMemberLocation): Buffer {
  let data: Buffer;
  if (member.method === METHOD_STORED) {
    data = Buffer.from(stored.buffer, stored.byteOffset, stored.length);
  } else {
    try {
      // One byte of headroom so that "more than declared" is caught as such.
      data = inflateRawSync(stored, { maxOutputLength: member.uncompressedSize + 1 });
    } catch (error) {
      throw toArchiveError(error, member.context);
    }
  }
  if (data.length !== member.uncompressedSize) {
    throw new CountersignError(
      'E_ARCHIVE_CORRUPT',
      `${member.context}: ${data.length} bytes of content where ${member.uncompressedSize} are declared`,
    );
  }
  if (crc32(data) >>> 0 !== member.crc32 >>> 0) {
    throw new CountersignError('E_ARCHIVE_CORRUPT', `${member.context}: CRC-32 mismatch`);
  }
  return data;
}
