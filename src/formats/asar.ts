import { CountersignError } from '../core/errors.js';

/**
 * Electron asar archives: a Chromium pickle holding a JSON header, then the packed file data.
 *
 *   u32 4                   size of the "size pickle" payload
 *   u32 headerPickleSize    bytes of the header pickle that follows
 *   u32 payloadSize         header pickle: payload size
 *   u32 jsonLength          header pickle: string length, then the JSON (padded to 4 bytes)
 *   ...file data, at 8 + headerPickleSize; each file's `offset` (a decimal string) is relative to it
 *
 * Pure and bounded: bytes in, entries out; no file system.
 */

/** The fixed preamble before the JSON header. */
export const ASAR_PREAMBLE_BYTES = 16;
/** Largest JSON header accepted (real apps have a few MB at most). */
export const MAX_ASAR_HEADER_BYTES = 64 * 1024 * 1024;

export interface AsarLayout {
  /** Where the JSON header starts and how long it is. */
  readonly jsonOffset: number;
  readonly jsonLength: number;
  /** Where file data starts: every entry offset is relative to it. */
  readonly dataOffset: number;
}

/** Per-file integrity as @electron/asar records it (SHA-256 of the file and of each block). */
export interface AsarIntegrity {
  readonly algorithm: string;
  readonly hash: string;
  readonly blockSize?: number;
  readonly blocks?: readonly string[];
}

export interface AsarEntry {
  /** Path inside the archive, the header's keys joined with `/`, unsanitised. */
  readonly path: string;
  readonly kind: 'file' | 'directory' | 'symlink';
  readonly size?: number;
  /** Absolute offset of the content in the archive (dataOffset + the header's relative offset). */
  readonly offset?: number;
  /** Content lives outside the archive, in the sibling `<name>.asar.unpacked/` folder. */
  readonly unpacked: boolean;
  readonly executable: boolean;
  readonly linkTarget?: string;
  readonly integrity?: AsarIntegrity;
  /** Why this entry's content cannot be read from the archive, when it cannot. */
  readonly defect?: { readonly code: 'E_FORMAT_TRUNCATED' | 'E_FORMAT_MALFORMED'; readonly message: string };
}

function malformed(message: string): CountersignError {
  return new CountersignError('E_FORMAT_MALFORMED', `asar: ${message}`);
}

/** Reads the 16-byte preamble and checks the header fits in an archive of `fileSize` bytes. */
export function parseAsarLayout(preamble: Uint8Array, fileSize: number): AsarLayout {
  if (preamble.length < ASAR_PREAMBLE_BYTES) {
    throw new CountersignError('E_FORMAT_TRUNCATED', 'asar: archive shorter than its 16-byte preamble');
  }
  const view = new DataView(preamble.buffer, preamble.byteOffset, ASAR_PREAMBLE_BYTES);
  const sizePickle = view.getUint32(0, true);
  const headerPickleSize = view.getUint32(4, true);
  const payloadSize = view.getUint32(8, true);
  const jsonLength = view.getUint32(12, true);
  if (sizePickle !== 4) throw malformed(`size pickle of ${sizePickle} bytes (expected 4)`);
  if (jsonLength > MAX_ASAR_HEADER_BYTES) {
    throw malformed(`header of ${jsonLength} bytes exceeds the ${MAX_ASAR_HEADER_BYTES}-byte limit`);
  }
  if (payloadSize + 4 > headerPickleSize || jsonLength + 4 > payloadSize) {
    throw malformed('inconsistent header pickle sizes');
  }
  const dataOffset = 8 + headerPickleSize;
  if (ASAR_PREAMBLE_BYTES + jsonLength > fileSize || dataOffset > fileSize) {
    throw new CountersignError('E_FORMAT_TRUNCATED', 'asar: header extends beyond the end of the archive', {
      details: { jsonLength, dataOffset, fileSize },
    });
  }
  return { jsonOffset: ASAR_PREAMBLE_BYTES, jsonLength, dataOffset };
}

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

