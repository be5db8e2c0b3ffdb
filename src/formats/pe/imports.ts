import { findDirectory } from './headers.js';
import type { PeImage } from './image.js';
import type { ProblemLog } from './problems.js';

export interface PeImportedFunction {
  /** Absent when imported by ordinal only. */
  readonly name?: string;
  readonly ordinal?: number;
  readonly hint?: number;
}

export interface PeImportModule {
  /** The DLL name as written (case kept). */
  readonly dll: string;
  readonly delayLoad: boolean;
  readonly functions: readonly PeImportedFunction[];
  /** True when a cap stopped the list early. */
  readonly truncated: boolean;
}

export const MAX_IMPORT_MODULES = 4096;
export const MAX_IMPORTED_FUNCTIONS = 65_536;
const MAX_NAME = 512;

/**
 * Reads the import directory: one descriptor per DLL, then its lookup table (the INT, or the IAT
 * when a linker left the INT empty). Bounded by module and function caps: a hostile file can
 * declare tables that never end or that point at themselves.
 */
export function parseImports(image: PeImage, log: ProblemLog): PeImportModule[] {
  const directory = findDirectory(image.headers, 'import');
  if (!directory) return [];
  const modules: PeImportModule[] = [];
  const budget = { functions: MAX_IMPORTED_FUNCTIONS };
  for (let index = 0; index < MAX_IMPORT_MODULES; index++) {
    const at = directory.address + index * 20;
    const lookup = image.u32(at);
    const nameRva = image.u32(at + 12);
    const iat = image.u32(at + 16);
    if (lookup === undefined || nameRva === undefined || iat === undefined) {
      if (index === 0)
        log.add(
          'imports',
          `import descriptor at RVA 0x${at.toString(16)} is not in the file`,
          'E_PE_TRUNCATED',
        );
      else
        log.add(
          'imports',
          `import descriptor table runs out of the file after ${index} entries`,
          'E_PE_TRUNCATED',
        );
      return modules;
    }
    if (nameRva === 0 && iat === 0) return modules;
    const dll = image.cString(nameRva, MAX_NAME);
    if (dll === undefined) {
      log.add(
        'imports',
        `import descriptor ${index} names a DLL at RVA 0x${nameRva.toString(16)} outside the file`,
      );
      continue;
    }
    const table = lookup !== 0 && image.rvaToOffset(lookup) !== undefined ? lookup : iat;
    const { functions, truncated } = readThunks(image, table, budget, log, 'imports', dll);
    modules.push({ dll, delayLoad: false, functions, truncated });
  }
  log.add('imports', `more than ${MAX_IMPORT_MODULES} import descriptors; the rest are not read`);
  return modules;
}

/**
 * Reads the delay-load import directory (ImgDelayDescr, 32 bytes each). Old (VC6) descriptors
 * without the RVA attribute hold virtual addresses instead of RVAs.
 */
export function parseDelayImports(image: PeImage, log: ProblemLog): PeImportModule[] {
  const directory = findDirectory(image.headers, 'delay-import');
  if (!directory) return [];
  const modules: PeImportModule[] = [];
  const budget = { functions: MAX_IMPORTED_FUNCTIONS };
  for (let index = 0; index < MAX_IMPORT_MODULES; index++) {
    const at = directory.address + index * 32;
    const attributes = image.u32(at);
    const rawName = image.u32(at + 4);
    const rawNameTable = image.u32(at + 16);
    if (attributes === undefined || rawName === undefined || rawNameTable === undefined) {
      log.add('delay-imports', `delay-import descriptor ${index} is not in the file`, 'E_PE_TRUNCATED');
      return modules;
    }
    if (rawName === 0) return modules;
    const usesRvas = (attributes & 1) === 1;
    const toRva = (value: number): number | undefined => (usesRvas ? value : image.vaToRva(BigInt(value)));
    const nameRva = toRva(rawName);
    const dll = nameRva === undefined ? undefined : image.cString(nameRva, MAX_NAME);
    if (dll === undefined) {
      log.add('delay-imports', `delay-import descriptor ${index} names a DLL outside the file`);
      continue;
    }
    const tableRva = toRva(rawNameTable);
    const { functions, truncated } =
      tableRva === undefined || rawNameTable === 0
        ? { functions: [], truncated: false }
        : readThunks(image, tableRva, budget, log, 'delay-imports', dll, usesRvas ? undefined : toRva);
    modules.push({ dll, delayLoad: true, functions, truncated });
  }
  log.add('delay-imports', `more than ${MAX_IMPORT_MODULES} delay-import descriptors; the rest are not read`);
  return modules;
}

function readThunks(
  image: PeImage,
  tableRva: number,
  budget: { functions: number },
  log: ProblemLog,
  part: 'imports' | 'delay-imports',
  dll: string,
  nameVaToRva?: (value: number) => number | undefined,
): { functions: PeImportedFunction[]; truncated: boolean } {
  const is64 = image.headers.optional.magic === 'PE32+';
  const width = is64 ? 8 : 4;
  const functions: PeImportedFunction[] = [];
  for (let slot = 0; ; slot++) {
    if (budget.functions <= 0) {
      log.add(part, `import lists exceed ${MAX_IMPORTED_FUNCTIONS} functions; ${dll} is cut`);
      return { functions, truncated: true };
    }
    const at = tableRva + slot * width;
    let thunk: bigint | undefined;
    if (is64) thunk = image.u64(at);
    else {
      const value = image.u32(at);
      thunk = value === undefined ? undefined : BigInt(value);
    }
    if (thunk === undefined) {
      log.add(part, `import lookup table of ${dll} runs out of the file`, 'E_PE_TRUNCATED');
      return { functions, truncated: true };
    }
    if (thunk === 0n) return { functions, truncated: false };
    budget.functions--;
    const ordinalFlag = is64 ? 1n << 63n : 1n << 31n;
    if ((thunk & ordinalFlag) !== 0n) {
      functions.push({ ordinal: Number(thunk & 0xffffn) });
      continue;
    }
    const raw = Number(thunk & 0x7fffffffn);
    const hintRva = nameVaToRva ? nameVaToRva(raw) : raw;
    const hint = hintRva === undefined ? undefined : image.u16(hintRva);
    const name = hintRva === undefined ? undefined : image.cString(hintRva + 2, MAX_NAME);
    if (hint === undefined || name === undefined) {
      log.add(part, `import ${slot} of ${dll} names a function outside the file`);
      continue;
    }
    functions.push({ name, hint });
  }
}
