import { CountersignError } from '../../core/errors.js';
import type { MsiRow } from './database.js';

/**
 * Where each file of an MSI lands, from the File, Component, Directory and Media tables:
 * File.Component_ -> Component.Directory_ -> the Directory chain up to the root; the Media row is
 * the first whose LastSequence reaches the file's Sequence, and its Cabinet (`#name` for a stream
 * inside the MSI, a plain name for a cabinet beside it) holds the file under its File key.
 */

export interface MsiMedia {
  readonly diskId: number;
  readonly lastSequence: number;
  /** The Cabinet column as written, or undefined for uncompressed media. */
  readonly cabinet: string | undefined;
  /** For `#name`: the stream name inside the MSI. */
  readonly embeddedStream: string | undefined;
}

export interface MsiFile {
  /** The File table key: the file's name inside the cabinet. */
  readonly key: string;
  /** Installed path: folders from the Directory table, then the long file name. */
  readonly installPath: string;
  readonly size: number | undefined;
  readonly sequence: number | undefined;
  readonly component: string | undefined;
  readonly media: MsiMedia | undefined;
}

/** Directory chains deeper than this are treated as cycles. */
const MAX_DIRECTORY_DEPTH = 256;

/** `short|long` -> long; Windows Installer names carry an 8.3 name first. */
function longName(value: string): string {
  const bar = value.indexOf('|');
  return bar >= 0 ? value.slice(bar + 1) : value;
}

/** DefaultDir is `target[:source]`; the target part decides where files install. */
function targetName(defaultDir: string): string {
  const colon = defaultDir.indexOf(':');
  return longName(colon >= 0 ? defaultDir.slice(0, colon) : defaultDir);
}

function text(value: unknown): string | undefined {
  return typeof value === 'string' ? value : undefined;
}

function integer(value: unknown): number | undefined {
  return typeof value === 'number' ? value : undefined;
}

/** Folder path of each Directory key, e.g. INSTALLDIR -> `ProgramFilesFolder/ExampleDesk`. */
export function resolveDirectories(rows: readonly MsiRow[]): Map<string, string> {
  const byKey = new Map<string, MsiRow>();
  for (const row of rows) {
    const key = text(row.Directory);
    if (key !== undefined) byKey.set(key, row);
  }
  const resolved = new Map<string, string>();
  const isRoot = (row: MsiRow) => {
    const parent = text(row.Directory_Parent);
    return parent === undefined || parent === '' || parent === text(row.Directory) || !byKey.has(parent);
  };
  for (const key of byKey.keys()) {
    const chain: string[] = [];
    let current: string | undefined = key;
    const seen = new Set<string>();
    while (current !== undefined) {
      const known = resolved.get(current);
      if (known !== undefined) {
        if (known !== '') chain.push(known);
        break;
      }
      const row = byKey.get(current);
      if (!row || seen.has(current) || seen.size > MAX_DIRECTORY_DEPTH) {
        throw new CountersignError(
          'E_FORMAT_MALFORMED',
          `msi: the Directory chain of ${key} loops or is too deep`,
        );
      }
      seen.add(current);
      const target = targetName(text(row.DefaultDir) ?? '.');
      if (isRoot(row)) break; // TARGETDIR (`SourceDir`): the install root, not a folder name
      const parent = byKey.get(text(row.Directory_Parent) ?? '');
      // A standard folder (`ProgramFilesFolder`, DefaultDir `.`) directly under the root is named by its key.
      if (target === '.' || target === '') {
        if (parent && isRoot(parent)) chain.push(current);
      } else {
        chain.push(target);
      }
      current = text(row.Directory_Parent);
    }
    resolved.set(key, chain.reverse().join('/'));
  }
  return resolved;
}

export function resolveMedia(rows: readonly MsiRow[]): MsiMedia[] {
  const media: MsiMedia[] = [];
  for (const row of rows) {
    const diskId = integer(row.DiskId);
    const lastSequence = integer(row.LastSequence);
    if (diskId === undefined || lastSequence === undefined) continue;
    const cabinet = text(row.Cabinet) || undefined;
    media.push({
      diskId,
      lastSequence,
      cabinet,
      embeddedStream: cabinet?.startsWith('#') ? cabinet.slice(1) : undefined,
    });
  }
  return media.sort((a, b) => a.lastSequence - b.lastSequence || a.diskId - b.diskId);
}

export function resolveFiles(
  files: readonly MsiRow[],
  components: readonly MsiRow[],
  directories: readonly MsiRow[],
  media: readonly MsiMedia[],
): MsiFile[] {
  const folders = resolveDirectories(directories);
  const componentFolder = new Map<string, string>();
  for (const row of components) {
    const key = text(row.Component);
    const directory = text(row.Directory_);
    if (key !== undefined && directory !== undefined)
      componentFolder.set(key, folders.get(directory) ?? directory);
  }
  return files.flatMap((row) => {
    const key = text(row.File);
    if (key === undefined) return [];
    const component = text(row.Component_);
    const folder = component === undefined ? undefined : componentFolder.get(component);
    const name = longName(text(row.FileName) ?? key);
    const sequence = integer(row.Sequence);
    return [
      {
        key,
        installPath: folder ? `${folder}/${name}` : name,
        size: integer(row.FileSize),
        sequence,
        component,
        media: sequence === undefined ? undefined : media.find((item) => item.lastSequence >= sequence),
      },
    ];
  });
}
