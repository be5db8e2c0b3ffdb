import { CountersignError } from '../core/errors.js';

/**
 * Zip archives inside another file: appended to a PE (self-extracting archives), or embedded in
 * one (a Squirrel `Setup.exe` carries its `.nupkg` as a resource). Found from the end-of-central-
 * directory record (EOCD), then checked: the central directory must start with its signature
 * where the EOCD says, and the first local header must be where the central directory says.
 *
 * Two layouts exist. `cat stub.exe a.zip` keeps offsets relative to the zip's own start, so the
 * zip is the byte range [start, end) as is. `zip -A` (and most SFX builders) rewrite offsets to
 * count from the start of the whole file: the range then needs its offsets shifted back
 * (`rebaseZip`) before an ordinary zip reader can open it. Zip64 archives are recognised but
 * not rebased.
 */

const EOCD_SIGNATURE = 0x06054b50;
const CD_SIGNATURE = 0x02014b50;
const LOCAL_SIGNATURE = 0x04034b50;
const EOCD_BYTES = 22;
const CD_ENTRY_BYTES = 46;

export interface EmbeddedZip {
  /** Where the zip's first byte (its first local header) is, within the host. */
  readonly start: number;
  /** One past the end of the EOCD and its comment. */
  readonly end: number;
  /** Where its EOCD record is, within the host. */
  readonly eocd: number;
  /** True when its offsets count from the start of the host (zip -A): read it through `rebaseZip`. */
  readonly hostRelative: boolean;
  readonly entryCount: number;
}

function u16(bytes: Uint8Array, at: number): number {
  return (bytes[at] ?? 0) | ((bytes[at + 1] ?? 0) << 8);
}

function u32(bytes: Uint8Array, at: number): number {
  return (u16(bytes, at) + u16(bytes, at + 2) * 0x10000) >>> 0;
}

/** Offsets of every EOCD signature in `bytes`. */
export function eocdCandidates(bytes: Uint8Array): number[] {
  const found: number[] = [];
  const buffer = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length);
  const signature = Buffer.from([0x50, 0x4b, 0x05, 0x06]);
  for (let at = buffer.indexOf(signature); at >= 0; at = buffer.indexOf(signature, at + 1)) found.push(at);
  return found;
}

/** Checks the EOCD at `eocd` of `host` and locates its zip; undefined when it does not hold together. */
export function locateZip(host: Uint8Array, eocd: number): EmbeddedZip | undefined {
  if (eocd + EOCD_BYTES > host.length || u32(host, eocd) !== EOCD_SIGNATURE) return undefined;
  if (u16(host, eocd + 4) !== 0 || u16(host, eocd + 6) !== 0) return undefined; // multi-disk
  const entryCount = u16(host, eocd + 10);
  const cdSize = u32(host, eocd + 12);
  const cdOffset = u32(host, eocd + 16);
  const end = eocd + EOCD_BYTES + u16(host, eocd + 20);
  if (end > host.length || entryCount === 0 || cdSize > eocd) return undefined;
  const cdStart = eocd - cdSize;
  if (u32(host, cdStart) !== CD_SIGNATURE) return undefined;
  const firstLocal = u32(host, cdStart + 42);
  // Offsets relative to the zip: the zip starts cdOffset bytes before its central directory.
  const zipStart = cdStart - cdOffset;
  if (
    zipStart > 0 &&
    u32(host, zipStart) === LOCAL_SIGNATURE &&
    u32(host, zipStart + firstLocal) === LOCAL_SIGNATURE
  ) {
    return { start: zipStart, end, eocd, hostRelative: false, entryCount };
  }
  // Offsets relative to the host (zip -A): the central directory is where cdOffset says.
  if (cdOffset === cdStart && firstLocal < cdStart && u32(host, firstLocal) === LOCAL_SIGNATURE) {
    return { start: firstLocal, end, eocd, hostRelative: true, entryCount };
  }
  return undefined;
}

/** The zips in `host`, outermost only (a zip stored inside another is the outer zip's business). */
export function findEmbeddedZips(host: Uint8Array): EmbeddedZip[] {
  const zips = eocdCandidates(host)
    .map((eocd) => locateZip(host, eocd))
    .filter((zip): zip is EmbeddedZip => zip !== undefined)
    .sort((a, b) => b.end - b.start - (a.end - a.start));
  const kept: EmbeddedZip[] = [];
  for (const zip of zips) {
    if (!kept.some((outer) => zip.start >= outer.start && zip.end <= outer.end)) kept.push(zip);
  }
  return kept.sort((a, b) => a.start - b.start);
}

/**
 * A copy of a host-relative zip whose offsets count from its own start: every central directory
 * entry's local header offset and the EOCD's central directory offset, less `zip.start`.
 */
export function rebaseZip(host: Uint8Array, zip: EmbeddedZip): Uint8Array {
  // A copy (a Buffer's `slice` would share the host's memory).
  const out = new Uint8Array(zip.end - zip.start);
  out.set(host.subarray(zip.start, zip.end));
  const view = new DataView(out.buffer);
  const eocdAt = zip.eocd - zip.start;
  const cdOffset = view.getUint32(eocdAt + 16, true);
  if (cdOffset === 0xffffffff) {
    throw new CountersignError('E_FORMAT_UNSUPPORTED', 'embedded zip: zip64 offsets are not rebased');
  }
  view.setUint32(eocdAt + 16, cdOffset - zip.start, true);
  let at = cdOffset - zip.start;
  const count = view.getUint16(eocdAt + 10, true);
  for (let index = 0; index < count; index++) {
    if (at + CD_ENTRY_BYTES > eocdAt || view.getUint32(at, true) !== CD_SIGNATURE) {
      throw new CountersignError(
        'E_FORMAT_MALFORMED',
        `embedded zip: central directory entry ${index} is damaged`,
      );
    }
    const local = view.getUint32(at + 42, true);
    if (local === 0xffffffff || local < zip.start) {
      throw new CountersignError(
        'E_FORMAT_UNSUPPORTED',
        `embedded zip: entry ${index} has an offset that cannot be rebased`,
      );
    }
    view.setUint32(at + 42, local - zip.start, true);
    at +=
      CD_ENTRY_BYTES +
      view.getUint16(at + 28, true) +
      view.getUint16(at + 30, true) +
      view.getUint16(at + 32, true);
  }
  return out;
}
