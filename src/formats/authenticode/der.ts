import { CountersignError } from '../../core/errors.js';

/** The header of one BER/DER element: where its content starts and ends. */
export interface DerHeader {
  readonly tag: number;
  readonly headerLength: number;
  /** Content length; `undefined` for BER's indefinite length (0x80). */
  readonly contentLength: number | undefined;
}

/**
 * Reads the tag and length of the element at `offset`. Only single-byte tags are needed for
 * PKCS#7's outer SEQUENCE; lengths up to 4 bytes (4 GiB) are accepted, longer ones are malformed.
 */
export function readDerHeader(bytes: Uint8Array, offset = 0): DerHeader {
  const tag = bytes[offset];
  const first = bytes[offset + 1];
  if (tag === undefined || first === undefined) {
    throw new CountersignError('E_FORMAT_TRUNCATED', 'DER element header is truncated', {
      details: { offset },
    });
  }
  if ((tag & 0x1f) === 0x1f) {
    throw new CountersignError('E_FORMAT_UNSUPPORTED', 'multi-byte DER tags are not expected here', {
      details: { offset },
    });
  }
  if (first < 0x80) return { tag, headerLength: 2, contentLength: first };
  if (first === 0x80) return { tag, headerLength: 2, contentLength: undefined };
  const count = first & 0x7f;
  if (count > 4) {
    throw new CountersignError('E_FORMAT_MALFORMED', `DER length of ${count} bytes`, { details: { offset } });
  }
  if (offset + 2 + count > bytes.length) {
    throw new CountersignError('E_FORMAT_TRUNCATED', 'DER length is truncated', { details: { offset } });
  }
  let length = 0;
  for (let i = 0; i < count; i++) length = length * 256 + (bytes[offset + 2 + i] ?? 0);
  return { tag, headerLength: 2 + count, contentLength: length };
}
