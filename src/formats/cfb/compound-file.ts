import { CountersignError } from '../../core/errors.js';

/**
 * Compound File Binary (MS-CFB: MSI, old Office): the streams and their paths in the storage
 * tree. Our own reader rather than the `cfb` package: on a damaged header that package grows an
 * array until V8 aborts the whole process ("invalid size error"), which no try/catch can stop.
 * Here every chain is walked with a visited map and every count is bounded by the file's size,
 * so a hostile file costs at most a few times its own size in memory and time.
 *
 *   header (512 bytes): signature, version @0x1A, byte order 0xFFFE @0x1C, sector shift @0x1E,
 *   mini sector shift @0x20, FAT sector count @0x2C, first directory sector @0x30, mini stream
 *   cutoff @0x38, first mini FAT sector @0x3C, mini FAT sector count @0x40, first DIFAT sector
 *   @0x44, DIFAT sector count @0x48, the first 109 FAT sector numbers @0x4C.
 *   Sector n starts at (n + 1) << sectorShift. Directory entries are 128 bytes: UTF-16 name,
 *   name length @0x40, type @0x42, left/right siblings @0x44/@0x48, child @0x4C, start @0x74,
 *   size @0x78. Streams under the cutoff live in the mini stream (the root entry's chain).
 */

export interface CompoundStream {
  /** Names of the storages above the stream and of the stream itself, raw (undecoded), root excluded. */
  readonly path: readonly string[];
  readonly bytes: Uint8Array;
}

const SIGNATURE = [0xd0, 0xcf, 0x11, 0xe0, 0xa1, 0xb1, 0x1a, 0xe1];
const HEADER_BYTES = 512;
const MAX_REGULAR_SECTOR = 0xfffffffa;
const END_OF_CHAIN = 0xfffffffe;
const FREE_SECTOR = 0xffffffff;
const NO_STREAM = 0xffffffff;
const DIRECTORY_ENTRY_BYTES = 128;
const TYPE_STORAGE = 1;
const TYPE_STREAM = 2;
const TYPE_ROOT = 5;
const HEADER_DIFAT_ENTRIES = 109;
/** Storages nested deeper than this are not followed (real files nest a few levels). */
const MAX_STORAGE_DEPTH = 64;

function truncated(message: string): CountersignError {
  return new CountersignError('E_FORMAT_TRUNCATED', `cfb: ${message}`);
}

function malformed(message: string): CountersignError {
  return new CountersignError('E_FORMAT_MALFORMED', `cfb: ${message}`);
}

export function isCompoundFile(bytes: Uint8Array): boolean {
  return SIGNATURE.every((byte, index) => bytes[index] === byte);
}

class CompoundFile {
  readonly view: DataView;
  readonly sectorSize: number;
  readonly sectorCount: number;
  fat: Uint32Array = new Uint32Array(0);

  constructor(readonly bytes: Uint8Array) {
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    const shift = this.view.getUint16(0x1e, true);
    if (shift !== 9 && shift !== 12) throw malformed(`sector shift ${shift} (only 9 and 12 exist)`);
    this.sectorSize = 1 << shift;
    // Sectors whose first byte lies in the file; a cut last sector is padded with zeros when read.
    this.sectorCount = Math.max(0, Math.ceil((bytes.length - this.sectorSize) / this.sectorSize));
  }

  u32(offset: number): number {
    return this.view.getUint32(offset, true);
  }

  /** The bytes of sector `n` (zero-padded when the file is cut inside it). */
  sector(n: number): Uint8Array {
    if (n >= this.sectorCount)
      throw truncated(`sector ${n} lies beyond the end of the file (${this.sectorCount} sectors)`);
    const start = (n + 1) * this.sectorSize;
    const end = start + this.sectorSize;
    if (end <= this.bytes.length) return this.bytes.subarray(start, end);
    const padded = new Uint8Array(this.sectorSize);
    padded.set(this.bytes.subarray(start));
    return padded;
  }

