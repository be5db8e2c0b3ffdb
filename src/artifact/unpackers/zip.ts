import { Readable, Transform } from 'node:stream';
import { crc32 } from 'node:zlib';
import yauzl, { type Entry, type ZipFile } from 'yauzl';
import { CountersignError } from '../../core/errors.js';
import type { ArchiveEntry, ByteRange, ContentView, EntryKind, Unpacker } from '../../core/plugin.js';
import { toArchiveError } from './archive-errors.js';
import { SpanIndex } from './byte-ranges.js';
import { nodeReadable } from './node-bytes.js';
import { typedStream } from './typed-stream.js';
import {
  dataStartOf,
  decodeMember,
  LOCAL_HEADER_BYTES,
  METHOD_DEFLATED,
  METHOD_STORED,
  type ZipMemberLocation,
} from './zip-member.js';
import { decodeZipName } from './zip-names.js';

/**
 * Entries whose stored and declared sizes are both at most this are read and inflated in one
 * step instead of through a chain of streams: a zip of 100,000 small files is mostly per-entry
 * overhead otherwise. Memory stays bounded by twice this size.
 */
export const SMALL_ENTRY_BYTES = 1024 * 1024;

/** Longest symlink target read from a zip entry's content (PATH_MAX on Linux). */
export const MAX_LINK_TARGET_BYTES = 4096;

const UNIX_HOST = 3;
const S_IFMT = 0o170000;
const S_IFLNK = 0o120000;
const S_IFDIR = 0o040000;

/**
 * yauzl reads through this: every byte comes from `node.read`, so the same code serves a
 * multi-GB file on disk and a zip nested in memory three levels down.
 */
class NodeRandomAccessReader extends yauzl.RandomAccessReader {
  constructor(private readonly node: ContentView) {
    super();
  }

  override _readStreamForRange(start: number, end: number): Readable {
    return nodeReadable(this.node, start, end);
  }

  // yauzl's small reads (central directory, local headers) go straight to node.read.
  override read(
    buffer: Buffer,
    offset: number,
    length: number,
    position: number,
    callback: (err: Error | null, bytesRead?: number) => void,
  ): void {
    this.node.read({ offset: position, length }).then(
      (bytes) => {
        buffer.set(bytes.subarray(0, length), offset);
        callback(null, bytes.length);
      },
      (error: unknown) => callback(error instanceof Error ? error : new Error(String(error))),
    );
  }
}

function openZip(node: ContentView): Promise<ZipFile> {
  return new Promise((resolve, reject) => {
    try {
      yauzl.fromRandomAccessReader(
        new NodeRandomAccessReader(node),
        node.size,
        {
          lazyEntries: true,
          autoClose: false, // the engine may open entries after listing: nothing to release anyway
          decodeStrings: false, // names are decoded by us, raw: yauzl's decoding rejects `../`
          validateEntrySizes: true,
          strictFileNames: false,
        },
        (error, zipfile) => (error ? reject(error) : resolve(zipfile)),
      );
    } catch (error) {
      reject(error);
    }
  });
}

/** One central-directory entry at a time (lazyEntries), as a promise; undefined at the end. */
function nextEntry(zipfile: ZipFile): Promise<Entry | undefined> {
  return new Promise((resolve, reject) => {
    const cleanup = () => {
      zipfile.off('entry', onEntry);
      zipfile.off('end', onEnd);
      zipfile.off('error', onError);
    };
    const onEntry = (entry: Entry) => {
      cleanup();
      resolve(entry);
    };
    const onEnd = () => {
      cleanup();
      resolve(undefined);
    };
    const onError = (error: unknown) => {
      cleanup();
      reject(error);
    };
    zipfile.on('entry', onEntry);
    zipfile.on('end', onEnd);
    zipfile.on('error', onError);
    zipfile.readEntry();
  });
}

function openEntryStream(zipfile: ZipFile, entry: Entry): Promise<Readable> {
  return new Promise((resolve, reject) => {
    try {
      zipfile.openReadStream(entry, (error, stream) => (error ? reject(error) : resolve(stream)));
    } catch (error) {
      reject(error);
    }
  });
}

/** Passes bytes through and fails at the end when their CRC-32 is not the one the zip declares. */
function crcCheck(expected: number, name: string): Transform {
  let crc = 0;
  return new Transform({
    transform(chunk: Buffer, _encoding, callback) {
      crc = crc32(chunk, crc);
      callback(null, chunk);
    },
    flush(callback) {
      if (crc >>> 0 === expected >>> 0) return callback();
      callback(
        new CountersignError('E_ARCHIVE_CORRUPT', `zip entry ${name}: CRC-32 mismatch`, {
          details: { expected: expected >>> 0, actual: crc >>> 0 },
        }),
      );
    },
  });
}

