import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import type { SevenZipModuleFactory } from '7z-wasm';
import { CountersignError } from '../../core/errors.js';
import { lazyPackage } from '../../core/lazy-package.js';

/**
 * 7-Zip compiled to WebAssembly, for the cabinet compressions not decoded in TypeScript (LZX,
 * Quantum). It runs on its own in-memory file system: the archive is written in, extracted there,
 * and read back; nothing touches the disk. A fresh module per call keeps calls independent (the
 * compiled binary is cached, so a call costs about 70 ms of start-up).
 */

/**
 * Loaded on first use (only LZX and Quantum cabinets need it). The package is CommonJS typed as an
 * ES default export: at run time the module is the factory itself.
 */
const sevenZipPackage = lazyPackage<SevenZipModuleFactory | { default: SevenZipModuleFactory }>('7z-wasm');
const SevenZip: SevenZipModuleFactory = (options) => {
  const loaded = sevenZipPackage();
  return (typeof loaded === 'function' ? loaded : loaded.default)(options);
};

let wasmBinary: Promise<ArrayBuffer> | undefined;

function loadWasm(): Promise<ArrayBuffer> {
  wasmBinary ??= readFile(createRequire(import.meta.url).resolve('7z-wasm/7zz.wasm')).then(
    (buffer) => buffer.buffer.slice(buffer.byteOffset, buffer.byteOffset + buffer.length) as ArrayBuffer,
  );
  return wasmBinary;
}

/**
 * Extracts the file `name` from `archive` and returns its bytes, refusing more than `maxBytes`.
 * Failures (corrupt data, 7-Zip's own errors) are E_ARCHIVE_CORRUPT.
 */
export async function extractWithSevenZip(
  archive: Uint8Array,
  name: string,
  maxBytes: number,
): Promise<Uint8Array> {
  const errors: string[] = [];
  try {
    const module = await SevenZip({
      wasmBinary: await loadWasm(),
      print: () => {},
      printErr: (line: string) => {
        if (errors.length < 20) errors.push(line);
      },
    });
    module.FS.writeFile('/in.cab', archive);
    module.FS.mkdir('/out');
    try {
      module.callMain(['x', '-y', '-bd', '-o/out', '/in.cab', name]);
    } catch (exit) {
      // Emscripten reports a non-zero exit by throwing; the output check below decides.
      errors.push(String(exit instanceof Error ? exit.message : exit));
    }
    let size: number;
    try {
      size = module.FS.stat(`/out/${name}`).size;
    } catch {
      throw new CountersignError(
        'E_ARCHIVE_CORRUPT',
        `7-Zip could not extract the folder: ${errors.join(' ').trim()}`,
      );
    }
    if (size > maxBytes) {
      throw new CountersignError(
        'E_ARCHIVE_UNSUPPORTED',
        `7-Zip produced ${size} bytes, over the ${maxBytes} allowed`,
      );
    }
    const bytes = module.FS.readFile(`/out/${name}`);
    if (errors.some((line) => /error/i.test(line))) {
      throw new CountersignError('E_ARCHIVE_CORRUPT', `7-Zip reported: ${errors.join(' ').trim()}`);
    }
    return bytes;
  } catch (error) {
    if (error instanceof CountersignError) throw error;
    const message = error instanceof Error ? error.message : String(error);
    throw new CountersignError('E_ARCHIVE_CORRUPT', `7-Zip failed: ${message}`, { cause: error });
  }
}
