import { findDirectory } from './headers.js';
import type { PeImage } from './image.js';
import type { ProblemLog } from './problems.js';

export interface PeExport {
  readonly ordinal: number;
  /** The first name that points at this ordinal, when any. */
  readonly name?: string;
  readonly rva: number;
  /** `OTHERDLL.Function` when the address points inside the export directory (a forwarder). */
  readonly forwarder?: string;
}

export interface PeExports {
  /** The DLL name the exporter recorded for itself (may differ from the file name). */
  readonly dllName?: string;
  readonly timeDateStamp: number;
  readonly ordinalBase: number;
  readonly declaredFunctions: number;
  readonly declaredNames: number;
  readonly entries: readonly PeExport[];
  readonly truncated: boolean;
}

export const MAX_EXPORTS = 65_536;
const MAX_NAME = 512;

/**
 * Reads the export directory: the address table (by ordinal), the name pointer table and the
 * name-ordinal table. Counts are capped; names pointing outside the file are skipped and noted.
 */
export function parseExports(image: PeImage, log: ProblemLog): PeExports | undefined {
  const directory = findDirectory(image.headers, 'export');
  if (!directory) return undefined;
  const base = directory.address;
  const read = (offset: number): number => {
    const value = image.u32(base + offset);
    if (value === undefined) throw truncated();
    return value;
  };
  const truncated = () => {
    log.add('exports', `export directory at RVA 0x${base.toString(16)} is not in the file`, 'E_PE_TRUNCATED');
    return new StopExports();
  };
  try {
    const timeDateStamp = read(4);
    const nameRva = read(12);
    const ordinalBase = read(16);
    const declaredFunctions = read(20);
    const declaredNames = read(24);
    const functionsRva = read(28);
    const namesRva = read(32);
    const ordinalsRva = read(36);
    let isTruncated = false;
    const functionCount = Math.min(declaredFunctions, MAX_EXPORTS);
    const nameCount = Math.min(declaredNames, MAX_EXPORTS);
    if (functionCount < declaredFunctions || nameCount < declaredNames) {
      log.add(
        'exports',
        `export directory declares ${declaredFunctions} functions and ${declaredNames} names; ${MAX_EXPORTS} are read`,
      );
      isTruncated = true;
    }
    const namesByIndex = new Map<number, string>();
    for (let i = 0; i < nameCount; i++) {
      const namePointer = image.u32(namesRva + i * 4);
      const index = image.u16(ordinalsRva + i * 2);
      if (namePointer === undefined || index === undefined) {
        log.add('exports', `export name table runs out of the file after ${i} names`, 'E_PE_TRUNCATED');
        isTruncated = true;
        break;
      }
      const name = image.cString(namePointer, MAX_NAME);
      if (name === undefined) {
        log.add('exports', `export name ${i} points outside the file`);
        continue;
      }
      if (!namesByIndex.has(index)) namesByIndex.set(index, name);
    }
    const entries: PeExport[] = [];
    for (let i = 0; i < functionCount; i++) {
      const rva = image.u32(functionsRva + i * 4);
      if (rva === undefined) {
        log.add('exports', `export address table runs out of the file after ${i} entries`, 'E_PE_TRUNCATED');
        isTruncated = true;
        break;
      }
      const name = namesByIndex.get(i);
      if (rva === 0 && name === undefined) continue; // an unused ordinal slot
      const isForwarder = rva >= base && rva < base + directory.size;
      const forwarder = isForwarder ? image.cString(rva, MAX_NAME) : undefined;
      entries.push({
        ordinal: (ordinalBase + i) >>> 0,
        rva,
        ...(name !== undefined ? { name } : {}),
        ...(forwarder !== undefined ? { forwarder } : {}),
      });
    }
    const dllName = nameRva === 0 ? undefined : image.cString(nameRva, MAX_NAME);
    return {
      ...(dllName !== undefined ? { dllName } : {}),
      timeDateStamp,
      ordinalBase,
      declaredFunctions,
      declaredNames,
      entries,
      truncated: isTruncated,
    };
  } catch (error) {
    if (error instanceof StopExports) return undefined;
    throw error;
  }
}

class StopExports extends Error {}
