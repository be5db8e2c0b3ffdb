import { findDirectory } from './headers.js';
import type { PeImage } from './image.js';
import type { ProblemLog } from './problems.js';

export interface PeCertificateEntry {
  readonly offset: number;
  /** dwLength as declared (header included, padding excluded). */
  readonly length: number;
  readonly revision: number;
  /** 1 X.509, 2 PKCS#7 SignedData, 3 reserved, 4 TS stack signed. */
  readonly type: number;
}

export interface PeCertificateTable {
  /** A file offset (the security directory is the one data directory that does not hold an RVA). */
  readonly offset: number;
  readonly size: number;
  readonly isWithinFile: boolean;
  readonly entries: readonly PeCertificateEntry[];
  /** Bytes of the table after the last entry's 8-byte-aligned end (0 in a clean table). */
  readonly trailingBytes: number;
}

const MAX_ENTRIES = 16;
const HEADER_SIZE = 8;

/**
 * The certificate table's location and its WIN_CERTIFICATE headers. The PKCS#7 inside is the
 * Authenticode parser's business; here we only say where each entry is and how long it claims to be.
 */
export function parseCertificateTable(image: PeImage, log: ProblemLog): PeCertificateTable | undefined {
  const directory = findDirectory(image.headers, 'security');
  if (!directory) return undefined;
  const r = image.reader;
  const { address: offset, size } = directory;
  const isWithinFile = r.has(offset, size);
  if (!isWithinFile)
    log.add(
      'certificates',
      `certificate table (${offset}+${size}) reaches beyond the file (${r.size} bytes)`,
      'E_PE_TRUNCATED',
    );
  const end = Math.min(offset + size, r.size);
  const entries: PeCertificateEntry[] = [];
  let at = offset;
  while (at + HEADER_SIZE <= end) {
    if (entries.length >= MAX_ENTRIES) {
      log.add('certificates', `more than ${MAX_ENTRIES} WIN_CERTIFICATE entries; the rest are not read`);
      break;
    }
    const length = r.u32(at);
    if (length < HEADER_SIZE) {
      log.add('certificates', `WIN_CERTIFICATE at ${at} declares length ${length}`);
      break;
    }
    entries.push({ offset: at, length, revision: r.u16(at + 4), type: r.u16(at + 6) });
    if (at + length > end) {
      log.add('certificates', `WIN_CERTIFICATE at ${at} (${length} bytes) reaches beyond the table`);
      at = end;
      break;
    }
    at += Math.ceil(length / 8) * 8;
  }
  return {
    offset,
    size,
    isWithinFile,
    entries,
    trailingBytes: Math.max(0, offset + size - Math.max(at, offset)),
  };
}
