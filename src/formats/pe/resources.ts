import { findDirectory } from './headers.js';
import type { PeImage } from './image.js';
import type { ProblemLog } from './problems.js';

/** Either a numeric id or a name, at each of the three levels (type, name, language). */
export type PeResourceId = number | string;

export interface PeResource {
  readonly type: PeResourceId;
  /** `RT_VERSION`, `RT_ICON`... for the predefined numeric types. */
  readonly typeName?: string;
  readonly name: PeResourceId;
  readonly language: number;
  readonly rva: number;
  readonly size: number;
  readonly codePage: number;
  /** File offset of the data, when all of it is in the file. */
  readonly fileOffset?: number;
}

export const MAX_RESOURCES = 10_000;
const MAX_DIRECTORIES = 4_096;
const MAX_DEPTH = 3;

const RESOURCE_TYPES: Readonly<Record<number, string>> = {
  1: 'RT_CURSOR',
  2: 'RT_BITMAP',
  3: 'RT_ICON',
  4: 'RT_MENU',
  5: 'RT_DIALOG',
  6: 'RT_STRING',
  7: 'RT_FONTDIR',
  8: 'RT_FONT',
  9: 'RT_ACCELERATOR',
  10: 'RT_RCDATA',
  11: 'RT_MESSAGETABLE',
  12: 'RT_GROUP_CURSOR',
  14: 'RT_GROUP_ICON',
  16: 'RT_VERSION',
  17: 'RT_DLGINCLUDE',
  19: 'RT_PLUGPLAY',
  20: 'RT_VXD',
  21: 'RT_ANICURSOR',
  22: 'RT_ANIICON',
  23: 'RT_HTML',
  24: 'RT_MANIFEST',
};

export const RT_VERSION = 16;

/**
 * Walks the resource tree (type / name / language) to its data leaves. Every directory offset is
 * visited once (hostile files point subdirectories at their parents), depth stops at three levels,
 * and the leaf count is capped.
 */
export function parseResources(image: PeImage, log: ProblemLog): PeResource[] {
  const directory = findDirectory(image.headers, 'resource');
  if (!directory) return [];
  const root = directory.address;
  const leaves: PeResource[] = [];
  const visited = new Set<number>();

  const readName = (offset: number): string | undefined => {
    const length = image.u16(root + offset);
    if (length === undefined) return undefined;
    const at = image.offsetFor(root + offset + 2, length * 2);
    if (at === undefined) return undefined;
    return Buffer.from(image.reader.slice(at, length * 2)).toString('utf16le');
  };

  const walk = (offset: number, depth: number, path: PeResourceId[]): void => {
    if (visited.has(offset)) {
      log.add('resources', `resource directory at +0x${offset.toString(16)} is reached twice (a cycle)`);
      return;
    }
    if (visited.size >= MAX_DIRECTORIES) {
      log.add('resources', `more than ${MAX_DIRECTORIES} resource directories; the rest are not read`);
      return;
    }
    visited.add(offset);
    const named = image.u16(root + offset + 12);
    const ids = image.u16(root + offset + 14);
    if (named === undefined || ids === undefined) {
      log.add(
        'resources',
        `resource directory at +0x${offset.toString(16)} is not in the file`,
        'E_PE_TRUNCATED',
      );
      return;
    }
    for (let i = 0; i < named + ids; i++) {
      if (leaves.length >= MAX_RESOURCES) {
        log.add('resources', `more than ${MAX_RESOURCES} resources; the rest are not read`);
        return;
      }
      const entry = root + offset + 16 + i * 8;
      const nameField = image.u32(entry);
      const target = image.u32(entry + 4);
      if (nameField === undefined || target === undefined) {
        log.add(
          'resources',
          `resource directory entry ${i} at +0x${offset.toString(16)} is not in the file`,
          'E_PE_TRUNCATED',
        );
        return;
      }
      const id: PeResourceId =
        (nameField & 0x80000000) !== 0
          ? (readName(nameField & 0x7fffffff) ?? `#name@${nameField & 0x7fffffff}`)
          : nameField & 0xffff;
      const isDirectory = (target & 0x80000000) !== 0;
      if (isDirectory) {
        if (depth + 1 >= MAX_DEPTH) {
          log.add('resources', `resource tree deeper than ${MAX_DEPTH} levels at +0x${offset.toString(16)}`);
          continue;
        }
        walk(target & 0x7fffffff, depth + 1, [...path, id]);
        continue;
      }
      const dataRva = image.u32(root + target);
      const size = image.u32(root + target + 4);
      const codePage = image.u32(root + target + 8);
      if (dataRva === undefined || size === undefined || codePage === undefined) {
        log.add(
          'resources',
          `resource data entry at +0x${target.toString(16)} is not in the file`,
          'E_PE_TRUNCATED',
        );
        continue;
      }
      const [type = id, name = id] = path;
      const language = path.length >= 2 ? id : 0;
      const fileOffset = image.offsetFor(dataRva, size);
      const typeName = typeof type === 'number' ? RESOURCE_TYPES[type] : undefined;
      leaves.push({
        type,
        ...(typeName ? { typeName } : {}),
        name,
        language: typeof language === 'number' ? language : 0,
        rva: dataRva,
        size,
        codePage,
        ...(fileOffset !== undefined ? { fileOffset } : {}),
      });
    }
  };

  walk(0, 0, []);
  return leaves;
}