  /** Sector numbers of a chain, in order; refuses loops and chains longer than `limit`. */
  chain(start: number, table: Uint32Array, what: string, limit = table.length): number[] {
    const sectors: number[] = [];
    const seen = new Set<number>();
    let current = start;
    while (current !== END_OF_CHAIN) {
      if (current > MAX_REGULAR_SECTOR || current === FREE_SECTOR) {
        throw malformed(`${what}: chain reaches a special sector number 0x${current.toString(16)}`);
      }
      if (current >= table.length) throw truncated(`${what}: sector ${current} beyond the allocation table`);
      if (seen.has(current)) throw malformed(`${what}: chain loops at sector ${current}`);
      if (sectors.length >= limit) throw malformed(`${what}: chain longer than ${limit} sectors`);
      seen.add(current);
      sectors.push(current);
      current = table[current] ?? END_OF_CHAIN;
    }
    return sectors;
  }

  /** Concatenates whole sectors of a regular chain. */
  readChain(start: number, what: string, limit?: number): Uint8Array {
    const sectors = this.chain(start, this.fat, what, limit);
    const out = new Uint8Array(sectors.length * this.sectorSize);
    for (const [index, n] of sectors.entries()) out.set(this.sector(n), index * this.sectorSize);
    return out;
  }
}

function toUint32Array(bytes: Uint8Array): Uint32Array {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const out = new Uint32Array(Math.floor(bytes.length / 4));
  for (let i = 0; i < out.length; i++) out[i] = view.getUint32(i * 4, true);
  return out;
}

/** The FAT sector numbers: 109 in the header, the rest in the DIFAT chain. */
function fatSectors(file: CompoundFile): number[] {
  const declared = file.u32(0x2c);
  // Each FAT sector maps sectorSize/4 sectors; more FAT sectors than that of the file cannot be real.
  const most = Math.ceil(file.sectorCount / (file.sectorSize / 4)) + 1;
  if (declared > most)
    throw malformed(`${declared} FAT sectors declared for a file of ${file.sectorCount} sectors`);
  const sectors: number[] = [];
  for (let i = 0; i < Math.min(declared, HEADER_DIFAT_ENTRIES); i++) sectors.push(file.u32(0x4c + i * 4));
  let difat = file.u32(0x44);
  const seen = new Set<number>();
  const perSector = file.sectorSize / 4 - 1;
  while (sectors.length < declared) {
    if (difat > MAX_REGULAR_SECTOR)
      throw malformed(`the DIFAT ends after ${sectors.length} of ${declared} FAT sectors`);
    if (seen.has(difat)) throw malformed(`the DIFAT chain loops at sector ${difat}`);
    seen.add(difat);
    const entries = toUint32Array(file.sector(difat));
    for (let i = 0; i < perSector && sectors.length < declared; i++) sectors.push(entries[i] ?? FREE_SECTOR);
    difat = entries[perSector] ?? END_OF_CHAIN;
  }
  return sectors;
}

interface DirectoryEntry {
  readonly name: string;
  readonly type: number;
  readonly left: number;
  readonly right: number;
  readonly child: number;
  readonly start: number;
  readonly size: number;
  /** The raw metadata fields the MSI signature's extended digest covers. */
  readonly clsid: Uint8Array;
  readonly stateBits: Uint8Array;
  readonly creationTime: Uint8Array;
  readonly modifiedTime: Uint8Array;
  /** The size field's low 32 bits, as stored (version 3 files use only these). */
  readonly sizeLow: number;
}

function readDirectory(file: CompoundFile, version: number): DirectoryEntry[] {
  const raw = file.readChain(file.u32(0x30), 'directory');
  const view = new DataView(raw.buffer, raw.byteOffset, raw.byteLength);
  const entries: DirectoryEntry[] = [];
  for (let at = 0; at + DIRECTORY_ENTRY_BYTES <= raw.length; at += DIRECTORY_ENTRY_BYTES) {
    const nameBytes = Math.min(64, view.getUint16(at + 0x40, true));
    let name = '';
    for (let i = 0; i + 1 < nameBytes; i += 2) {
      const unit = view.getUint16(at + i, true);
      if (unit === 0) break;
      name += String.fromCharCode(unit);
    }
    // Version 3 files keep garbage in the high half of the size; only the low 32 bits count.
    const low = view.getUint32(at + 0x78, true);
    const high = version === 3 ? 0 : view.getUint32(at + 0x7c, true);
    entries.push({
      name,
      type: view.getUint8(at + 0x42),
      left: view.getUint32(at + 0x44, true),
      right: view.getUint32(at + 0x48, true),
      child: view.getUint32(at + 0x4c, true),
      start: view.getUint32(at + 0x74, true),
      size: high * 0x100000000 + low,
      clsid: raw.subarray(at + 0x50, at + 0x60),
      stateBits: raw.subarray(at + 0x60, at + 0x64),
      creationTime: raw.subarray(at + 0x64, at + 0x6c),
      modifiedTime: raw.subarray(at + 0x6c, at + 0x74),
      sizeLow: low,
    });
  }
  return entries;
}

