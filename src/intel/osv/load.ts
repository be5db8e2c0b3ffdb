import { lstat, open, readdir, readFile } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { crc32, inflateRawSync } from 'node:zlib';
import yauzl from 'yauzl';
import { CountersignError, isCountersignError, toCountersignError } from '../../core/errors.js';
import { parseJsonText } from '../json-shape.js';
import { parseOsvRecord } from './parse-record.js';
import type { OsvRecord } from './types.js';

/**
 * Reading OSV from disk: one JSON file, a folder tree of them (ossf/malicious-packages, an
 * advisory-database checkout) or an osv.dev `all.zip` dump the user downloaded.
 *
 * Import policy: a record that fails validation is *rejected* with its origin and reason and the
 * import goes on; the result always lists every rejection, so nothing is dropped silently. With
 * `strict: true` the first rejection fails the whole import instead. A container that cannot be
 * read at all (not JSON, not a zip, over a limit) always fails with a CountersignError.
 */
export interface OsvImportOptions {
  readonly strict?: boolean;
  /** Largest single record file (default 16 MiB; real records are KBs). */
  readonly maxRecordBytes?: number;
  /** Most records read from one folder or zip (default 2,000,000). */
  readonly maxRecords?: number;
  /** Most bytes decompressed from one zip (default 8 GiB). */
  readonly maxTotalBytes?: number;
}

export interface OsvRejection {
  /** File, or `dump.zip!/ID.json`, plus the JSON path when the error gave one. */
  readonly origin: string;
  /** JSON path of the first problem, when the record parsed as JSON. */
  readonly path?: string;
  readonly code: CountersignError['code'];
  readonly message: string;
}

export interface OsvImport {
  readonly records: OsvRecord[];
  readonly rejected: OsvRejection[];
  /** Entries that are not records (non-JSON files, folders in a zip), counted for the import report. */
  readonly ignoredEntries: number;
}

const DEFAULTS = {
  maxRecordBytes: 16 * 1024 * 1024,
  maxRecords: 2_000_000,
  maxTotalBytes: 8 * 1024 * 1024 * 1024,
} as const;

/** Records from parsed JSON: one record, or an array of them (osv.dev query results). */
function recordsFromJson(value: unknown, origin: string, sink: Sink): void {
  if (Array.isArray(value)) {
    for (const [index, item] of value.entries()) {
      sink.accept(() => parseOsvRecord(item, `${origin}#${index}`));
    }
  } else {
    sink.accept(() => parseOsvRecord(value, origin));
  }
}

/** Collects records and rejections, enforcing the strict policy and the record count limit. */
class Sink {
  readonly records: OsvRecord[] = [];
  readonly rejected: OsvRejection[] = [];
  ignoredEntries = 0;
  constructor(
    private readonly strict: boolean,
    private readonly maxRecords: number,
  ) {}

  /** Runs `work`, recording an `E_INTEL_MALFORMED` it throws as a rejection (unless strict). */
  attempt(work: () => void): void {
    try {
      work();
    } catch (error) {
      this.recordOrThrow(error);
    }
  }

  accept(parse: () => OsvRecord): void {
    if (this.records.length + this.rejected.length >= this.maxRecords) {
      throw new CountersignError('E_ARTIFACT_TOO_MANY_FILES', `more than ${this.maxRecords} OSV records`, {
        details: { limit: this.maxRecords },
      });
    }
    try {
      this.records.push(parse());
    } catch (error) {
      this.recordOrThrow(error);
    }
  }

  private recordOrThrow(error: unknown): void {
    if (this.strict || !isCountersignError(error) || error.code !== 'E_INTEL_MALFORMED') throw error;
    const path = error.details?.path;
    this.rejected.push({
      origin: String(error.details?.file ?? ''),
      ...(typeof path === 'string' ? { path } : {}),
      code: error.code,
      message: error.message,
    });
  }

  result(): OsvImport {
    return { records: this.records, rejected: this.rejected, ignoredEntries: this.ignoredEntries };
  }
}

