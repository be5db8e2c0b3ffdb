/**
 * Test support: builds small, well-formed PE images byte by byte so that tests can place every
 * structure at a known offset and then break it on purpose (cycles, out-of-range RVAs, cut tables).
 * Layout: headers in the first 0x400 bytes, sections at file alignment 0x200 and section
 * alignment 0x1000, then the certificate table and any overlay.
 */
import type { DataDirectoryName } from './names.js';
import { DATA_DIRECTORY_NAMES } from './names.js';

export interface TestSection {
  readonly name: string;
  /** Bytes of the section's raw data; `virtualSize` defaults to its length. */
  readonly data: Uint8Array;
  readonly virtualSize?: number;
  readonly characteristics?: number;
}

export interface TestPeOptions {
  readonly is64?: boolean;
  readonly machine?: number;
  readonly characteristics?: number;
  readonly subsystem?: number;
  readonly timeDateStamp?: number;
  readonly entryPoint?: number;
  readonly sections?: readonly TestSection[];
  readonly directories?: Partial<Record<DataDirectoryName, { address: number; size: number }>>;
  /** WIN_CERTIFICATE entries appended after the sections (8-byte aligned) and pointed at by the security directory. */
  readonly certificateTable?: Uint8Array;
  /** Bytes after the last section, before the certificate table. */
  readonly overlay?: Uint8Array;
  readonly numberOfRvaAndSizes?: number;
}

export interface BuiltPe {
  readonly bytes: Uint8Array;
  /** RVA of each section, in order. */
  readonly sectionRvas: readonly number[];
  /** File offset of each section's raw data, in order. */
  readonly sectionOffsets: readonly number[];
  readonly peHeaderOffset: number;
  readonly certificateTableOffset?: number;
  readonly overlayOffset?: number;
}

export const TEST_FILE_ALIGNMENT = 0x200;
export const TEST_SECTION_ALIGNMENT = 0x1000;
export const TEST_HEADERS_SIZE = 0x400;
const PE_OFFSET = 0x80;

const align = (value: number, to: number): number => Math.ceil(value / to) * to;

/** The RVA the n-th section gets, before building (sections are laid out back to back). */
export function testSectionRva(sections: readonly TestSection[], index: number): number {
  let rva = TEST_SECTION_ALIGNMENT;
  for (let i = 0; i < index; i++) {
    const s = sections[i]!;
    rva += align(Math.max(s.virtualSize ?? s.data.length, 1), TEST_SECTION_ALIGNMENT);
  }
  return rva;
}

export function buildTestPe(options: TestPeOptions = {}): BuiltPe {
  const is64 = options.is64 ?? false;
  const sections = options.sections ?? [];
  const optionalSize = is64 ? 240 : 224;
  const sectionRvas = sections.map((_, i) => testSectionRva(sections, i));
  const sectionOffsets: number[] = [];
  let fileEnd = TEST_HEADERS_SIZE;
  for (const s of sections) {
    sectionOffsets.push(fileEnd);
    fileEnd += align(s.data.length, TEST_FILE_ALIGNMENT);
  }
  const overlayOffset = options.overlay ? fileEnd : undefined;
  if (options.overlay) fileEnd += options.overlay.length;
  const certificateTableOffset = options.certificateTable ? align(fileEnd, 8) : undefined;
  if (options.certificateTable) fileEnd = certificateTableOffset! + options.certificateTable.length;
  const bytes = new Uint8Array(fileEnd);
  const view = new DataView(bytes.buffer);
  bytes.set([0x4d, 0x5a]);
  view.setUint32(0x3c, PE_OFFSET, true);
  bytes.set([0x50, 0x45, 0, 0], PE_OFFSET);
  const coff = PE_OFFSET + 4;
  view.setUint16(coff, options.machine ?? (is64 ? 0x8664 : 0x14c), true);
  view.setUint16(coff + 2, sections.length, true);
  view.setUint32(coff + 4, options.timeDateStamp ?? 0x5f000000, true);
  view.setUint16(coff + 16, optionalSize, true);
  view.setUint16(coff + 18, options.characteristics ?? 0x0102, true);
  const o = coff + 20;
  view.setUint16(o, is64 ? 0x20b : 0x10b, true);
  view.setUint32(o + 16, options.entryPoint ?? 0, true);
  if (is64) view.setBigUint64(o + 24, 0x140000000n, true);
  else view.setUint32(o + 28, 0x400000, true);
  view.setUint32(o + 32, TEST_SECTION_ALIGNMENT, true);
  view.setUint32(o + 36, TEST_FILE_ALIGNMENT, true);
  view.setUint16(o + 40, 6, true);
  view.setUint16(o + 48, 6, true);
  const imageEnd = sections.length > 0 ? testSectionRva(sections, sections.length) : TEST_SECTION_ALIGNMENT;
  view.setUint32(o + 56, imageEnd, true);
  view.setUint32(o + 60, TEST_HEADERS_SIZE, true);
  view.setUint16(o + 68, options.subsystem ?? 3, true);
  view.setUint32(o + (is64 ? 108 : 92), options.numberOfRvaAndSizes ?? 16, true);
  const dd = o + (is64 ? 112 : 96);
  for (const [name, entry] of Object.entries(options.directories ?? {})) {
    const index = DATA_DIRECTORY_NAMES.indexOf(name as DataDirectoryName);
    view.setUint32(dd + index * 8, entry.address, true);
    view.setUint32(dd + index * 8 + 4, entry.size, true);
  }
  if (options.certificateTable) {
    view.setUint32(dd + 4 * 8, certificateTableOffset!, true);
    view.setUint32(dd + 4 * 8 + 4, options.certificateTable.length, true);
    bytes.set(options.certificateTable, certificateTableOffset!);
  }
  const table = o + optionalSize;
  sections.forEach((s, i) => {
    const at = table + i * 40;
    bytes.set(new TextEncoder().encode(s.name.slice(0, 8)), at);
    view.setUint32(at + 8, s.virtualSize ?? s.data.length, true);
    view.setUint32(at + 12, sectionRvas[i]!, true);
    view.setUint32(at + 16, align(s.data.length, TEST_FILE_ALIGNMENT), true);
    view.setUint32(at + 20, sectionOffsets[i]!, true);
    view.setUint32(at + 36, s.characteristics ?? 0x40000040, true);
    bytes.set(s.data, sectionOffsets[i]!);
  });
  if (options.overlay) bytes.set(options.overlay, overlayOffset!);
  return {
    bytes,
    sectionRvas,
    sectionOffsets,
    peHeaderOffset: PE_OFFSET,
    ...(certificateTableOffset !== undefined ? { certificateTableOffset } : {}),
    ...(overlayOffset !== undefined ? { overlayOffset } : {}),
  };
}

/** One WIN_CERTIFICATE entry: dwLength, wRevision 0x0200, wCertificateType 2 (PKCS#7), body, padded to 8. */
export function testWinCertificate(body: Uint8Array, type = 2): Uint8Array {
  const length = 8 + body.length;
  const out = new Uint8Array(align(length, 8));
  const view = new DataView(out.buffer);
  view.setUint32(0, length, true);
  view.setUint16(4, 0x0200, true);
  view.setUint16(6, type, true);
  out.set(body, 8);
  return out;
}
