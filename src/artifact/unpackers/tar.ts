import { Readable } from 'node:stream';
import tarStream from 'tar-stream';
import { CountersignError } from '../../core/errors.js';
import type { ArchiveEntry, EntryKind, Unpacker } from '../../core/plugin.js';
import { toArchiveError } from './archive-errors.js';
import { nodeReadable } from './node-bytes.js';

/** What tar-stream hands out per entry: a streamx Readable carrying the header. */
interface TarEntryStream {
  readonly header: tarStream.Header;
  on(event: 'data', listener: (chunk: Buffer) => void): unknown;
  on(event: 'end' | 'close', listener: () => void): unknown;
  on(event: 'error', listener: (error: unknown) => void): unknown;
  removeAllListeners(event: string): unknown;
  readonly destroyed: boolean;
  pause(): unknown;
  resume(): unknown;
}

const KIND_BY_TYPE: Readonly<Record<string, EntryKind>> = {
  file: 'file',
  'contiguous-file': 'file',
  directory: 'directory',
  symlink: 'symlink',
  link: 'hardlink',
};

/**
 * One entry's content, handed to the engine as a Node Readable. tar is sequential: the entry's
 * bytes must be read (or thrown away) before the next header can be parsed. `release` is called
 * before the next entry is requested: it drains what nobody read, and fails a stream that was
 * opened but left unfinished instead of handing out silently truncated content.
 */
class SequentialContent {
  private opened: Readable | undefined;
  private ended = false;
  private released = false;

  constructor(
    private readonly source: TarEntryStream,
    private readonly name: string,
    /** The parser's error, if it failed: an entry stream may be destroyed before anyone listens. */
    private readonly failure: () => unknown,
  ) {
    source.on('end', () => {
      this.ended = true;
    });
    // Errors reach the consumer through the stream returned by open(); never unhandled.
    source.on('error', () => {});
  }

  open(): Readable {
    if (this.released) {
      throw new CountersignError(
        'E_INTERNAL',
        `tar entry ${this.name}: content requested after the next entry (tar is read in order)`,
      );
    }
    if (this.opened) throw new CountersignError('E_INTERNAL', `tar entry ${this.name}: opened twice`);
    const source = this.source;
    const context = `tar entry ${this.name}`;
    const output = new Readable({
      read() {
        source.resume();
      },
    });
    source.on('data', (chunk) => {
      if (!output.push(chunk)) source.pause();
    });
    source.on('end', () => output.push(null));
    const cutShort = (error: unknown) => {
      if (this.ended || output.destroyed) return;
      const cause =
        error ?? this.failure() ?? new Error('unexpected end of data: entry closed before its end');
      output.destroy(toArchiveError(cause, context));
    };
    source.on('error', cutShort);
    source.on('close', () => cutShort(undefined));
    // The parser may already have failed (all input buffered, error raised) before open().
    if (source.destroyed && !this.ended) process.nextTick(() => cutShort(undefined));
    this.opened = output;
    return output;
  }

  release(): void {
    if (this.released) return;
    this.released = true;
    const wasRead = this.opened !== undefined && this.ended;
    if (this.opened && !wasRead && !this.opened.destroyed) {
      // A consumer that walked away may no longer listen: the error must not become an uncaught one.
      this.opened.on('error', () => {});
      this.opened.destroy(
        new CountersignError(
          'E_INTERNAL',
          `tar entry ${this.name}: the next entry was requested before this one was read to the end`,
        ),
      );
    }
    if (!this.ended) {
      // Throw the rest away so the parser can reach the next header.
      this.source.removeAllListeners('data');
      this.source.on('data', () => {});
      this.source.resume();
    }
  }
}

function problemForType(type: string | null | undefined, name: string): CountersignError | undefined {
  if (type && KIND_BY_TYPE[type]) return undefined;
  return new CountersignError(
    'E_ARCHIVE_UNSUPPORTED',
    `tar entry ${name} is a ${type ?? 'typeless'} entry: it has no content to examine`,
    { details: { tarType: type ?? null } },
  );
}

function isEntrySize(size: unknown): size is number {
  return size === undefined || (typeof size === 'number' && Number.isSafeInteger(size) && size >= 0);
}

export interface TarStreamOptions {
  /** Label for messages (`tar app.tar`, `tar inside app.tgz`). */
  readonly context: string;
  /** Whether entry sizes are also their stored sizes (a bare tar) or unknown (tar inside gzip). */
  readonly isStored: boolean;
}

/**
 * Parses a tar byte stream (ustar, pax, GNU long names) into archive entries, in order. Errors of
 * the source stream or the parser come out as typed archive errors.
 */
export async function* unpackTarStream(
  source: Readable,
  options: TarStreamOptions,
): AsyncGenerator<ArchiveEntry> {
  const extract = tarStream.extract();
  let parserError: unknown;
  extract.on('error', (error: unknown) => {
    parserError = error;
  });
  const fail = (error: unknown) => extract.destroy(toArchiveError(error, options.context));
  source.on('error', fail);
  source.pipe(extract as unknown as NodeJS.WritableStream);
  const entries = extract[Symbol.asyncIterator]() as AsyncIterator<TarEntryStream>;
  let previous: SequentialContent | undefined;
  try {
    for (;;) {
      previous?.release();
      let step: IteratorResult<TarEntryStream>;
      try {
        step = await entries.next();
      } catch (error) {
        throw toArchiveError(error, options.context);
      }
      if (step.done) return;
      const stream = step.value;
      const header = stream.header;
      const name = header.name;
      if (!isEntrySize(header.size)) {
        // tar-stream gives null for a base-256 size field whose first byte is neither 0x80 nor
        // 0xff, and then waits forever for the entry's end; nor can anything after such a
        // header be found, its size being where the next header starts.
        throw new CountersignError(
          'E_ARCHIVE_CORRUPT',
          `${options.context}: the size field of entry ${name} cannot be read`,
        );
      }
      const kind = (header.type && KIND_BY_TYPE[header.type]) || 'file';
      const size = header.size ?? 0;
      const base = {
        name,
        kind,
        declaredSize: size,
        ...(options.isStored ? { compressedSize: size } : {}),
        ...(header.mtime ? { mtime: header.mtime } : {}),
        ...(header.mode === undefined ? {} : { mode: header.mode }),
        ...(kind === 'symlink' || kind === 'hardlink' ? { linkTarget: header.linkname ?? '' } : {}),
      };
      const content = new SequentialContent(stream, name, () => parserError);
      previous = content;
      const problem = problemForType(header.type, name);
      if (problem) {
        yield { ...base, problem };
      } else if (kind === 'file') {
        yield { ...base, open: async () => content.open() };
      } else {
        yield base;
      }
    }
  } finally {
    previous?.release();
    source.unpipe(extract as unknown as NodeJS.WritableStream);
    if (!source.destroyed) source.destroy();
    if (!extract.destroyed) extract.destroy();
  }
}

/** unpacker/tar: a bare tar archive. Links are recorded with their target, never followed. */
export const tarUnpacker: Unpacker = {
  id: 'unpacker/tar',
  version: 1,
  acceptsWithoutHead: true,
  accepts: (node) => node.type === 'tar',
  unpack(node) {
    return unpackTarStream(nodeReadable(node, 0), { context: `tar ${node.name}`, isStored: true });
  },
};
