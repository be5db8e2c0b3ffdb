import { findDirectory } from './headers.js';
import type { PeImage } from './image.js';
import type { ProblemLog } from './problems.js';

export interface PeCodeView {
  readonly format: 'RSDS' | 'NB10';
  /** RSDS: the PDB GUID as Windows prints it; NB10: the signature as hex. */
  readonly guid: string;
  readonly age: number;
  /** The PDB path as the compiler recorded it (often reveals the build machine's folders). */
  readonly path: string;
}

export interface PeDebugEntry {
  readonly type: number;
  readonly typeName: string;
  readonly timeDateStamp: number;
  readonly sizeOfData: number;
  readonly pointerToRawData: number;
  readonly codeView?: PeCodeView;
}

const MAX_DEBUG_ENTRIES = 64;
const ENTRY_SIZE = 28;
const DEBUG_TYPES: Readonly<Record<number, string>> = {
  1: 'coff',
  2: 'codeview',
  3: 'fpo',
  4: 'misc',
  5: 'exception',
  6: 'fixup',
  9: 'borland',
  12: 'vc-feature',
  13: 'pogo',
  14: 'iltcg',
  16: 'repro',
  20: 'ex-dllcharacteristics',
};

export function parseDebug(image: PeImage, log: ProblemLog): PeDebugEntry[] {
  const directory = findDirectory(image.headers, 'debug');
  if (!directory) return [];
  const count = Math.floor(directory.size / ENTRY_SIZE);
  if (count > MAX_DEBUG_ENTRIES)
    log.add('debug', `debug directory declares ${count} entries; ${MAX_DEBUG_ENTRIES} are read`);
  const entries: PeDebugEntry[] = [];
  for (let i = 0; i < Math.min(count, MAX_DEBUG_ENTRIES); i++) {
    const at = image.offsetFor(directory.address + i * ENTRY_SIZE, ENTRY_SIZE);
    if (at === undefined) {
      log.add('debug', `debug entry ${i} is not in the file`, 'E_PE_TRUNCATED');
      break;
    }
    const r = image.reader;
    const type = r.u32(at + 12);
    const sizeOfData = r.u32(at + 16);
    const pointerToRawData = r.u32(at + 24);
    const codeView = type === 2 ? readCodeView(image, pointerToRawData, sizeOfData) : undefined;
    entries.push({
      type,
      typeName: DEBUG_TYPES[type] ?? `0x${type.toString(16)}`,
      timeDateStamp: r.u32(at + 4),
      sizeOfData,
      pointerToRawData,
      ...(codeView ? { codeView } : {}),
    });
  }
  return entries;
}

function hex(bytes: Uint8Array): string {
  return Buffer.from(bytes).toString('hex');
}

function readCodeView(image: PeImage, offset: number, size: number): PeCodeView | undefined {
  const r = image.reader;
  if (!r.has(offset, Math.min(size, 24)) || size < 16) return undefined;
  const signature = r.cString(offset, 4);
  const maxPath = Math.min(1024, size);
  if (signature === 'RSDS' && r.has(offset, 24)) {
    const g = r.slice(offset + 4, 16);
    const le = (from: number, to: number) => hex(g.subarray(from, to).slice().reverse());
    const guid =
      `${le(0, 4)}-${le(4, 6)}-${le(6, 8)}-${hex(g.subarray(8, 10))}-${hex(g.subarray(10, 16))}`.toUpperCase();
    return { format: 'RSDS', guid, age: r.u32(offset + 20), path: r.cString(offset + 24, maxPath) };
  }
  if (signature === 'NB10') {
    return {
      format: 'NB10',
      guid: hex(r.slice(offset + 8, 4)),
      age: r.u32(offset + 12),
      path: r.cString(offset + 16, maxPath),
    };
  }
  return undefined;
}