function isObject(value: Json | undefined): value is { [key: string]: Json } {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function integrityOf(value: Json | undefined): AsarIntegrity | undefined {
  if (!isObject(value) || typeof value.algorithm !== 'string' || typeof value.hash !== 'string')
    return undefined;
  const blocks = Array.isArray(value.blocks)
    ? value.blocks.filter((b): b is string => typeof b === 'string')
    : [];
  return {
    algorithm: value.algorithm,
    hash: value.hash,
    ...(typeof value.blockSize === 'number' ? { blockSize: value.blockSize } : {}),
    ...(blocks.length > 0 ? { blocks } : {}),
  };
}

function fileEntry(
  path: string,
  node: { [key: string]: Json },
  layout: AsarLayout,
  fileSize: number,
): AsarEntry {
  const unpacked = node.unpacked === true;
  const executable = node.executable === true;
  const integrity = integrityOf(node.integrity);
  const common = { path, kind: 'file' as const, unpacked, executable, ...(integrity ? { integrity } : {}) };
  const size = node.size;
  if (typeof size !== 'number' || !Number.isSafeInteger(size) || size < 0) {
    return { ...common, defect: { code: 'E_FORMAT_MALFORMED', message: `asar entry ${path}: invalid size` } };
  }
  if (unpacked) return { ...common, size };
  const relative =
    typeof node.offset === 'string' && /^\d{1,16}$/.test(node.offset) ? Number(node.offset) : NaN;
  if (!Number.isSafeInteger(relative)) {
    return {
      ...common,
      size,
      defect: { code: 'E_FORMAT_MALFORMED', message: `asar entry ${path}: invalid offset` },
    };
  }
  const offset = layout.dataOffset + relative;
  if (offset + size > fileSize) {
    return {
      ...common,
      size,
      offset,
      defect: {
        code: 'E_FORMAT_TRUNCATED',
        message: `asar entry ${path}: content extends beyond the archive`,
      },
    };
  }
  return { ...common, size, offset };
}

/**
 * Parses the JSON header into a flat list of entries, parents before children. The walk uses an
 * explicit stack, so a deeply nested header cannot exhaust the call stack.
 */
export function parseAsarHeader(json: Uint8Array, layout: AsarLayout, fileSize: number): AsarEntry[] {
  let root: Json;
  try {
    root = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(json)) as Json;
  } catch (error) {
    throw new CountersignError('E_FORMAT_MALFORMED', 'asar: header is not valid UTF-8 JSON', {
      cause: error,
    });
  }
  if (!isObject(root) || !isObject(root.files)) throw malformed('header has no "files" object');
  const entries: AsarEntry[] = [];
  const stack: Array<{ prefix: string; files: { [key: string]: Json } }> = [
    { prefix: '', files: root.files },
  ];
  while (stack.length > 0) {
    const { prefix, files } = stack.pop()!;
    const children: Array<{ prefix: string; files: { [key: string]: Json } }> = [];
    for (const [name, node] of Object.entries(files)) {
      const path = prefix + name;
      if (!isObject(node)) {
        entries.push({
          path,
          kind: 'file',
          unpacked: false,
          executable: false,
          defect: { code: 'E_FORMAT_MALFORMED', message: `asar entry ${path}: not an object` },
        });
      } else if (isObject(node.files)) {
        entries.push({ path, kind: 'directory', unpacked: node.unpacked === true, executable: false });
        children.push({ prefix: `${path}/`, files: node.files });
      } else if (typeof node.link === 'string') {
        entries.push({
          path,
          kind: 'symlink',
          linkTarget: node.link,
          unpacked: node.unpacked === true,
          executable: false,
        });
      } else {
        entries.push(fileEntry(path, node, layout, fileSize));
      }
    }
    // Reverse so that popping visits directories in header order.
    for (let i = children.length - 1; i >= 0; i--) stack.push(children[i]!);
  }
  return entries;
}
