import CFB from 'cfb';
import { CountersignError, isCountersignError } from '../../core/errors.js';

/**
 * Compound File Binary (MS-CFB: MSI, old Office) through the `cfb` package: the streams and
 * their paths inside the storage tree. Pure: bytes in, streams out (the package is given a
 * buffer and never touches the file system here).
 */

export interface CompoundStream {
  /** Names of the storages above the stream and of the stream itself, raw (undecoded), root excluded. */
  readonly path: readonly string[];
  readonly bytes: Uint8Array;
}

const CFB_SIGNATURE = [0xd0, 0xcf, 0x11, 0xe0, 0xa1, 0xb1, 0x1a, 0xe1];
const STREAM_TYPE = 2;

export function isCompoundFile(bytes: Uint8Array): boolean {
  return CFB_SIGNATURE.every((byte, index) => bytes[index] === byte);
}

export function readCompoundFile(bytes: Uint8Array): CompoundStream[] {
  if (bytes.length < 512) {
    throw new CountersignError(
      'E_FORMAT_TRUNCATED',
      `cfb: ${bytes.length} bytes, shorter than the 512-byte header`,
    );
  }
  if (!isCompoundFile(bytes))
    throw new CountersignError('E_FORMAT_MALFORMED', 'cfb: no compound file signature');
  let container: CFB.CFB$Container;
  try {
    container = CFB.parse(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length));
  } catch (error) {
    if (isCountersignError(error)) throw error;
    const message = error instanceof Error ? error.message : String(error);
    // The package reads past the end of a cut file as undefined bytes and then trips on them.
    throw new CountersignError('E_FORMAT_MALFORMED', `cfb: ${message}`, { cause: error });
  }
  const streams: CompoundStream[] = [];
  container.FileIndex.forEach((entry, index) => {
    if (entry.type !== STREAM_TYPE) return;
    const fullPath = container.FullPaths[index] ?? entry.name;
    const segments = fullPath
      .split('/')
      .slice(1)
      .filter((segment) => segment.length > 0);
    const content = entry.content ?? [];
    const data = content instanceof Uint8Array ? content : Uint8Array.from(content);
    // The declared size bounds the content: a stream's last sector carries padding.
    const size =
      typeof entry.size === 'number' && entry.size >= 0 ? Math.min(entry.size, data.length) : data.length;
    streams.push({ path: segments.length > 0 ? segments : [entry.name], bytes: data.subarray(0, size) });
  });
  return streams;
}
