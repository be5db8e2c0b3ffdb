import { isUtf8 } from 'node:buffer';
import { type DetectedType, textTypeByName } from '../core/detected-type.js';

/** How many leading bytes `detectType` looks at. */
export const SNIFF_BYTES = 64 * 1024;
/**
 * The head a plugin's `accepts` may rely on seeing (of a node at least that long): a zip member
 * hashed off-thread whose content no plugin takes by type crosses over with this much only.
 */
export const ACCEPTS_HEAD_BYTES = 4 * 1024;

function startsWith(head: Uint8Array, signature: readonly number[], offset = 0): boolean {
  if (head.length < offset + signature.length) return false;
  for (let i = 0; i < signature.length; i++) if (head[offset + i] !== signature[i]) return false;
  return true;
}

/**
 * Bytes as Latin-1 text, one character per byte (what `String.fromCharCode` of each byte gives).
 * Through a Buffer view, not a spread of the bytes: every node of a scan is typed here, on the main
 * thread, and the spread's iterator and argument list were ~100 MB of garbage over node_modules.
 */
function ascii(head: Uint8Array, offset: number, length: number): string {
  const start = Math.min(offset, head.length);
  const end = Math.min(offset + length, head.length);
  return Buffer.from(head.buffer, head.byteOffset + start, end - start).toString('latin1');
}

function readUint32LE(head: Uint8Array, offset: number): number {
  return (
    ((head[offset] ?? 0) | ((head[offset + 1] ?? 0) << 8) | ((head[offset + 2] ?? 0) << 16)) +
    (head[offset + 3] ?? 0) * 0x1000000
  );
}

/**
 * A tar header is known by its checksum, as libmagic and GNU tar know it, whatever its magic: old
 * (v7) tar has none, and `ustar` at offset 257 alone also matches text that merely holds the word
 * there (tar-stream's own headers.js), which no tar reader would open.
 */
function isTarHeader(head: Uint8Array): boolean {
  if (head.length < 512) return false;
  const stored = Number.parseInt(
    ascii(head, 148, 8)
      .replace(/[\0 ]+$/g, '')
      .trim(),
    8,
  );
  if (!Number.isFinite(stored) || head[0] === 0) return false;
  let sum = 0;
  for (let i = 0; i < 512; i++) sum += i >= 148 && i < 156 ? 32 : (head[i] ?? 0);
  return sum === stored;
}

function isAsar(head: Uint8Array): boolean {
  // Chromium pickle: u32 4 (payload size of the size pickle), u32 header pickle size,
  // then the header pickle (u32 payload size, u32 string length) and the JSON header.
  if (head.length < 17 || readUint32LE(head, 0) !== 4) return false;
  return ascii(head, 16, 9) === '{"files":';
}

function isPe(head: Uint8Array): boolean {
  if (!startsWith(head, [0x4d, 0x5a]) || head.length < 0x40) return false;
  const peOffset = readUint32LE(head, 0x3c);
  // A PE header beyond the sniffed head is still a PE candidate: call it PE and let the parser decide.
  if (peOffset + 4 > head.length) return peOffset < 0x10000000;
  return startsWith(head, [0x50, 0x45, 0, 0], peOffset);
}

/** Text is judged on the first 8 KiB: enough to see binary bytes, cheap on many small files. */
const TEXT_SAMPLE_BYTES = 8192;

function isLikelyText(whole: Uint8Array): boolean {
  const head = whole.subarray(0, TEXT_SAMPLE_BYTES);
  if (head.length === 0) return false;
  let control = 0;
  for (let i = 0; i < head.length; i++) {
    const byte = head[i]!;
    if (byte === 0) return false;
    if (byte < 9 || (byte > 13 && byte < 32 && byte !== 27)) control++;
  }
  if (control / head.length > 0.01) return false;
  // Node's native UTF-8 validation: far cheaper than a fatal TextDecoder on thousands of files.
  if (isUtf8(trimPartialUtf8(head))) return true;
  // Latin-1 text is still text if it is mostly printable ASCII.
  let high = 0;
  for (const byte of head) if (byte >= 0x80) high++;
  return high / head.length < 0.3;
}

