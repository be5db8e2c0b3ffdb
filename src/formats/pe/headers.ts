import { DATA_DIRECTORY_NAMES, type DataDirectoryName, machineName, subsystemName } from './names.js';
import { malformed, PeReader } from './reader.js';

/** The COFF file header that follows the `PE\0\0` signature. */
export interface CoffHeader {
  readonly machine: number;
  readonly machineName: string;
  readonly numberOfSections: number;
  /** Seconds since 1970 as the linker wrote it (reproducible builds put a hash here). */
  readonly timeDateStamp: number;
  readonly pointerToSymbolTable: number;
  readonly numberOfSymbols: number;
  readonly sizeOfOptionalHeader: number;
  readonly characteristics: number;
}

export type PeMagic = 'PE32' | 'PE32+';

export interface OptionalHeader {
  readonly magic: PeMagic;
  readonly linkerVersion: string;
  readonly sizeOfCode: number;
  readonly addressOfEntryPoint: number;
  readonly baseOfCode: number;
  readonly imageBase: bigint;
  readonly sectionAlignment: number;
  readonly fileAlignment: number;
  readonly osVersion: string;
  readonly imageVersion: string;
  readonly subsystemVersion: string;
  readonly sizeOfImage: number;
  readonly sizeOfHeaders: number;
  readonly checkSum: number;
  readonly subsystem: number;
  readonly subsystemName: string;
  readonly dllCharacteristics: number;
  readonly loaderFlags: number;
  /** As declared; only the first 16 are meaningful to the loader. */
  readonly numberOfRvaAndSizes: number;
}

export interface DataDirectory {
  readonly index: number;
  readonly name: DataDirectoryName;
  /** An RVA, except for the security directory, whose "address" is a file offset. */
  readonly address: number;
  readonly size: number;
  /** File offset of this 8-byte entry in the optional header. */
  readonly entryOffset: number;
}

export interface SectionHeader {
  readonly index: number;
  /** The 8-byte name, or the long name from the COFF string table for `/123` names (mingw). */
  readonly name: string;
  readonly virtualSize: number;
  readonly virtualAddress: number;
  readonly sizeOfRawData: number;
  readonly pointerToRawData: number;
  readonly characteristics: number;
  /** File offset of this 40-byte entry in the section table. */
  readonly headerOffset: number;
}

export interface PeHeaders {
  readonly peHeaderOffset: number;
  readonly coff: CoffHeader;
  readonly optionalHeaderOffset: number;
  readonly optional: OptionalHeader;
  /** File offset of the CheckSum field (excluded from the Authenticode image hash). */
  readonly checksumOffset: number;
  /** File offset where the data directory array starts. */
  readonly dataDirectoryOffset: number;
  /** The directories present (at most 16), in index order. */
  readonly dataDirectories: readonly DataDirectory[];
  readonly sectionTableOffset: number;
  readonly sections: readonly SectionHeader[];
  /** What is odd but survivable: a section table cut by the end of the file, too many directories. */
  readonly anomalies: readonly string[];
}

const PE_SIGNATURE = 0x00004550; // "PE\0\0"
const MAGIC_PE32 = 0x10b;
const MAGIC_PE32_PLUS = 0x20b;
const SECTION_HEADER_SIZE = 40;
const COFF_SYMBOL_SIZE = 18;
/** The loader reads at most 16 data directories, whatever NumberOfRvaAndSizes says. */
const MAX_DATA_DIRECTORIES = 16;

/**
 * Parses the DOS stub pointer, COFF header, optional header, data directories and section table.
 * Throws `E_PE_MALFORMED` when the file is not a PE image and `E_PE_TRUNCATED` when the fixed
 * headers are cut; a section table cut by the end of the file keeps the sections that fit.
 */