interface OpenedCompoundFile {
  readonly directory: readonly DirectoryEntry[];
  readonly root: DirectoryEntry;
  readStream(entry: DirectoryEntry, what: string): Uint8Array;
}

function openCompoundFile(bytes: Uint8Array): OpenedCompoundFile {
  if (bytes.length < HEADER_BYTES) throw truncated(`${bytes.length} bytes, shorter than the 512-byte header`);
  if (!isCompoundFile(bytes)) throw malformed('no compound file signature');
  const file = new CompoundFile(bytes);
  const version = file.view.getUint16(0x1a, true);
  const sectors = fatSectors(file);
  const fat = new Uint32Array(sectors.length * (file.sectorSize / 4));
  for (const [index, n] of sectors.entries()) {
    fat.set(toUint32Array(file.sector(n)), index * (file.sectorSize / 4));
  }
  file.fat = fat;

  const directory = readDirectory(file, version);
  const root = directory[0];
  if (!root || root.type !== TYPE_ROOT) throw malformed('the first directory entry is not the root');

  const miniSectorSize = 1 << file.view.getUint16(0x20, true);
  if (miniSectorSize !== 64) throw malformed(`mini sector size ${miniSectorSize} (only 64 exists)`);
  const cutoff = file.u32(0x38);
  let miniStream: Uint8Array | undefined;
  let miniFat: Uint32Array | undefined;
  const mini = () => {
    if (!miniStream || !miniFat) {
      miniStream =
        root.start === END_OF_CHAIN ? new Uint8Array(0) : file.readChain(root.start, 'mini stream');
      const first = file.u32(0x3c);
      miniFat =
        first === END_OF_CHAIN ? new Uint32Array(0) : toUint32Array(file.readChain(first, 'mini FAT'));
    }
    return { stream: miniStream, table: miniFat };
  };

  let total = 0;
  const budget = bytes.length * 2 + 1024 * 1024; // streams never share sectors in a real file
  const readStream = (entry: DirectoryEntry, what: string): Uint8Array => {
    if (entry.size === 0) return new Uint8Array(0);
    total += entry.size;
    if (total > budget)
      throw malformed(`streams total more than ${budget} bytes in a ${bytes.length}-byte file`);
    let data: Uint8Array;
    if (entry.size < cutoff) {
      const { stream, table } = mini();
      const chain = file.chain(entry.start, table, what, Math.ceil(entry.size / miniSectorSize));
      data = new Uint8Array(chain.length * miniSectorSize);
      for (const [index, n] of chain.entries()) {
        const start = n * miniSectorSize;
        if (start + miniSectorSize > stream.length)
          throw truncated(`${what}: mini sector ${n} beyond the mini stream`);
        data.set(stream.subarray(start, start + miniSectorSize), index * miniSectorSize);
      }
    } else {
      data = file.readChain(entry.start, what, Math.ceil(entry.size / file.sectorSize));
    }
    if (data.length < entry.size)
      throw truncated(`${what}: ${data.length} bytes in its chain, ${entry.size} declared`);
    return data.subarray(0, entry.size);
  };

  return { directory, root, readStream };
}

