import { CountersignError } from '../../core/errors.js';

/** A gzip member header (RFC 1952 §2.3). Pure: bytes in, structure out. */
export interface GzipHeader {
  /** Bytes from the member start to the first byte of deflate data. */
  readonly length: number;
  /** FNAME: the original file name, as stored (Latin-1 per the RFC); absent when not stored. */
  readonly fileName?: string;
  readonly comment?: string;
  /** MTIME, absent when zero ("no time stamp"). */
  readonly mtime?: Date;
}

/** Bounds the zero-terminated FNAME and FCOMMENT fields, which the format leaves unbounded. */
export const MAX_GZIP_HEADER_BYTES = 64 * 1024;

const FHCRC = 0x02;
const FEXTRA = 0x04;
const FNAME = 0x08;
const FCOMMENT = 0x10;
const RESERVED_FLAGS = 0xe0;
const CM_DEFLATE = 8;

export function isGzipMagic(bytes: Uint8Array): boolean {
  return bytes[0] === 0x1f && bytes[1] === 0x8b;
}

function truncated(what: string): CountersignError {
  return new CountersignError('E_ARCHIVE_TRUNCATED', `gzip header cut short in ${what}`);
}

function zeroTerminated(bytes: Uint8Array, start: number, what: string): { text: string; end: number } {
  const nul = bytes.indexOf(0, start);
  if (nul === -1) {
    if (bytes.length >= MAX_GZIP_HEADER_BYTES) {
      throw new CountersignError(
        'E_ARCHIVE_CORRUPT',
        `gzip ${what} longer than ${MAX_GZIP_HEADER_BYTES} bytes`,
      );
    }
    throw truncated(what);
  }
  return { text: new TextDecoder('latin1').decode(bytes.subarray(start, nul)), end: nul + 1 };
}

/**
 * Parses the member header at the start of `bytes` (pass at least MAX_GZIP_HEADER_BYTES when
 * available). Throws E_ARCHIVE_TRUNCATED when the bytes end inside the header and
 * E_ARCHIVE_CORRUPT when it is not a deflate gzip header.
 */
export function parseGzipHeader(bytes: Uint8Array): GzipHeader {
  if (bytes.length < 10) throw truncated('the fixed fields');
  if (!isGzipMagic(bytes)) throw new CountersignError('E_ARCHIVE_CORRUPT', 'not a gzip member (bad magic)');
  if (bytes[2] !== CM_DEFLATE) {
    throw new CountersignError('E_ARCHIVE_UNSUPPORTED', `gzip compression method ${bytes[2]} is not deflate`);
  }
  const flags = bytes[3] ?? 0;
  if (flags & RESERVED_FLAGS)
    throw new CountersignError('E_ARCHIVE_CORRUPT', 'gzip header sets reserved flags');
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.length);
  const mtimeSeconds = view.getUint32(4, true);
  let position = 10;
  if (flags & FEXTRA) {
    if (bytes.length < position + 2) throw truncated('FEXTRA');
    position += 2 + view.getUint16(position, true);
    if (bytes.length < position) throw truncated('FEXTRA');
  }
  let fileName: string | undefined;
  if (flags & FNAME) {
    const field = zeroTerminated(bytes, position, 'FNAME');
    fileName = field.text;
    position = field.end;
  }
  let comment: string | undefined;
  if (flags & FCOMMENT) {
    const field = zeroTerminated(bytes, position, 'FCOMMENT');
    comment = field.text;
    position = field.end;
  }
  if (flags & FHCRC) {
    position += 2;
    if (bytes.length < position) throw truncated('FHCRC');
  }
  return {
    length: position,
    ...(fileName === undefined ? {} : { fileName }),
    ...(comment === undefined ? {} : { comment }),
    ...(mtimeSeconds === 0 ? {} : { mtime: new Date(mtimeSeconds * 1000) }),
  };
}
