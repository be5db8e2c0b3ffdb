import { findDirectory } from './headers.js';
import type { PeImage } from './image.js';
import type { ProblemLog } from './problems.js';

export interface PeClr {
  readonly runtimeVersion: string;
  readonly flags: number;
  readonly isIlOnly: boolean;
  /** The metadata root's version string (`v4.0.30319`), when the metadata is in the file. */
  readonly metadataVersion?: string;
}

/** The .NET (CLR) header, present when the COM descriptor data directory is set. */
export function parseClr(image: PeImage, log: ProblemLog): PeClr | undefined {
  const directory = findDirectory(image.headers, 'clr-runtime');
  if (!directory) return undefined;
  const at = image.offsetFor(directory.address, 24);
  if (at === undefined) {
    log.add('clr', 'CLR header is not in the file', 'E_PE_TRUNCATED');
    return { runtimeVersion: 'unknown', flags: 0, isIlOnly: false };
  }
  const r = image.reader;
  const flags = r.u32(at + 16);
  const metadataRva = r.u32(at + 8);
  let metadataVersion: string | undefined;
  const root = image.offsetFor(metadataRva, 16);
  if (root !== undefined && r.u32(root) === 0x424a5342 /* BSJB */) {
    const length = Math.min(r.u32(root + 12), 255);
    metadataVersion = r.cString(root + 16, length);
  }
  return {
    runtimeVersion: `${r.u16(at + 4)}.${r.u16(at + 6)}`,
    flags,
    isIlOnly: (flags & 1) === 1,
    ...(metadataVersion !== undefined ? { metadataVersion } : {}),
  };
}
