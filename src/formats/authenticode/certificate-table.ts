import * as asn1js from 'asn1js';
import { CountersignError } from '../../core/errors.js';
import { readDerHeader } from './der.js';

export const WIN_CERT_REVISION_1_0 = 0x0100;
export const WIN_CERT_REVISION_2_0 = 0x0200;
export const WIN_CERT_TYPE_X509 = 0x0001;
export const WIN_CERT_TYPE_PKCS_SIGNED_DATA = 0x0002;
export const WIN_CERT_TYPE_TS_STACK_SIGNED = 0x0004;

const WIN_CERTIFICATE_HEADER = 8;
/** No real file has more than a handful; a table of thousands of tiny entries is an attack. */
export const MAX_CERTIFICATE_ENTRIES = 64;

/** One WIN_CERTIFICATE structure, with where its PKCS#7 DER really ends. */
export interface WinCertificateEntry {
  readonly index: number;
  /** Offset of the entry inside the table (add the table's file offset for a file offset). */
  readonly offset: number;
  /** dwLength as declared: header + certificate bytes. */
  readonly length: number;
  readonly revision: number;
  readonly certificateType: number;
  /** bCertificate: the bytes after the 8-byte header, up to dwLength. */
  readonly content: Uint8Array;
  /**
   * Length of the outer DER element at the start of `content` (header + content) as its header
   * declares it (it may exceed the entry: malformed); undefined for indefinite-length BER or an
   * unreadable header.
   */
  readonly derLength: number | undefined;
  /**
   * Bytes inside this entry after the DER, plus the alignment padding that follows the entry up
   * to the next 8-byte boundary: everything the image digest does not cover and the signature
   * does not explain.
   */
  readonly slack: { readonly offset: number; readonly length: number; readonly isAllZero: boolean };
}

export interface CertificateTable {
  readonly entries: readonly WinCertificateEntry[];
  /** Bytes at the end of the table that hold no entry: padding, appended data, or a broken entry. */
  readonly unusedTail: { readonly offset: number; readonly length: number; readonly isAllZero: boolean };
  /** Why parsing stopped before the end of the table, when the rest was not zero padding. */
  readonly problem?: CountersignError;
}

function isAllZero(bytes: Uint8Array): boolean {
  for (const byte of bytes) if (byte !== 0) return false;
  return true;
}

const align8 = (value: number): number => Math.ceil(value / 8) * 8;

/** The length of the BER element at the start of `content`, for indefinite-length encodings. */
function berLength(content: Uint8Array): number | undefined {
  const parsed = asn1js.fromBER(content);
  return parsed.offset === -1 ? undefined : parsed.offset;
}

/**
 * Parses the WIN_CERTIFICATE entries of an Authenticode certificate table (the bytes the
 * security directory points at). Entries follow each other on 8-byte boundaries. Parsing stops
 * at the first header that cannot be an entry (zero padding, appended data, a length past the
 * table): the entries before it are kept, the rest is `unusedTail`, and `problem` says why when
 * the rest was not plain zero padding.
 */
export function parseCertificateTable(table: Uint8Array): CertificateTable {
  const view = new DataView(table.buffer, table.byteOffset, table.byteLength);
  const entries: WinCertificateEntry[] = [];
  let offset = 0;
  let problem: CountersignError | undefined;
  while (offset + WIN_CERTIFICATE_HEADER <= table.length) {
    if (entries.length === MAX_CERTIFICATE_ENTRIES) {
      problem = new CountersignError(
        'E_FORMAT_MALFORMED',
        `more than ${MAX_CERTIFICATE_ENTRIES} certificate entries`,
      );
      break;
    }
    const length = view.getUint32(offset, true);
    const revision = view.getUint16(offset + 4, true);
    const certificateType = view.getUint16(offset + 6, true);
    if (length < WIN_CERTIFICATE_HEADER) {
      if (!isAllZero(table.subarray(offset))) {
        problem = new CountersignError(
          'E_FORMAT_MALFORMED',
          `WIN_CERTIFICATE at ${offset}: dwLength ${length} is below 8`,
          {
            details: { offset, length },
          },
        );
      }
      break;
    }
    if (offset + length > table.length) {
      problem = new CountersignError(
        'E_FORMAT_TRUNCATED',
        `WIN_CERTIFICATE at ${offset} declares ${length} bytes; the table has ${table.length - offset} left`,
        { details: { offset, length } },
      );
      break;
    }
    const content = table.subarray(offset + WIN_CERTIFICATE_HEADER, offset + length);
    let derLength: number | undefined;
    try {
      const header = readDerHeader(content);
      derLength =
        header.contentLength === undefined ? berLength(content) : header.headerLength + header.contentLength;
    } catch {
      derLength = undefined; // judged later, when the signature is parsed
    }
    const slackStart =
      offset + WIN_CERTIFICATE_HEADER + Math.min(derLength ?? content.length, content.length);
    const slackEnd = Math.min(align8(offset + length), table.length);
    const slackBytes = table.subarray(slackStart, slackEnd);
    entries.push({
      index: entries.length,
      offset,
      length,
      revision,
      certificateType,
      content,
      derLength,
      slack: { offset: slackStart, length: slackBytes.length, isAllZero: isAllZero(slackBytes) },
    });
    offset = slackEnd;
  }
  const tail = table.subarray(offset);
  return {
    entries,
    unusedTail: { offset, length: tail.length, isAllZero: isAllZero(tail) },
    ...(problem ? { problem } : {}),
  };
}
