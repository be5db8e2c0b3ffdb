import { CountersignError } from '../../core/errors.js';
import { type PeCertificateTable, parseCertificateTable } from './certificates.js';
import { computePeChecksum } from './checksum.js';
import { type PeClr, parseClr } from './clr.js';
import { type PeDebugEntry, parseDebug } from './debug.js';
import { shannonEntropy } from './entropy.js';
import { type PeExports, parseExports } from './exports.js';
import { type CoffHeader, type DataDirectory, type OptionalHeader, parsePeHeaders } from './headers.js';
import { PeImage } from './image.js';
import { type PeImportModule, parseDelayImports, parseImports } from './imports.js';
import { DLL_CHARACTERISTICS, FILE_CHARACTERISTICS, flagNames, SECTION_CHARACTERISTICS } from './names.js';
import { type PeProblem, ProblemLog } from './problems.js';
import { PeReader } from './reader.js';
import { type PeResource, parseResources, RT_VERSION } from './resources.js';
import { extractStrings, type PeIndicator, type PeStrings, type StringScanOptions } from './strings.js';
import { type PeTls, parseTls } from './tls.js';
import { type PeVersionInfo, parseVersionInfo } from './version-info.js';

export type PeKind = 'exe' | 'dll' | 'sys' | 'efi';

export interface PeSection {
  readonly index: number;
  readonly name: string;
  readonly virtualAddress: number;
  readonly virtualSize: number;
  readonly pointerToRawData: number;
  readonly sizeOfRawData: number;
  readonly characteristics: number;
  readonly flags: readonly string[];
  /**
   * Shannon entropy (bits per byte) of the section's raw bytes in the file. Absent when sections
   * overlap so much that measuring them all would read the file many times over (noted as a problem).
   */
  readonly entropy?: number;
}

export interface PeEntryPoint {
  readonly rva: number;
  /** Section holding the entry point; undefined when it lies in the headers or outside every section. */
  readonly section?: string;
  readonly fileOffset?: number;
  readonly isInExecutableSection: boolean;
}

export interface PeRegion {
  readonly offset: number;
  readonly size: number;
}

export interface PeFile {
  readonly size: number;
  readonly kind: PeKind;
  readonly is64: boolean;
  readonly isDotNet: boolean;
  readonly coff: CoffHeader;
  readonly optional: OptionalHeader;
  /** The checksum as declared in the optional header and as computed over the file. */
  readonly checksum: { readonly declared: number; readonly computed: number };
  readonly characteristics: readonly string[];
  readonly dllCharacteristics: readonly string[];
  readonly dataDirectories: readonly DataDirectory[];
  readonly sections: readonly PeSection[];
  readonly entryPoint?: PeEntryPoint;
  readonly imports: readonly PeImportModule[];
  readonly delayImports: readonly PeImportModule[];
  readonly exports?: PeExports;
  readonly tls?: PeTls;
  readonly clr?: PeClr;
  readonly resources: readonly PeResource[];
  readonly versionInfo?: PeVersionInfo;
  readonly debug: readonly PeDebugEntry[];
  readonly certificateTable?: PeCertificateTable;
  /** Bytes after the end of the last section's raw data that are not the certificate table. */
  readonly overlay: readonly PeRegion[];
  readonly strings: PeStrings;
  /** Parts that could not be read as declared (see PeProblem); empty for an ordinary file. */
  readonly problems: readonly PeProblem[];
}

export interface ParsePeOptions {
  /** Files larger than this are refused with `E_PE_MALFORMED` (the caller reads whole files). */
  readonly maxBytes?: number;
  readonly strings?: StringScanOptions | false;
}

/** The whole file is held in memory by the caller; this cap keeps that bounded. */
export const DEFAULT_MAX_PE_BYTES = 512 * 1024 * 1024;
const MAX_VERSION_INFO_BYTES = 1024 * 1024;

/**
 * Parses a PE image from its bytes. Throws a CountersignError (`E_PE_MALFORMED`, `E_PE_TRUNCATED`)
 * only when the headers cannot be read; every later table that is broken becomes a `problem` and the
 * rest of the file is still reported. Pure: no I/O, and nothing in the file is ever executed.
 */
