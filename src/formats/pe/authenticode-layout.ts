import { findDirectory, parsePeHeaders } from './headers.js';

/**
 * What an Authenticode image hash needs to know about a PE file's layout (Authenticode PE spec,
 * "Calculating the PE Image Hash"): the two header fields left out of the hash, the certificate
 * table (also left out), and the sections to hash in file order. Values are as declared in the
 * headers, not validated against the file size: a table pointing past the end is itself evidence,
 * and judging it belongs to the Authenticode analyzer and its rules.
 */
export interface AuthenticodeLayout {
  /** File offset of the optional header's 4-byte CheckSum field. */
  readonly checksumOffset: number;
  /**
   * File offset of the 8-byte security (certificate table) data directory entry. Computed from the
   * optional header even when `hasSecurityDirectoryEntry` is false (NumberOfRvaAndSizes < 5), in
   * which case these bytes are not a directory entry and the file cannot carry a signature.
   */
  readonly securityDirectoryEntryOffset: number;
  readonly hasSecurityDirectoryEntry: boolean;
  /** The certificate table as the security directory declares it (a file offset, not an RVA). */
  readonly certificateTable?: { readonly offset: number; readonly size: number };
  /** Optional header SizeOfHeaders: the hash covers the headers up to here. */
  readonly sizeOfHeaders: number;
  /** Every section as in the section table, in table order (the hash sorts by pointerToRawData). */
  readonly sections: ReadonlyArray<{ readonly pointerToRawData: number; readonly sizeOfRawData: number }>;
  readonly fileSize: number;
  readonly magic: 'PE32' | 'PE32+';
}

const SECURITY_DIRECTORY_INDEX = 4;

/** Throws `E_PE_MALFORMED` / `E_PE_TRUNCATED` (CountersignError) when the headers cannot be read. */
export function getAuthenticodeLayout(bytes: Uint8Array): AuthenticodeLayout {
  const headers = parsePeHeaders(bytes);
  const security = findDirectory(headers, 'security');
  return {
    checksumOffset: headers.checksumOffset,
    securityDirectoryEntryOffset: headers.dataDirectoryOffset + SECURITY_DIRECTORY_INDEX * 8,
    hasSecurityDirectoryEntry: headers.dataDirectories.length > SECURITY_DIRECTORY_INDEX,
    ...(security ? { certificateTable: { offset: security.address, size: security.size } } : {}),
    sizeOfHeaders: headers.optional.sizeOfHeaders,
    sections: headers.sections.map((s) => ({
      pointerToRawData: s.pointerToRawData,
      sizeOfRawData: s.sizeOfRawData,
    })),
    fileSize: bytes.length,
    magic: headers.optional.magic,
  };
}