/** Reads every stream of the compound file in `bytes`. */
export function readCompoundFile(bytes: Uint8Array): CompoundStream[] {
  const { directory, root, readStream } = openCompoundFile(bytes);
  // Walk the storage tree without recursion: each storage's children form a tree of siblings.
  const streams: CompoundStream[] = [];
  const visited = new Set<number>();
  const pending: Array<{ id: number; parents: readonly string[] }> = [{ id: root.child, parents: [] }];
  while (pending.length > 0) {
    const { id, parents } = pending.pop() as { id: number; parents: readonly string[] };
    if (id === NO_STREAM) continue;
    const entry = directory[id];
    if (!entry) throw malformed(`directory entry ${id} does not exist (${directory.length} entries)`);
    if (visited.has(id)) throw malformed(`directory entry ${id} is reached twice (a loop in the tree)`);
    visited.add(id);
    pending.push({ id: entry.left, parents }, { id: entry.right, parents });
    if (entry.type === TYPE_STREAM) {
      streams.push({ path: [...parents, entry.name], bytes: readStream(entry, `stream ${entry.name}`) });
    } else if (entry.type === TYPE_STORAGE && parents.length < MAX_STORAGE_DEPTH) {
      pending.push({ id: entry.child, parents: [...parents, entry.name] });
    }
  }
  return streams;
}

/** One directory entry of the storage tree, with the metadata fields signatures cover. */
export interface CompoundEntry {
  /** Raw (undecoded) UTF-16 name; the root's is `Root Entry`. */
  readonly name: string;
  readonly kind: 'root' | 'storage' | 'stream';
  /** 16 bytes; all zero for streams. */
  readonly clsid: Uint8Array;
  readonly stateBits: Uint8Array;
  /** FILETIMEs, 8 bytes each, as stored. */
  readonly creationTime: Uint8Array;
  readonly modifiedTime: Uint8Array;
  /** The size field's low 32 bits, as stored. */
  readonly declaredSize: number;
  /** A stream's content (empty for storages). */
  readonly bytes: Uint8Array;
  /** A storage's (or the root's) children, in directory order (unsorted). */
  readonly children: readonly CompoundEntry[];
}

/**
 * The compound file's storage tree with each entry's metadata: what the MSI Authenticode digest
 * (content in name order, then each storage's CLSID; with MsiDigitalSignatureEx, names, sizes,
 * state bits and times too) is computed over. Entries other than storages and streams are left out.
 */
export function readCompoundTree(bytes: Uint8Array): CompoundEntry {
  const { directory, root, readStream } = openCompoundFile(bytes);
  const visited = new Set<number>();
  const toEntry = (entry: DirectoryEntry, kind: CompoundEntry['kind'], bytes: Uint8Array) => ({
    name: entry.name,
    kind,
    clsid: entry.clsid,
    stateBits: entry.stateBits,
    creationTime: entry.creationTime,
    modifiedTime: entry.modifiedTime,
    declaredSize: entry.sizeLow,
    bytes,
    children: [] as CompoundEntry[],
  });
  const top = toEntry(root, 'root', new Uint8Array(0));
  // Without recursion, as in readCompoundFile: each pending id is a sibling tree under `parent`.
  const pending: Array<{ id: number; parent: { children: CompoundEntry[] }; depth: number }> = [
    { id: root.child, parent: top, depth: 0 },
  ];
  while (pending.length > 0) {
    const { id, parent, depth } = pending.pop() as (typeof pending)[number];
    if (id === NO_STREAM) continue;
    const entry = directory[id];
    if (!entry) throw malformed(`directory entry ${id} does not exist (${directory.length} entries)`);
    if (visited.has(id)) throw malformed(`directory entry ${id} is reached twice (a loop in the tree)`);
    visited.add(id);
    pending.push({ id: entry.left, parent, depth }, { id: entry.right, parent, depth });
    if (entry.type === TYPE_STREAM) {
      parent.children.push(toEntry(entry, 'stream', readStream(entry, `stream ${entry.name}`)));
    } else if (entry.type === TYPE_STORAGE && depth < MAX_STORAGE_DEPTH) {
      const storage = toEntry(entry, 'storage', new Uint8Array(0));
      parent.children.push(storage);
      pending.push({ id: entry.child, parent: storage, depth: depth + 1 });
    }
  }
  return top;
}