/** Imports a file (`.json` or `.zip`, told apart by content) or a folder. */
export async function importOsv(path: string, options: OsvImportOptions = {}): Promise<OsvImport> {
  const info = await statOrThrow(path);
  if (info.isDirectory()) return importOsvDirectory(path, options);
  const head = await readHead(path);
  if (head[0] === 0x50 && head[1] === 0x4b) {
    // Dumps are large: yauzl reads the central directory and each entry from the file on demand.
    return readOsvZip(() => openZipFile(path), path, options);
  }
  const bytes = await readBounded(path, info.size, options.maxRecordBytes ?? DEFAULTS.maxRecordBytes);
  return importOsvJson(bytes, path, options);
}

export function importOsvJson(bytes: Uint8Array, origin: string, options: OsvImportOptions = {}): OsvImport {
  const sink = newSink(options);
  recordsFromJson(parseJsonText(Buffer.from(bytes).toString('utf8'), origin), origin, sink);
  return sink.result();
}

/** Every `*.json` under `dir`, recursively; links are not followed (an intel folder is data). */
export async function importOsvDirectory(dir: string, options: OsvImportOptions = {}): Promise<OsvImport> {
  const sink = newSink(options);
  const maxRecordBytes = options.maxRecordBytes ?? DEFAULTS.maxRecordBytes;
  const pending = [dir];
  while (pending.length > 0) {
    const current = pending.pop()!;
    const names = (await readdir(current)).sort();
    for (const name of names) {
      const full = join(current, name);
      const info = await lstat(full);
      if (info.isDirectory()) pending.push(full);
      else if (info.isFile() && name.endsWith('.json')) {
        const origin = relative(dir, full) || name;
        if (info.size > maxRecordBytes) {
          rejectOversized(sink, origin, info.size, maxRecordBytes, options.strict === true);
          continue;
        }
        const text = await readFile(full, 'utf8');
        // A file's JSON syntax error is a rejection of that file, not a failure of the folder.
        sink.attempt(() => recordsFromJson(parseJsonText(text, origin), origin, sink));
      } else sink.ignoredEntries += 1;
    }
  }
  return sink.result();
}

/**
 * An osv.dev dump (`<ecosystem>/all.zip`: one `<ID>.json` per record at the root). Entries are read
 * one at a time with size checks before inflating, so a hostile zip cannot exhaust memory.
 */
export function importOsvZip(
  bytes: Uint8Array,
  origin: string,
  options: OsvImportOptions = {},
): Promise<OsvImport> {
  return readOsvZip(
    () =>
      new Promise((resolve, reject) =>
        yauzl.fromBuffer(Buffer.from(bytes), ZIP_OPTIONS, (error, file) =>
          error ? reject(error) : resolve(file),
        ),
      ),
    origin,
    options,
  );
}

const ZIP_OPTIONS = { lazyEntries: true, validateEntrySizes: true, autoClose: false } as const;

function openZipFile(path: string): Promise<yauzl.ZipFile> {
  return new Promise((resolve, reject) =>
    yauzl.open(path, ZIP_OPTIONS, (error, file) => (error ? reject(error) : resolve(file))),
  );
}

