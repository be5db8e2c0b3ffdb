import { CountersignError } from '../../core/errors.js';

/**
 * Microsoft Cabinet (MS-CAB) directory: CFHEADER, CFFOLDER[], CFFILE[], and where each folder's
 * CFDATA blocks lie. Pure and bounded: bytes in, typed structures out; every count and offset is
 * checked against the bytes actually present before it is used.
 *
 *   CFHEADER  'MSCF' ... cbCabinet u32 @8, coffFiles u32 @16, version @24, cFolders u16 @26,
 *             cFiles u16 @28, flags u16 @30, setID @32, iCabinet @34; then, when flags has
 *             RESERVE_PRESENT, cbCFHeader u16, cbCFFolder u8, cbCFData u8 and the header reserve;
 *             then the previous/next cabinet names and disks when PREV/NEXT_CABINET are set
 *   CFFOLDER  coffCabStart u32, cCFData u16, typeCompress u16, reserve
 *   CFFILE    cbFile u32, uoffFolderStart u32, iFolder u16, date u16, time u16, attribs u16, szName
 *   CFDATA    csum u32, cbData u16, cbUncomp u16, reserve, data
 */

export const CAB_COMPRESSION = ['none', 'mszip', 'quantum', 'lzx'] as const;
export type CabCompression = (typeof CAB_COMPRESSION)[number];

const FLAG_PREV_CABINET = 0x0001;
const FLAG_NEXT_CABINET = 0x0002;
const FLAG_RESERVE_PRESENT = 0x0004;
const ATTRIB_NAME_IS_UTF = 0x80;
/** iFolder values of files continued from or into another cabinet of a set. */
const IFOLD_CONTINUED_FROM_PREV = 0xfffd;
const IFOLD_CONTINUED_TO_NEXT = 0xfffe;
const IFOLD_CONTINUED_PREV_AND_NEXT = 0xffff;
/** No CFDATA block may expand beyond this (MS-CAB: 32 KiB frames). */
export const CAB_MAX_BLOCK_UNCOMPRESSED = 32768;
const HEADER_BYTES = 36;
const MAX_NAME_BYTES = 1024;

export interface CabFolder {
  readonly index: number;
  readonly compression: CabCompression;
  /** The raw typeCompress field (LZX and Quantum carry their window size in the high byte). */
  readonly typeCompress: number;
  readonly dataOffset: number;
  readonly blockCount: number;
}

export interface CabFile {
  readonly name: string;
  readonly size: number;
  /** Offset of the file within its folder's uncompressed stream. */
  readonly folderOffset: number;
  /** Index into `folders`; undefined when the file continues into or from another cabinet. */
  readonly folder: number | undefined;
  readonly attributes: number;
  /** DOS date and time as stored, decoded; undefined when the fields are not a valid date. */
  readonly mtime: Date | undefined;
  /** Set when the content lies (partly) in another cabinet of a multi-cabinet set. */
  readonly continued?: 'from-previous' | 'to-next' | 'both';
}

export interface Cabinet {
  readonly declaredSize: number;
  readonly setId: number;
  readonly cabinetIndex: number;
  readonly previousCabinet?: string;
  readonly nextCabinet?: string;
  /** Bytes of per-block reserve data (skipped before each block's data). */
  readonly dataReserveBytes: number;
  readonly folders: readonly CabFolder[];
  readonly files: readonly CabFile[];
}

export interface CabDataBlock {
  /** Offset of the compressed data (after the CFDATA header and reserve). */
  readonly offset: number;
  readonly compressedSize: number;
  readonly uncompressedSize: number;
  readonly checksum: number;
}

function truncated(message: string, details?: Record<string, unknown>): CountersignError {
  return new CountersignError('E_FORMAT_TRUNCATED', `cab: ${message}`, details ? { details } : undefined);
}

function malformed(message: string, details?: Record<string, unknown>): CountersignError {
  return new CountersignError('E_FORMAT_MALFORMED', `cab: ${message}`, details ? { details } : undefined);
}