function unixMode(entry: Entry): number | undefined {
  if (entry.versionMadeBy >> 8 !== UNIX_HOST) return undefined;
  const mode = entry.externalFileAttributes >>> 16;
  return mode === 0 ? undefined : mode;
}

function kindOf(name: string, mode: number | undefined): EntryKind {
  if (mode !== undefined && (mode & S_IFMT) === S_IFLNK) return 'symlink';
  if (name.endsWith('/') || name.endsWith('\\')) return 'directory';
  if (mode !== undefined && (mode & S_IFMT) === S_IFDIR) return 'directory';
  return 'file';
}

function problemOf(entry: Entry, name: string): CountersignError | undefined {
  if (entry.isEncrypted()) {
    return new CountersignError('E_ARCHIVE_ENCRYPTED', `zip entry ${name} is encrypted`, {
      details: { compressionMethod: entry.compressionMethod },
    });
  }
  if (entry.compressionMethod !== METHOD_STORED && entry.compressionMethod !== METHOD_DEFLATED) {
    return new CountersignError(
      'E_ARCHIVE_UNSUPPORTED',
      `zip entry ${name} uses compression method ${entry.compressionMethod}`,
      { details: { compressionMethod: entry.compressionMethod } },
    );
  }
  return undefined;
}

/** Reads and decodes a small entry at once, with the same checks as the stream path (size, CRC-32). */
async function readSmallEntry(node: ContentView, entry: Entry, name: string): Promise<Buffer> {
  const member = memberOf(entry, name);
  const local = await node.read({ offset: member.localHeaderOffset, length: LOCAL_HEADER_BYTES });
  const dataStart = dataStartOf(local, member, node.size);
  return decodeMember(await node.read({ offset: dataStart, length: entry.compressedSize }), member);
}

function memberOf(entry: Entry, name: string): ZipMemberLocation {
  return {
    localHeaderOffset: entry.relativeOffsetOfLocalHeader,
    method: entry.compressionMethod === METHOD_STORED ? METHOD_STORED : METHOD_DEFLATED,
    compressedSize: entry.compressedSize,
    uncompressedSize: entry.uncompressedSize,
    crc32: entry.crc32,
    context: `zip entry ${name}`,
  };
}

/** The content of an entry as a typed stream, checked against its declared size (yauzl) and CRC-32 (here). */
async function openContent(
  zipfile: ZipFile,
  node: ContentView,
  entry: Entry,
  name: string,
): Promise<Readable> {
  const context = `zip entry ${name}`;
  if (entry.compressedSize <= SMALL_ENTRY_BYTES && entry.uncompressedSize <= SMALL_ENTRY_BYTES) {
    let data: Buffer;
    try {
      data = await readSmallEntry(node, entry, name);
    } catch (error) {
      throw toArchiveError(error, context);
    }
    return Readable.from(data.length > 0 ? [data] : [], { objectMode: false });
  }
  let raw: Readable;
  try {
    raw = await openEntryStream(zipfile, entry);
  } catch (error) {
    throw toArchiveError(error, context);
  }
  const checked = crcCheck(entry.crc32, name);
  raw.on('error', (error) => checked.destroy(toArchiveError(error, context)));
  raw.pipe(checked);
  checked.on('close', () => {
    if (!raw.readableEnded) raw.destroy();
  });
  return typedStream(checked, (error) => toArchiveError(error, context));
}

/** Reads a symlink entry's target (its content), never more than MAX_LINK_TARGET_BYTES. */
async function readLinkTarget(
  zipfile: ZipFile,
  node: ContentView,
  entry: Entry,
  name: string,
): Promise<string> {
  if (entry.uncompressedSize > MAX_LINK_TARGET_BYTES) {
    throw new CountersignError(
      'E_ARCHIVE_CORRUPT',
      `zip symlink ${name} declares a ${entry.uncompressedSize}-byte target (limit ${MAX_LINK_TARGET_BYTES})`,
    );
  }
  const stream = await openContent(zipfile, node, entry, name);
  const chunks: Buffer[] = [];
  let total = 0;
  for await (const chunk of stream as AsyncIterable<Buffer>) {
    total += chunk.length;
    if (total > MAX_LINK_TARGET_BYTES) {
      stream.destroy();
      throw new CountersignError('E_ARCHIVE_CORRUPT', `zip symlink ${name}: target longer than declared`);
    }
    chunks.push(chunk);
  }
  return Buffer.concat(chunks).toString('utf8');
}

/**
 * The bytes an entry occupies: its local header (fixed part and name, as the central directory
 * gives them) and its stored data. Overlap with another entry means shared data: a zip bomb.
 */