async function readOsvZip(
  open: () => Promise<yauzl.ZipFile>,
  origin: string,
  options: OsvImportOptions,
): Promise<OsvImport> {
  const sink = newSink(options);
  const maxRecordBytes = options.maxRecordBytes ?? DEFAULTS.maxRecordBytes;
  const maxTotalBytes = options.maxTotalBytes ?? DEFAULTS.maxTotalBytes;
  let zip: yauzl.ZipFile;
  try {
    zip = await open();
  } catch (error) {
    throw new CountersignError(
      'E_ARCHIVE_CORRUPT',
      `${origin}: not a readable zip: ${(error as Error).message}`,
      {
        cause: error,
      },
    );
  }
  let total = 0;
  let isClosed = false;
  const closeOnce = (): void => {
    if (!isClosed) {
      isClosed = true;
      zip.close();
    }
  };
  try {
    await new Promise<void>((resolve, reject) => {
      const fail = (error: unknown): void => {
        closeOnce();
        reject(toCountersignError(error, 'E_ARCHIVE_CORRUPT', origin));
      };
      zip.on('error', fail);
      zip.on('end', () => resolve());
      zip.on('entry', (entry: yauzl.Entry) => {
        const entryOrigin = `${origin}!/${entry.fileName}`;
        if (entry.fileName.endsWith('/') || !entry.fileName.endsWith('.json')) {
          sink.ignoredEntries += 1;
          zip.readEntry();
          return;
        }
        try {
          if ((entry.generalPurposeBitFlag & 0x1) !== 0) {
            throw new CountersignError('E_ARCHIVE_ENCRYPTED', `${entryOrigin}: encrypted entry`);
          }
          if (entry.uncompressedSize > maxRecordBytes) {
            rejectOversized(
              sink,
              entryOrigin,
              entry.uncompressedSize,
              maxRecordBytes,
              options.strict === true,
            );
            zip.readEntry();
            return;
          }
          total += entry.uncompressedSize;
          if (total > maxTotalBytes) {
            throw new CountersignError(
              'E_ARTIFACT_TOO_LARGE',
              `${origin}: more than ${maxTotalBytes} bytes uncompressed`,
            );
          }
        } catch (error) {
          fail(error);
          return;
        }
        // Records are small: take the raw bytes and inflate them in one synchronous call rather
        // than set up a zlib stream per entry (a dump holds 200k+ records); size and CRC checked.
        const readOptions = entry.isCompressed() ? { decompress: false as const } : {};
        // yauzl throws synchronously for some option/entry combinations: never let that escape.
        try {
          zip.openReadStream(entry, readOptions, onStream);
        } catch (error) {
          fail(error);
        }
        function onStream(error: Error | null, stream: NodeJS.ReadableStream) {
          if (error) return fail(error);
          const chunks: Buffer[] = [];
          stream.on('data', (chunk: Buffer) => chunks.push(chunk));
          stream.on('error', fail);
          stream.on('end', () => {
            try {
              const bytes = inflateEntry(entry, Buffer.concat(chunks), entryOrigin, maxRecordBytes);
              sink.accept(() =>
                parseOsvRecord(parseJsonText(bytes.toString('utf8'), entryOrigin), entryOrigin),
              );
              zip.readEntry();
            } catch (failure) {
              fail(failure);
            }
          });
        }
      });
      zip.readEntry();
    });
  } finally {
    closeOnce();
  }
  return sink.result();
}

/** Stored or deflated entry bytes → content, checked against the declared size and CRC-32. */
function inflateEntry(entry: yauzl.Entry, raw: Buffer, origin: string, limit: number): Buffer {
  let content: Buffer;
  if (entry.compressionMethod === 0) content = raw;
  else if (entry.compressionMethod === 8) {
    try {
      content = inflateRawSync(raw, { maxOutputLength: limit });
    } catch (error) {
      throw new CountersignError(
        'E_ARCHIVE_CORRUPT',
        `${origin}: cannot inflate: ${(error as Error).message}`,
        {
          cause: error,
        },
      );
    }
  } else {
    throw new CountersignError(
      'E_ARCHIVE_UNSUPPORTED',
      `${origin}: compression method ${entry.compressionMethod}`,
    );
  }
  if (content.length !== entry.uncompressedSize || crc32(content) !== entry.crc32) {
    throw new CountersignError(
      'E_ARCHIVE_CORRUPT',
      `${origin}: size or CRC-32 does not match the zip directory`,
    );
  }
  return content;
}

function newSink(options: OsvImportOptions): Sink {
  return new Sink(options.strict === true, options.maxRecords ?? DEFAULTS.maxRecords);
}

function rejectOversized(sink: Sink, origin: string, size: number, limit: number, strict: boolean): void {
  const message = `${origin}: record of ${size} bytes is over the ${limit}-byte limit`;
  if (strict) throw new CountersignError('E_ARTIFACT_FILE_TOO_LARGE', message, { details: { file: origin } });
  sink.rejected.push({ origin, code: 'E_ARTIFACT_FILE_TOO_LARGE', message });
}

async function statOrThrow(path: string) {
  try {
    return await lstat(path);
  } catch (error) {
    throw new CountersignError('E_INPUT_NOT_FOUND', `${path}: cannot read: ${(error as Error).message}`, {
      cause: error,
    });
  }
}

async function readHead(path: string): Promise<Uint8Array> {
  const handle = await open(path, 'r');
  try {
    const head = new Uint8Array(4);
    await handle.read(head, 0, 4, 0);
    return head;
  } finally {
    await handle.close();
  }
}

async function readBounded(path: string, size: number, limit: number): Promise<Uint8Array> {
  if (size > limit) {
    throw new CountersignError(
      'E_ARTIFACT_FILE_TOO_LARGE',
      `${path}: ${size} bytes is over the ${limit}-byte limit`,
    );
  }
  return readFile(path);
}