class Reader {
  constructor(
    readonly bytes: Uint8Array,
    readonly view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength),
  ) {}
  need(offset: number, length: number, what: string): void {
    if (offset < 0 || offset + length > this.bytes.length) {
      throw truncated(`${what} at ${offset} runs past the end (${this.bytes.length} bytes)`, { offset });
    }
  }
  u8(offset: number, what: string): number {
    this.need(offset, 1, what);
    return this.view.getUint8(offset);
  }
  u16(offset: number, what: string): number {
    this.need(offset, 2, what);
    return this.view.getUint16(offset, true);
  }
  u32(offset: number, what: string): number {
    this.need(offset, 4, what);
    return this.view.getUint32(offset, true);
  }
  /** A NUL-terminated string; returns it and the offset after the NUL. */
  cstring(offset: number, what: string, utf8: boolean): { value: string; next: number } {
    const limit = Math.min(this.bytes.length, offset + MAX_NAME_BYTES + 1);
    for (let at = offset; at < limit; at++) {
      if (this.bytes[at] === 0) {
        const raw = this.bytes.subarray(offset, at);
        const value = new TextDecoder(utf8 ? 'utf-8' : 'windows-1252').decode(raw);
        return { value, next: at + 1 };
      }
    }
    if (limit === this.bytes.length) throw truncated(`${what} at ${offset} has no terminating NUL`);
    throw malformed(`${what} at ${offset} is longer than ${MAX_NAME_BYTES} bytes`);
  }
}

export function isCabinet(bytes: Uint8Array): boolean {
  return bytes[0] === 0x4d && bytes[1] === 0x53 && bytes[2] === 0x43 && bytes[3] === 0x46;
}

function compressionOf(typeCompress: number): CabCompression {
  const kind = CAB_COMPRESSION[typeCompress & 0x000f];
  if (!kind) throw malformed(`unknown compression type 0x${typeCompress.toString(16)}`);
  return kind;
}

/** DOS date/time (as in FAT and zip) to a UTC Date; undefined for impossible values. */
function dosDateTime(date: number, time: number): Date | undefined {
  const day = date & 0x1f;
  const month = (date >> 5) & 0x0f;
  const year = 1980 + (date >> 9);
  if (day === 0 || month === 0 || month > 12) return undefined;
  const hours = time >> 11;
  const minutes = (time >> 5) & 0x3f;
  const seconds = (time & 0x1f) * 2;
  if (hours > 23 || minutes > 59 || seconds > 59) return undefined;
  return new Date(Date.UTC(year, month - 1, day, hours, minutes, seconds));
}

/**
 * Parses the cabinet directory. `bytes` must hold at least the header, folders and file table
 * (the data blocks are located later, by `folderBlocks`).
 */
