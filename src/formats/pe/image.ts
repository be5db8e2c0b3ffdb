import type { PeHeaders, SectionHeader } from './headers.js';
import { malformed, type PeReader } from './reader.js';

/** Below this file alignment the loader uses PointerToRawData as is (pefile does the same). */
const HARDCODED_FILE_ALIGNMENT = 0x200;
/**
 * Section-table steps allowed for RVA lookups when sections overlap (no binary search possible).
 * A hostile file with 65535 overlapping sections and 65536 imports would otherwise take billions.
 */
export const MAX_LOOKUP_STEPS = 20_000_000;

/**
 * Maps RVAs (addresses relative to the image base, as the loader lays sections out) to file
 * offsets. An RVA that falls in a section's zero-filled tail, in no section, or past the end of the
 * file maps to `undefined`: callers treat it as "not in the file" instead of reading garbage.
 */
export class PeImage {
  readonly reader: PeReader;
  readonly headers: PeHeaders;

  private readonly firstSectionVa: number;
  /** Sections sorted by virtual address, when their virtual ranges do not overlap (binary search). */
  private readonly disjoint: readonly SectionHeader[] | undefined;
  private lastHit: SectionHeader | undefined;
  private lookupSteps = 0;

  constructor(reader: PeReader, headers: PeHeaders) {
    this.reader = reader;
    this.headers = headers;
    let first = Number.POSITIVE_INFINITY;
    for (const s of headers.sections) first = Math.min(first, s.virtualAddress);
    this.firstSectionVa = first;
    const sorted = [...headers.sections].sort((a, b) => a.virtualAddress - b.virtualAddress);
    const overlaps = sorted.some(
      (s, i) => i > 0 && sorted[i - 1]!.virtualAddress + span(sorted[i - 1]!) > s.virtualAddress,
    );
    this.disjoint = overlaps ? undefined : sorted;
  }

  /** Where a section's raw data really starts: the loader rounds PointerToRawData down to 0x200. */
  rawStart(section: SectionHeader): number {
    if (this.headers.optional.fileAlignment < HARDCODED_FILE_ALIGNMENT) return section.pointerToRawData;
    return section.pointerToRawData - (section.pointerToRawData % HARDCODED_FILE_ALIGNMENT);
  }

  /** The raw bytes a section occupies in the file, clipped to the file's end. */
  rawExtent(section: SectionHeader): { offset: number; size: number } {
    const offset = this.rawStart(section);
    if (offset >= this.reader.size) return { offset, size: 0 };
    return { offset, size: Math.min(section.sizeOfRawData, this.reader.size - offset) };
  }

  /** The section whose virtual range holds `rva` (first match, as section tables may overlap). */
  sectionOf(rva: number): SectionHeader | undefined {
    if (this.disjoint) {
      let low = 0;
      let high = this.disjoint.length - 1;
      while (low <= high) {
        const middle = (low + high) >>> 1;
        const section = this.disjoint[middle]!;
        if (rva < section.virtualAddress) high = middle - 1;
        else if (rva >= section.virtualAddress + span(section)) low = middle + 1;
        else return section;
      }
      return undefined;
    }
    // Overlapping sections: the first in table order wins; consecutive reads mostly hit the same one.
    const last = this.lastHit;
    if (
      last &&
      rva >= last.virtualAddress &&
      rva < last.virtualAddress + span(last) &&
      last === this.firstMatch(rva, last.index)
    ) {
      return last;
    }
    const found = this.firstMatch(rva, this.headers.sections.length);
    if (found) this.lastHit = found;
    return found;
  }

  /** First section in table order before `limit` whose virtual range holds `rva`, within the step budget. */
  private firstMatch(rva: number, limit: number): SectionHeader | undefined {
    const sections = this.headers.sections;
    const end = Math.min(limit + 1, sections.length);
    this.lookupSteps += end;
    if (this.lookupSteps > MAX_LOOKUP_STEPS) {
      throw malformed(`overlapping section table too costly to search (${sections.length} sections)`);
    }
    for (let i = 0; i < end; i++) {
      const section = sections[i]!;
      if (rva >= section.virtualAddress && rva < section.virtualAddress + span(section)) return section;
    }
    return undefined;
  }

  rvaToOffset(rva: number): number | undefined {
    if (!Number.isSafeInteger(rva) || rva < 0) return undefined;
    const section = this.sectionOf(rva);
    if (section) {
      const delta = rva - section.virtualAddress;
      if (delta >= section.sizeOfRawData) return undefined;
      const offset = this.rawStart(section) + delta;
      return offset < this.reader.size ? offset : undefined;
    }
    // Headers are mapped at RVA 0; an RVA below the first section that no section holds lies in them.
    if (
      rva < Math.min(this.firstSectionVa, Math.max(this.headers.optional.sizeOfHeaders, 1)) &&
      rva < this.reader.size
    ) {
      return rva;
    }
    return undefined;
  }

  /** A file offset for `length` bytes at `rva`, or undefined when they are not all in the file. */
  offsetFor(rva: number, length: number): number | undefined {
    const offset = this.rvaToOffset(rva);
    return offset !== undefined && this.reader.has(offset, length) ? offset : undefined;
  }

  /**
   * True when `length` bytes at `rva` lie in a section's virtual tail (past its raw data, within
   * its virtual size): the loader fills that memory with zeros, and hostile files end tables there.
   */
  isZeroFilled(rva: number, length: number): boolean {
    const section = this.sectionOf(rva);
    if (!section) return false;
    const delta = rva - section.virtualAddress;
    return (
      delta >= section.sizeOfRawData && delta + length <= Math.max(section.virtualSize, section.sizeOfRawData)
    );
  }

  u16(rva: number): number | undefined {
    const at = this.offsetFor(rva, 2);
    if (at === undefined) return this.isZeroFilled(rva, 2) ? 0 : undefined;
    return this.reader.u16(at);
  }

  u32(rva: number): number | undefined {
    const at = this.offsetFor(rva, 4);
    if (at === undefined) return this.isZeroFilled(rva, 4) ? 0 : undefined;
    return this.reader.u32(at);
  }

  u64(rva: number): bigint | undefined {
    const at = this.offsetFor(rva, 8);
    if (at === undefined) return this.isZeroFilled(rva, 8) ? 0n : undefined;
    return this.reader.u64(at);
  }

  /** A NUL-terminated ASCII string at `rva`, at most `max` bytes; undefined when not in the file. */
  cString(rva: number, max = 512): string | undefined {
    const at = this.rvaToOffset(rva);
    if (at === undefined) return this.isZeroFilled(rva, 1) ? '' : undefined;
    return this.reader.cString(at, max);
  }

  /** Converts a virtual address (image base + RVA) to an RVA; undefined when below the base. */
  vaToRva(va: bigint): number | undefined {
    const rva = va - this.headers.optional.imageBase;
    return rva >= 0n && rva <= 0xffffffffn ? Number(rva) : undefined;
  }
}

/** How far a section reaches in memory, as far as lookups are concerned. */
function span(section: SectionHeader): number {
  return Math.max(section.virtualSize, section.sizeOfRawData);
}