function spanOf(entry: Entry, name: string) {
  const start = entry.relativeOffsetOfLocalHeader;
  return {
    start,
    end: start + LOCAL_HEADER_BYTES + entry.fileNameLength + entry.compressedSize,
    label: name,
  };
}

async function toArchiveEntry(
  zipfile: ZipFile,
  entry: Entry,
  node: ContentView,
  spans: SpanIndex,
): Promise<ArchiveEntry> {
  const name = decodeZipName(entry.fileNameRaw, entry.generalPurposeBitFlag, entry.extraFields);
  const mode = unixMode(entry);
  const kind = kindOf(name, mode);
  const base = {
    name,
    kind,
    declaredSize: entry.uncompressedSize,
    compressedSize: entry.compressedSize,
    mtime: entry.getLastModDate({ timezone: 'UTC' }),
    ...(mode === undefined ? {} : { mode: mode & 0o7777 }),
  };
  const overlapped = kind === 'directory' ? undefined : spans.add(spanOf(entry, name));
  if (overlapped) {
    return {
      ...base,
      problem: new CountersignError(
        'E_ARCHIVE_CORRUPT',
        `zip entry ${name} shares its bytes with entry ${overlapped.label} (overlapping entries: a zip-bomb construction)`,
        { details: { offset: entry.relativeOffsetOfLocalHeader, overlaps: overlapped.label } },
      ),
    };
  }
  const problem = problemOf(entry, name);
  if (problem) return { ...base, problem };
  if (kind === 'directory') {
    if (entry.uncompressedSize === 0 && entry.compressedSize === 0) return base;
    // Unzip tools skip a directory's data: a place to hide bytes, so it is reported, not dropped.
    return {
      ...base,
      problem: new CountersignError(
        'E_ARCHIVE_CORRUPT',
        `zip directory entry ${name} carries ${entry.compressedSize} bytes of data`,
        { details: { compressedSize: entry.compressedSize, declaredSize: entry.uncompressedSize } },
      ),
    };
  }
  if (kind === 'symlink') {
    try {
      return { ...base, linkTarget: await readLinkTarget(zipfile, node, entry, name) };
    } catch (error) {
      return { ...base, problem: toArchiveError(error, `zip symlink ${name}`) };
    }
  }
  const storedRange = await storedRangeOf(node, entry);
  const isSmall = entry.compressedSize <= SMALL_ENTRY_BYTES && entry.uncompressedSize <= SMALL_ENTRY_BYTES;
  return {
    ...base,
    ...(storedRange ? { storedRange } : {}),
    ...(isSmall ? { zipMember: memberOf(entry, name) } : {}),
    open: () => openContent(zipfile, node, entry, name),
  };
}

/**
 * Where a large stored entry's bytes sit in the zip, so the engine reads them in place (and hashes
 * a big one on both cores) instead of streaming a copy. The CRC-32 is not checked on that path:
 * the SHA-256 the engine computes describes the bytes that are there. Undefined when the local
 * header does not check out: the entry then goes through the checked stream.
 */
async function storedRangeOf(node: ContentView, entry: Entry): Promise<ByteRange | undefined> {
  if (entry.compressionMethod !== METHOD_STORED || entry.compressedSize !== entry.uncompressedSize)
    return undefined;
  if (entry.uncompressedSize <= SMALL_ENTRY_BYTES) return undefined;
  const member = memberOf(entry, entry.fileName);
  const local = await node.read({ offset: member.localHeaderOffset, length: LOCAL_HEADER_BYTES });
  let offset: number;
  try {
    offset = dataStartOf(local, member, node.size);
  } catch {
    return undefined;
  }
  return { offset, length: entry.compressedSize };
}

/**
 * unpacker/zip: zip and zip64 archives through yauzl, reading the central directory (so data
 * descriptors are no problem). Entries keep their raw names; encrypted entries and unknown
 * compression methods come with a `problem` instead of content.
 */
export const zipUnpacker: Unpacker = {
  id: 'unpacker/zip',
  version: 1,
  acceptsWithoutHead: true,
  accepts: (node) => node.type === 'zip',
  async *unpack(node) {
    let zipfile: ZipFile;
    try {
      zipfile = await openZip(node);
    } catch (error) {
      throw toArchiveError(error, `zip ${node.name}`);
    }
    const spans = new SpanIndex();
    for (;;) {
      let entry: Entry | undefined;
      try {
        entry = await nextEntry(zipfile);
      } catch (error) {
        if (error instanceof Error && /strong encryption/i.test(error.message)) {
          throw new CountersignError('E_ARCHIVE_ENCRYPTED', `zip ${node.name}: ${error.message}`, {
            cause: error,
          });
        }
        throw toArchiveError(error, `zip ${node.name}`);
      }
      if (entry === undefined) return;
      yield await toArchiveEntry(zipfile, entry, node, spans);
    }
  },
};