export function parsePe(bytes: Uint8Array, options: ParsePeOptions = {}): PeFile {
  const maxBytes = options.maxBytes ?? DEFAULT_MAX_PE_BYTES;
  if (bytes.length > maxBytes) {
    throw new CountersignError(
      'E_PE_MALFORMED',
      `PE file of ${bytes.length} bytes exceeds the ${maxBytes}-byte parse limit`,
      {
        details: { size: bytes.length, maxBytes },
      },
    );
  }
  const reader = new PeReader(bytes);
  const headers = parsePeHeaders(reader);
  const image = new PeImage(reader, headers);
  const log = new ProblemLog();
  for (const anomaly of headers.anomalies) log.add('headers', anomaly);

  let entropyBudget = bytes.length * 2 + 1024 * 1024;
  const sections: PeSection[] = headers.sections.map((s) => {
    const extent = image.rawExtent(s);
    const isMeasured = extent.size <= entropyBudget;
    entropyBudget -= isMeasured ? extent.size : 0;
    if (!isMeasured) log.add('sections', 'sections overlap too much to measure the entropy of each');
    return {
      index: s.index,
      name: s.name,
      virtualAddress: s.virtualAddress,
      virtualSize: s.virtualSize,
      pointerToRawData: s.pointerToRawData,
      sizeOfRawData: s.sizeOfRawData,
      characteristics: s.characteristics,
      flags: flagNames(s.characteristics, SECTION_CHARACTERISTICS),
      ...(isMeasured
        ? { entropy: shannonEntropy(bytes.subarray(extent.offset, extent.offset + extent.size)) }
        : {}),
    };
  });
  for (const s of headers.sections) {
    if (s.sizeOfRawData > 0 && image.rawStart(s) + s.sizeOfRawData > bytes.length) {
      log.add('sections', `section ${s.name} declares raw data beyond the end of the file`, 'E_PE_TRUNCATED');
    }
  }

  const resources = log.guard('resources', [], () => parseResources(image, log));
  const versionInfo = log.guard('version-info', undefined, () => readVersionInfo(reader, resources));
  const certificateTable = log.guard('certificates', undefined, () => parseCertificateTable(image, log));
  const clr = log.guard('clr', undefined, () => parseClr(image, log));
  const strings =
    options.strings === false
      ? { items: [], indicators: [], truncated: false }
      : log.guard('strings', { items: [], indicators: [], truncated: false }, () =>
          extractStrings(bytes, options.strings === false ? {} : options.strings),
        );
  const indicators = withoutVersionNumbers(strings.indicators, resources);
  const exports = log.guard('exports', undefined, () => parseExports(image, log));
  const tls = log.guard('tls', undefined, () => parseTls(image, log));

  return {
    size: bytes.length,
    kind: kindOf(headers.coff.characteristics, headers.optional.subsystem),
    is64: headers.optional.magic === 'PE32+',
    isDotNet: clr !== undefined,
    coff: headers.coff,
    optional: headers.optional,
    checksum: {
      declared: headers.optional.checkSum,
      computed: computePeChecksum(bytes, headers.checksumOffset),
    },
    characteristics: flagNames(headers.coff.characteristics, FILE_CHARACTERISTICS),
    dllCharacteristics: flagNames(headers.optional.dllCharacteristics, DLL_CHARACTERISTICS),
    dataDirectories: headers.dataDirectories,
    sections,
    ...entryPointOf(image),
    imports: log.guard('imports', [], () => parseImports(image, log)),
    delayImports: log.guard('delay-imports', [], () => parseDelayImports(image, log)),
    ...(exports ? { exports } : {}),
    ...(tls ? { tls } : {}),
    ...(clr ? { clr } : {}),
    resources,
    ...(versionInfo ? { versionInfo } : {}),
    debug: log.guard('debug', [], () => parseDebug(image, log)),
    ...(certificateTable ? { certificateTable } : {}),
    overlay: overlayOf(image, certificateTable),
    strings: { ...strings, indicators },
    problems: log.items,
  };
}

/** `1.2.3.4` in a version resource is a version number, not an address. */
function withoutVersionNumbers(
  indicators: readonly PeIndicator[],
  resources: readonly PeResource[],
): PeIndicator[] {
  const versions = resources.filter((r) => r.type === RT_VERSION && r.fileOffset !== undefined);
  const inVersion = (offset: number) =>
    versions.some((r) => offset >= r.fileOffset! && offset < r.fileOffset! + r.size);
  return indicators.filter((i) => i.kind !== 'ipv4' || !inVersion(i.offset));
}

function kindOf(characteristics: number, subsystem: number): PeKind {
  if (subsystem >= 10 && subsystem <= 13) return 'efi';
  if ((characteristics & 0x2000) !== 0) return 'dll';
  if (subsystem === 1) return 'sys';
  return 'exe';
}

function entryPointOf(image: PeImage): { entryPoint?: PeEntryPoint } {
  const rva = image.headers.optional.addressOfEntryPoint;
  // A DLL may have no entry point at all (RVA 0); an EXE at RVA 0 starts in its own headers.
  if (rva === 0 && (image.headers.coff.characteristics & 0x2000) !== 0) return {};
  const section = image.sectionOf(rva);
  const fileOffset = image.rvaToOffset(rva);
  return {
    entryPoint: {
      rva,
      ...(section ? { section: section.name } : {}),
      ...(fileOffset !== undefined ? { fileOffset } : {}),
      isInExecutableSection: section !== undefined && (section.characteristics & 0x20000000) !== 0,
    },
  };
}

function readVersionInfo(reader: PeReader, resources: readonly PeResource[]): PeVersionInfo | undefined {
  const leaf = resources.find((r) => r.type === RT_VERSION && r.fileOffset !== undefined);
  if (!leaf || leaf.fileOffset === undefined) return undefined;
  const size = Math.min(leaf.size, MAX_VERSION_INFO_BYTES);
  return parseVersionInfo(reader.slice(leaf.fileOffset, size));
}

/**
 * The overlay: file bytes after the end of the headers and every section's raw data, minus the
 * certificate table. Usually one region; two when data sits both before and after the table.
 */
function overlayOf(image: PeImage, certificates: PeCertificateTable | undefined): PeRegion[] {
  const size = image.reader.size;
  let end = Math.min(image.headers.optional.sizeOfHeaders, size);
  for (const section of image.headers.sections) {
    const extent = image.rawExtent(section);
    if (extent.size > 0) end = Math.max(end, extent.offset + extent.size);
  }
  if (end >= size) return [];
  const regions: PeRegion[] = [];
  const tableStart = certificates ? Math.max(certificates.offset, end) : size;
  const tableEnd = certificates ? Math.min(certificates.offset + certificates.size, size) : size;
  if (!certificates || tableStart >= tableEnd) return [{ offset: end, size: size - end }];
  if (tableStart > end) regions.push({ offset: end, size: tableStart - end });
  if (tableEnd < size) regions.push({ offset: tableEnd, size: size - tableEnd });
  return regions;
}
