import { Readable } from 'node:stream';
import { CountersignError, isCountersignError } from '../../core/errors.js';
import type { ArchiveEntry } from '../../core/plugin.js';
import {
  type CabDataBlock,
  type CabFile,
  type CabFolder,
  type Cabinet,
  folderBlocks,
  folderUncompressedSize,
  parseCabinet,
} from '../../formats/cab/cab.js';
import { decodeFolderBlocks, FolderReader } from '../../formats/cab/folder-stream.js';
import { SINGLE_FOLDER_FILE_NAME, singleFolderCabinet } from '../../formats/cab/single-folder.js';
import { toArchiveError } from './archive-errors.js';
import { extractWithSevenZip } from './seven-zip.js';

/** Largest folder handed to 7-Zip (LZX, Quantum): its output is held in memory whole. */
export const MAX_SEVEN_ZIP_FOLDER_BYTES = 512 * 1024 * 1024;
/** Content streams hand out a file in pieces of this size, so a large file never sits in memory whole. */
const PIECE_BYTES = 1024 * 1024;

/** Format-layer codes become archive codes: to the engine a cabinet is one more container. */
export function cabArchiveError(error: unknown, context: string): CountersignError {
  if (isCountersignError(error)) {
    const code =
      error.code === 'E_FORMAT_TRUNCATED'
        ? 'E_ARCHIVE_TRUNCATED'
        : error.code === 'E_FORMAT_MALFORMED'
          ? 'E_ARCHIVE_CORRUPT'
          : error.code === 'E_FORMAT_UNSUPPORTED'
            ? 'E_ARCHIVE_UNSUPPORTED'
            : undefined;
    if (!code) return error;
    return new CountersignError(code, `${context}: ${error.message}`, {
      cause: error,
      details: { ...error.details },
    });
  }
  return toArchiveError(error, context);
}

/** One cabinet member, with the names the caller gives it (an MSI names them by its File table). */
export interface CabMember {
  readonly file: CabFile;
  readonly entry: ArchiveEntry;
}

/** Each folder's bytes, decoded lazily and shared by the folder's files. */
class FolderSource {
  private reader: FolderReader | undefined;
  private failure: CountersignError | undefined;

  constructor(
    private readonly bytes: Uint8Array,
    private readonly cabinet: Cabinet,
    readonly folder: CabFolder,
    private readonly context: string,
  ) {}

  private blocks(): CabDataBlock[] {
    return folderBlocks(this.bytes, this.cabinet, this.folder);
  }

  async open(): Promise<FolderReader> {
    if (this.failure) throw this.failure;
    if (this.reader) return this.reader;
    try {
      const blocks = this.blocks();
      if (this.folder.compression === 'none' || this.folder.compression === 'mszip') {
        this.reader = new FolderReader(() => decodeFolderBlocks(this.bytes, this.folder, blocks), blocks);
      } else {
        const size = folderUncompressedSize(blocks);
        if (size > MAX_SEVEN_ZIP_FOLDER_BYTES) {
          throw new CountersignError(
            'E_ARCHIVE_UNSUPPORTED',
            `${this.folder.compression} folder ${this.folder.index} expands to ${size} bytes, over the ${MAX_SEVEN_ZIP_FOLDER_BYTES} decoded in memory`,
          );
        }
        const single = singleFolderCabinet(this.bytes, this.folder, blocks, size);
        const decoded = await extractWithSevenZip(single, SINGLE_FOLDER_FILE_NAME, size);
        if (decoded.length !== size) {
          throw new CountersignError(
            'E_ARCHIVE_CORRUPT',
            `${this.folder.compression} folder ${this.folder.index} decoded to ${decoded.length} bytes, not ${size}`,
          );
        }
        this.reader = new FolderReader(() => [decoded][Symbol.iterator](), blocks);
      }
      return this.reader;
    } catch (error) {
      this.failure = cabArchiveError(error, this.context);
      throw this.failure;
    }
  }
}

async function* pieces(reader: FolderReader, file: CabFile, context: string): AsyncGenerator<Buffer> {
  for (let done = 0; done < file.size; ) {
    const length = Math.min(PIECE_BYTES, file.size - done);
    let piece: Uint8Array;
    try {
      piece = reader.read(file.folderOffset + done, length, `file ${file.name}`);
    } catch (error) {
      throw cabArchiveError(error, context);
    }
    done += length;
    yield Buffer.from(piece.buffer, piece.byteOffset, piece.length);
  }
}

/**
 * The members of the cabinet in `bytes`, in the cabinet's order. `nameOf` names each member
 * (default: its stored name, with `\` turned into `/`). Members continued from or into another
 * cabinet of a set carry an E_ARCHIVE_EXTERNAL_CONTENT problem.
 */
export function* cabinetMembers(
  bytes: Uint8Array,
  context: string,
  nameOf: (file: CabFile) => string = (file) => file.name.replaceAll('\\', '/'),
): Generator<CabMember> {
  let cabinet: Cabinet;
  try {
    cabinet = parseCabinet(bytes);
  } catch (error) {
    throw cabArchiveError(error, context);
  }
  const sources = cabinet.folders.map((folder) => new FolderSource(bytes, cabinet, folder, context));
  for (const file of cabinet.files) {
    const base = {
      name: nameOf(file),
      kind: 'file' as const,
      declaredSize: file.size,
      ...(file.mtime ? { mtime: file.mtime } : {}),
    };
    const source = file.folder === undefined ? undefined : sources[file.folder];
    if (!source) {
      const other = file.continued === 'to-next' ? cabinet.nextCabinet : cabinet.previousCabinet;
      yield {
        file,
        entry: {
          ...base,
          problem: new CountersignError(
            'E_ARCHIVE_EXTERNAL_CONTENT',
            `${context}: ${file.name} continues in another cabinet of the set (${other ?? 'unnamed'})`,
            { details: { cabinet: other ?? null } },
          ),
        },
      };
      continue;
    }
    yield {
      file,
      entry: {
        ...base,
        open: async () => {
          const reader = await source.open();
          return Readable.from(pieces(reader, file, context), { objectMode: false });
        },
      },
    };
  }
}