export function parseCabinet(bytes: Uint8Array): Cabinet {
  const r = new Reader(bytes);
  r.need(0, HEADER_BYTES, 'CFHEADER');
  if (!isCabinet(bytes)) throw malformed('no MSCF signature');
  const declaredSize = r.u32(8, 'cbCabinet');
  const filesOffset = r.u32(16, 'coffFiles');
  const versionMajor = r.u8(25, 'versionMajor');
  if (versionMajor !== 1) throw malformed(`unsupported format version ${versionMajor}`);
  const folderCount = r.u16(26, 'cFolders');
  const fileCount = r.u16(28, 'cFiles');
  const flags = r.u16(30, 'flags');
  const setId = r.u16(32, 'setID');
  const cabinetIndex = r.u16(34, 'iCabinet');
  let at = HEADER_BYTES;
  let folderReserve = 0;
  let dataReserve = 0;
  if (flags & FLAG_RESERVE_PRESENT) {
    const headerReserve = r.u16(at, 'cbCFHeader');
    folderReserve = r.u8(at + 2, 'cbCFFolder');
    dataReserve = r.u8(at + 3, 'cbCFData');
    at += 4 + headerReserve;
    r.need(HEADER_BYTES, at - HEADER_BYTES, 'header reserve');
  }
  let previousCabinet: string | undefined;
  let nextCabinet: string | undefined;
  if (flags & FLAG_PREV_CABINET) {
    const cabinet = r.cstring(at, 'szCabinetPrev', false);
    previousCabinet = cabinet.value;
    at = r.cstring(cabinet.next, 'szDiskPrev', false).next;
  }
  if (flags & FLAG_NEXT_CABINET) {
    const cabinet = r.cstring(at, 'szCabinetNext', false);
    nextCabinet = cabinet.value;
    at = r.cstring(cabinet.next, 'szDiskNext', false).next;
  }

  const folders: CabFolder[] = [];
  for (let index = 0; index < folderCount; index++) {
    const typeCompress = r.u16(at + 6, 'CFFOLDER');
    folders.push({
      index,
      dataOffset: r.u32(at, 'coffCabStart'),
      blockCount: r.u16(at + 4, 'cCFData'),
      typeCompress,
      compression: compressionOf(typeCompress),
    });
    at += 8 + folderReserve;
  }
  r.need(HEADER_BYTES, at - HEADER_BYTES, 'folder reserve');

  const files: CabFile[] = [];
  at = filesOffset;
  for (let index = 0; index < fileCount; index++) {
    const size = r.u32(at, 'CFFILE.cbFile');
    const folderOffset = r.u32(at + 4, 'CFFILE.uoffFolderStart');
    const folderField = r.u16(at + 8, 'CFFILE.iFolder');
    const date = r.u16(at + 10, 'CFFILE.date');
    const time = r.u16(at + 12, 'CFFILE.time');
    const attributes = r.u16(at + 14, 'CFFILE.attribs');
    const name = r.cstring(at + 16, 'CFFILE.szName', (attributes & ATTRIB_NAME_IS_UTF) !== 0);
    at = name.next;
    const continued =
      folderField === IFOLD_CONTINUED_FROM_PREV
        ? 'from-previous'
        : folderField === IFOLD_CONTINUED_TO_NEXT
          ? 'to-next'
          : folderField === IFOLD_CONTINUED_PREV_AND_NEXT
            ? 'both'
            : undefined;
    if (continued === undefined && folderField >= folderCount) {
      throw malformed(`file ${name.value} refers to folder ${folderField} of ${folderCount}`);
    }
    files.push({
      name: name.value,
      size,
      folderOffset,
      folder: continued === undefined ? folderField : undefined,
      attributes,
      mtime: dosDateTime(date, time),
      ...(continued ? { continued } : {}),
    });
  }
  return {
    declaredSize,
    setId,
    cabinetIndex,
    ...(previousCabinet === undefined ? {} : { previousCabinet }),
    ...(nextCabinet === undefined ? {} : { nextCabinet }),
    dataReserveBytes: dataReserve,
    folders,
    files,
  };
}

/** Locates a folder's CFDATA blocks, checking each lies within the bytes. */
export function folderBlocks(bytes: Uint8Array, cabinet: Cabinet, folder: CabFolder): CabDataBlock[] {
  const r = new Reader(bytes);
  const blocks: CabDataBlock[] = [];
  let at = folder.dataOffset;
  for (let index = 0; index < folder.blockCount; index++) {
    const checksum = r.u32(at, 'CFDATA.csum');
    const compressedSize = r.u16(at + 4, 'CFDATA.cbData');
    const uncompressedSize = r.u16(at + 6, 'CFDATA.cbUncomp');
    const offset = at + 8 + cabinet.dataReserveBytes;
    r.need(offset, compressedSize, `CFDATA block ${index} of folder ${folder.index}`);
    if (uncompressedSize > CAB_MAX_BLOCK_UNCOMPRESSED) {
      throw malformed(`CFDATA block ${index} of folder ${folder.index} expands to ${uncompressedSize} bytes`);
    }
    blocks.push({ offset, compressedSize, uncompressedSize, checksum });
    at = offset + compressedSize;
  }
  return blocks;
}

/** Bytes of a folder's uncompressed stream, as its blocks declare it. */
export function folderUncompressedSize(blocks: readonly CabDataBlock[]): number {
  let total = 0;
  for (const block of blocks) total += block.uncompressedSize;
  return total;
}
