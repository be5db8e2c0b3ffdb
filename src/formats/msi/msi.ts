import type { CompoundStream } from '../cfb/compound-file.js';
import { decodeMsiStreamName, displayStreamName } from '../cfb/msi-names.js';
import { type MsiColumn, type MsiRow, MsiStringPool, readColumnCatalogue, readTable } from './database.js';
import { type MsiFile, type MsiMedia, resolveFiles, resolveMedia } from './install-layout.js';

export type { MsiFile, MsiMedia } from './install-layout.js';

export interface MsiStream {
  /** Decoded name (`Binary.CustomAction`, `ExampleDesk.cab`, `\u0005DigitalSignature`), storages joined with `/`. */
  readonly name: string;
  /** The name for people and node paths: `[5]DigitalSignature`. */
  readonly displayName: string;
  readonly isTable: boolean;
  readonly bytes: Uint8Array;
}

export interface MsiPackage {
  readonly streams: readonly MsiStream[];
  /** Whether the streams hold an MSI database (a string pool and column catalogue). */
  readonly isDatabase: boolean;
  readonly media: readonly MsiMedia[];
  readonly files: readonly MsiFile[];
}

/** The tables this layer reads; others stay as raw table streams. */
const NEEDED_TABLES = ['File', 'Component', 'Directory', 'Media'] as const;

/** Reads an MSI's database from its compound-file streams. Other CFB files give streams only. */
export function readMsi(compound: readonly CompoundStream[]): MsiPackage {
  const streams: MsiStream[] = compound.map((stream) => {
    const decoded = stream.path.map(decodeMsiStreamName);
    const name = decoded.map((part) => part.name).join('/');
    return {
      name,
      displayName: displayStreamName(name),
      isTable: decoded.length === 1 && (decoded[0]?.isTable ?? false),
      bytes: stream.bytes,
    };
  });
  const table = (name: string) => streams.find((stream) => stream.isTable && stream.name === name)?.bytes;
  const poolStream = table('_StringPool');
  const dataStream = table('_StringData');
  const columnsStream = table('_Columns');
  if (!poolStream || !dataStream || !columnsStream)
    return { streams, isDatabase: false, media: [], files: [] };

  const pool = MsiStringPool.parse(poolStream, dataStream);
  const catalogue = readColumnCatalogue(columnsStream, pool);
  const rows = (name: (typeof NEEDED_TABLES)[number]): MsiRow[] => {
    const columns: MsiColumn[] | undefined = catalogue.get(name);
    const bytes = table(name);
    return columns && bytes ? readTable(bytes, columns, pool, name) : [];
  };
  const media = resolveMedia(rows('Media'));
  const files = resolveFiles(rows('File'), rows('Component'), rows('Directory'), media);
  return { streams, isDatabase: true, media, files };
}
