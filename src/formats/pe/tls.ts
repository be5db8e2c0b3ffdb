import { findDirectory } from './headers.js';
import type { PeImage } from './image.js';
import type { ProblemLog } from './problems.js';

export interface PeTlsCallback {
  readonly va: bigint;
  /** Undefined when the address is below the image base. */
  readonly rva?: number;
  /** Name of the section holding the callback, when one does. */
  readonly section?: string;
}

export interface PeTls {
  readonly callbacksVa: bigint;
  readonly callbacks: readonly PeTlsCallback[];
  readonly truncated: boolean;
}

const MAX_CALLBACKS = 64;

/**
 * The TLS directory and its callback array: code the loader runs before the entry point, a classic
 * place to hide start-up code or anti-debugging. The array holds virtual addresses, NUL-terminated.
 */
export function parseTls(image: PeImage, log: ProblemLog): PeTls | undefined {
  const directory = findDirectory(image.headers, 'tls');
  if (!directory) return undefined;
  const is64 = image.headers.optional.magic === 'PE32+';
  const width = is64 ? 8 : 4;
  const readPointer = (rva: number): bigint | undefined => {
    if (is64) return image.u64(rva);
    const value = image.u32(rva);
    return value === undefined ? undefined : BigInt(value);
  };
  const callbacksVa = readPointer(directory.address + 3 * width);
  if (callbacksVa === undefined) {
    log.add('tls', 'TLS directory is not in the file', 'E_PE_TRUNCATED');
    return undefined;
  }
  const callbacks: PeTlsCallback[] = [];
  const arrayRva = callbacksVa === 0n ? undefined : image.vaToRva(callbacksVa);
  if (callbacksVa !== 0n && arrayRva === undefined)
    log.add('tls', 'TLS callback array address is below the image base');
  let truncated = false;
  if (arrayRva !== undefined) {
    for (let i = 0; ; i++) {
      if (i >= MAX_CALLBACKS) {
        log.add('tls', `more than ${MAX_CALLBACKS} TLS callbacks; the rest are not read`);
        truncated = true;
        break;
      }
      const va = readPointer(arrayRva + i * width);
      // An array outside the file may be filled at run time (by relocations or earlier code): note it.
      if (va === undefined) {
        log.add('tls', 'TLS callback array runs out of the file', 'E_PE_TRUNCATED');
        truncated = true;
        break;
      }
      if (va === 0n) break;
      const rva = image.vaToRva(va);
      const section = rva === undefined ? undefined : image.sectionOf(rva)?.name;
      callbacks.push({
        va,
        ...(rva !== undefined ? { rva } : {}),
        ...(section !== undefined ? { section } : {}),
      });
    }
  }
  return { callbacksVa, callbacks, truncated };
}
