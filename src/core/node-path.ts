/**
 * A node path names one file inside an artifact tree: nesting levels are joined with `!/`,
 * e.g. `ExampleDesk.msi!/ExampleDesk.cab!/ffmpeg.dll`. Paths are logical names for reports;
 * they are never used to write to the file system.
 */
export type NodePath = string & { readonly __brand: 'NodePath' };

export const NESTING_SEPARATOR = '!/';

export function rootPath(name: string): NodePath {
  return name as NodePath;
}

export function childPath(parent: NodePath, entryName: string): NodePath {
  return `${parent}${NESTING_SEPARATOR}${entryName}` as NodePath;
}

/** Splits a node path into its nesting levels: `a.zip!/b.tgz!/x.js` -> [`a.zip`, `b.tgz`, `x.js`]. */
export function splitNodePath(path: NodePath): string[] {
  return path.split(NESTING_SEPARATOR);
}

/** The last segment of the innermost level: the file's own name. */
export function baseName(path: NodePath): string {
  const levels = splitNodePath(path);
  const inner = levels[levels.length - 1] ?? '';
  const slash = inner.lastIndexOf('/');
  return slash === -1 ? inner : inner.slice(slash + 1);
}