export function parsePeHeaders(bytes: Uint8Array | PeReader): PeHeaders {
  const r = bytes instanceof PeReader ? bytes : new PeReader(bytes);
  const anomalies: string[] = [];
  if (r.size < 2 || r.bytes[0] !== 0x4d || r.bytes[1] !== 0x5a)
    throw malformed('not a PE file: no MZ signature');
  const peHeaderOffset = r.u32(0x3c, 'e_lfanew');
  if (r.u32(peHeaderOffset, 'PE signature') !== PE_SIGNATURE) {
    throw malformed(`no PE signature at e_lfanew ${peHeaderOffset}`, { peHeaderOffset });
  }
  const coffOffset = peHeaderOffset + 4;
  const coff: CoffHeader = {
    machine: r.u16(coffOffset, 'COFF header'),
    machineName: machineName(r.u16(coffOffset)),
    numberOfSections: r.u16(coffOffset + 2, 'COFF header'),
    timeDateStamp: r.u32(coffOffset + 4, 'COFF header'),
    pointerToSymbolTable: r.u32(coffOffset + 8, 'COFF header'),
    numberOfSymbols: r.u32(coffOffset + 12, 'COFF header'),
    sizeOfOptionalHeader: r.u16(coffOffset + 16, 'COFF header'),
    characteristics: r.u16(coffOffset + 18, 'COFF header'),
  };
  const optionalHeaderOffset = coffOffset + 20;
  const o = optionalHeaderOffset;
  const magicValue = r.u16(o, 'optional header magic');
  if (magicValue !== MAGIC_PE32 && magicValue !== MAGIC_PE32_PLUS) {
    throw malformed(`unknown optional header magic 0x${magicValue.toString(16)}`, { magic: magicValue });
  }
  const magic: PeMagic = magicValue === MAGIC_PE32_PLUS ? 'PE32+' : 'PE32';
  const is64 = magic === 'PE32+';
  const what = 'optional header';
  const version = (at: number): string => `${r.u16(at, what)}.${r.u16(at + 2, what)}`;
  const numberOfRvaAndSizes = r.u32(o + (is64 ? 108 : 92), what);
  const optional: OptionalHeader = {
    magic,
    linkerVersion: `${r.u8(o + 2, what)}.${r.u8(o + 3, what)}`,
    sizeOfCode: r.u32(o + 4, what),
    addressOfEntryPoint: r.u32(o + 16, what),
    baseOfCode: r.u32(o + 20, what),
    imageBase: is64 ? r.u64(o + 24, what) : BigInt(r.u32(o + 28, what)),
    sectionAlignment: r.u32(o + 32, what),
    fileAlignment: r.u32(o + 36, what),
    osVersion: version(o + 40),
    imageVersion: version(o + 44),
    subsystemVersion: version(o + 48),
    sizeOfImage: r.u32(o + 56, what),
    sizeOfHeaders: r.u32(o + 60, what),
    checkSum: r.u32(o + 64, what),
    subsystem: r.u16(o + 68, what),
    subsystemName: subsystemName(r.u16(o + 68, what)),
    dllCharacteristics: r.u16(o + 70, what),
    loaderFlags: r.u32(o + (is64 ? 104 : 88), what),
    numberOfRvaAndSizes,
  };
  const dataDirectoryOffset = o + (is64 ? 112 : 96);
  if (numberOfRvaAndSizes > MAX_DATA_DIRECTORIES) {
    anomalies.push(`NumberOfRvaAndSizes is ${numberOfRvaAndSizes}; only ${MAX_DATA_DIRECTORIES} are read`);
  }
  const dataDirectories: DataDirectory[] = [];
  for (let index = 0; index < Math.min(numberOfRvaAndSizes, MAX_DATA_DIRECTORIES); index++) {
    const entryOffset = dataDirectoryOffset + index * 8;
    if (!r.has(entryOffset, 8)) {
      anomalies.push(`data directory ${index} lies beyond the end of the file`);
      break;
    }
    dataDirectories.push({
      index,
      name: DATA_DIRECTORY_NAMES[index]!,
      address: r.u32(entryOffset),
      size: r.u32(entryOffset + 4),
      entryOffset,
    });
  }
  const sectionTableOffset = optionalHeaderOffset + coff.sizeOfOptionalHeader;
  const sections: SectionHeader[] = [];
  const longNames = coffStringTable(r, coff);
  for (let index = 0; index < coff.numberOfSections; index++) {
    const at = sectionTableOffset + index * SECTION_HEADER_SIZE;
    if (!r.has(at, SECTION_HEADER_SIZE)) {
      anomalies.push(
        `section table declares ${coff.numberOfSections} sections; only ${index} fit in the file`,
      );
      break;
    }
    sections.push({
      index,
      name: sectionName(r, at, longNames),
      virtualSize: r.u32(at + 8),
      virtualAddress: r.u32(at + 12),
      sizeOfRawData: r.u32(at + 16),
      pointerToRawData: r.u32(at + 20),
      characteristics: r.u32(at + 36),
      headerOffset: at,
    });
  }
  return {
    peHeaderOffset,
    coff,
    optionalHeaderOffset,
    optional,
    checksumOffset: o + 64,
    dataDirectoryOffset,
    dataDirectories,
    sectionTableOffset,
    sections,
    anomalies,
  };
}

export function findDirectory(headers: PeHeaders, name: DataDirectoryName): DataDirectory | undefined {
  const entry = headers.dataDirectories.find((d) => d.name === name);
  return entry && (entry.address !== 0 || entry.size !== 0) ? entry : undefined;
}

/** The COFF string table (offset, when inside the file), where mingw keeps section names over 8 bytes. */
function coffStringTable(r: PeReader, coff: CoffHeader): number | undefined {
  if (coff.pointerToSymbolTable === 0) return undefined;
  const at = coff.pointerToSymbolTable + coff.numberOfSymbols * COFF_SYMBOL_SIZE;
  return r.has(at, 4) ? at : undefined;
}

function sectionName(r: PeReader, at: number, stringTable: number | undefined): string {
  const short = r.cString(at, 8);
  const long = /^\/(\d{1,7})$/.exec(short);
  if (long && stringTable !== undefined) {
    const name = r.cString(stringTable + Number(long[1]), 256);
    if (name.length > 0) return name;
  }
  return short;
}
