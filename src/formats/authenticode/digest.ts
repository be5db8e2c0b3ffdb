import { createHash } from 'node:crypto';
import { CountersignError } from '../../core/errors.js';
import type { AuthenticodeLayout } from '../pe/authenticode-layout.js';
import type { AuthenticodeDigest } from './algorithms.js';

/** The part of the PE layout (from `getAuthenticodeLayout`) that the image digest depends on. */
export type ImageHashLayout = Pick<
  AuthenticodeLayout,
  'checksumOffset' | 'securityDirectoryEntryOffset' | 'certificateTable' | 'sizeOfHeaders' | 'sections'
>;

export interface HashedRange {
  readonly offset: number;
  readonly length: number;
}

function outOfFile(what: string, offset: number, length: number, size: number): CountersignError {
  return new CountersignError(
    'E_PE_TRUNCATED',
    `${what} (${length} bytes at ${offset}) runs past the end of the ${size}-byte file`,
    { details: { offset, length, size } },
  );
}

/**
 * The byte ranges the Authenticode image digest covers, in hashing order, per the Authenticode
 * PE specification: the headers without the CheckSum field and the security directory entry;
 * then each section's raw data, sorted by PointerToRawData; then whatever follows the sections
 * except the certificate table. (Where data sits after the certificate table, it is hashed too:
 * Windows does the same, and osslsigncode refuses such files.)
 */
export function authenticodeHashedRanges(size: number, layout: ImageHashLayout): HashedRange[] {
  const { checksumOffset, securityDirectoryEntryOffset: securityEntry, sizeOfHeaders } = layout;
  if (sizeOfHeaders > size) throw outOfFile('SizeOfHeaders', 0, sizeOfHeaders, size);
  if (!(checksumOffset + 4 <= securityEntry && securityEntry + 8 <= sizeOfHeaders)) {
    throw new CountersignError(
      'E_PE_MALFORMED',
      'the CheckSum field and security directory entry must lie, in that order, inside the headers',
      { details: { checksumOffset, securityEntry, sizeOfHeaders } },
    );
  }
  const ranges: HashedRange[] = [
    { offset: 0, length: checksumOffset },
    { offset: checksumOffset + 4, length: securityEntry - checksumOffset - 4 },
    { offset: securityEntry + 8, length: sizeOfHeaders - securityEntry - 8 },
  ];
  let hashedEnd = sizeOfHeaders;
  const sections = layout.sections
    .filter((section) => section.sizeOfRawData > 0)
    .toSorted((a, b) => a.pointerToRawData - b.pointerToRawData);
  for (const section of sections) {
    const { pointerToRawData: offset, sizeOfRawData: length } = section;
    if (offset + length > size) throw outOfFile('a section', offset, length, size);
    ranges.push({ offset, length });
    hashedEnd = Math.max(hashedEnd, offset + length);
  }
  const table = layout.certificateTable;
  if (table && table.offset + table.size > size)
    throw outOfFile('the certificate table', table.offset, table.size, size);
  if (table && table.offset < hashedEnd) {
    throw new CountersignError('E_PE_MALFORMED', 'the certificate table overlaps the headers or a section', {
      details: { offset: table.offset, hashedEnd },
    });
  }
  // Trailing data: everything after the last section, except the certificate table.
  if (table) {
    ranges.push({ offset: hashedEnd, length: table.offset - hashedEnd });
    ranges.push({ offset: table.offset + table.size, length: size - table.offset - table.size });
  } else {
    ranges.push({ offset: hashedEnd, length: size - hashedEnd });
  }
  return ranges.filter((range) => range.length > 0);
}

/** The Authenticode image digest of a PE file (lower-case hex). */
export function computeAuthenticodeDigest(
  bytes: Uint8Array,
  layout: ImageHashLayout,
  algorithm: AuthenticodeDigest,
): string {
  const hash = createHash(algorithm);
  for (const range of authenticodeHashedRanges(bytes.length, layout)) {
    hash.update(bytes.subarray(range.offset, range.offset + range.length));
  }
  return hash.digest('hex');
}
