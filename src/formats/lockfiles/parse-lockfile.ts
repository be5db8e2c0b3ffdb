import { CountersignError } from '../../core/errors.js';
import { parseNpmLockfile } from './npm.js';
import { parsePnpmLockfile } from './pnpm.js';
import type { ParsedLockfile } from './types.js';
import { parseYarnLockfile } from './yarn.js';

export const LOCKFILE_NAMES = [
  'package-lock.json',
  'npm-shrinkwrap.json',
  '.package-lock.json', // npm's hidden lockfile in node_modules: the tree actually installed
  'pnpm-lock.yaml',
  'yarn.lock',
] as const;
export type LockfileName = (typeof LOCKFILE_NAMES)[number];

export function isLockfileName(name: string): name is LockfileName {
  return (LOCKFILE_NAMES as readonly string[]).includes(name);
}

/**
 * Parses a lockfile by its file name. Throws `CountersignError` with `E_LOCKFILE_MALFORMED`
 * (with `details.line` where the format has lines) or `E_LOCKFILE_UNSUPPORTED`; a file read in
 * part returns its `skipped` entries, which callers must report.
 */
export function parseLockfile(content: Uint8Array | string, name: LockfileName): ParsedLockfile {
  const text = typeof content === 'string' ? content : decodeUtf8(content);
  switch (name) {
    case 'package-lock.json':
    case 'npm-shrinkwrap.json':
    case '.package-lock.json':
      return parseNpmLockfile(text);
    case 'pnpm-lock.yaml':
      return parsePnpmLockfile(text);
    case 'yarn.lock':
      return parseYarnLockfile(text);
  }
}

function decodeUtf8(bytes: Uint8Array): string {
  try {
    // fatal: a lockfile that is not UTF-8 is not a lockfile; do not guess with U+FFFD.
    return new TextDecoder('utf-8', { fatal: true, ignoreBOM: false }).decode(bytes);
  } catch (cause) {
    throw new CountersignError('E_LOCKFILE_MALFORMED', 'lockfile is not valid UTF-8 text', { cause });
  }
}