/** The head may end in the middle of a multi-byte UTF-8 sequence: drop that tail. */
function trimPartialUtf8(head: Uint8Array): Uint8Array {
  let end = head.length;
  let back = 0;
  while (end > 0 && back < 4 && ((head[end - 1] ?? 0) & 0xc0) === 0x80) {
    end--;
    back++;
  }
  if (end > 0 && (head[end - 1] ?? 0) >= 0xc0) end--;
  return head.subarray(0, end);
}

function refineText(head: Uint8Array, name: string): DetectedType {
  const firstLine = ascii(head, 0, Math.min(head.length, 128)).split('\n', 1)[0] ?? '';
  if (firstLine.startsWith('#!')) {
    if (/\bnode\b|\bdeno\b|\bbun\b/.test(firstLine)) return 'javascript';
    return 'shell';
  }
  const byName = textTypeByName(name);
  if (byName) return byName;
  const start = ascii(head, 0, Math.min(head.length, 256)).trimStart();
  if (start.startsWith('<?xml')) return 'xml';
  if (/^<!doctype html|^<html/i.test(start)) return 'html';
  return 'text';
}

/**
 * Sniffs what a node is from its first bytes. Magic numbers decide; the name only refines text.
 * `size` is the node's full size (the head may be shorter).
 */
export function detectType(head: Uint8Array, name: string, size: number): DetectedType {
  if (size === 0) return 'empty';
  if (startsWith(head, [0x50, 0x4b, 0x03, 0x04]) || startsWith(head, [0x50, 0x4b, 0x05, 0x06])) return 'zip';
  if (startsWith(head, [0x50, 0x4b, 0x30, 0x30, 0x50, 0x4b, 0x03, 0x04])) return 'zip'; // spanned marker
  if (startsWith(head, [0x1f, 0x8b])) return 'gzip';
  if (startsWith(head, [0xd0, 0xcf, 0x11, 0xe0, 0xa1, 0xb1, 0x1a, 0xe1])) return 'cfb';
  if (startsWith(head, [0x4d, 0x53, 0x43, 0x46])) return 'cab';
  if (startsWith(head, [0x42, 0x5a, 0x68])) return 'bzip2';
  if (startsWith(head, [0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00])) return 'xz';
  if (startsWith(head, [0x28, 0xb5, 0x2f, 0xfd])) return 'zstd';
  if (startsWith(head, [0x37, 0x7a, 0xbc, 0xaf, 0x27, 0x1c])) return '7z';
  if (startsWith(head, [0x52, 0x61, 0x72, 0x21, 0x1a, 0x07])) return 'rar';
  if (isPe(head)) return 'pe';
  if (startsWith(head, [0x7f, 0x45, 0x4c, 0x46])) return 'elf';
  if (
    startsWith(head, [0xfe, 0xed, 0xfa, 0xce]) ||
    startsWith(head, [0xce, 0xfa, 0xed, 0xfe]) ||
    startsWith(head, [0xfe, 0xed, 0xfa, 0xcf]) ||
    startsWith(head, [0xcf, 0xfa, 0xed, 0xfe])
  )
    return 'macho';
  // 0xCAFEBABE is shared with Java class files; a fat Mach-O has a small architecture count.
  if (
    startsWith(head, [0xca, 0xfe, 0xba, 0xbe]) &&
    (head[4] ?? 1) === 0 &&
    (head[5] ?? 1) === 0 &&
    (head[7] ?? 99) < 20
  )
    return 'macho-fat';
  if (startsWith(head, [0x00, 0x61, 0x73, 0x6d])) return 'wasm';
  if (startsWith(head, [0x25, 0x50, 0x44, 0x46, 0x2d])) return 'pdf';
  if (startsWith(head, [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a])) return 'png';
  if (startsWith(head, [0xff, 0xd8, 0xff])) return 'jpeg';
  if (startsWith(head, [0x47, 0x49, 0x46, 0x38])) return 'gif';
  if (startsWith(head, [0x00, 0x00, 0x01, 0x00]) && (head[4] ?? 0) > 0 && (head[5] ?? 1) === 0 && size >= 22)
    return 'ico';
  if (isAsar(head)) return 'asar';
  if (isTarHeader(head)) return 'tar';
  if (isLikelyText(head)) return refineText(head, name);
  return 'binary';
}
