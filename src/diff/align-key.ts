import { NESTING_SEPARATOR, type NodePath } from '../core/node-path.js';

/**
 * A version-looking run inside a name: `-1.0.2`, `_v18.12.416`, ` 2.3.0-beta.1`. Two releases of
 * the same product differ in these and nothing else, so they are dropped from alignment keys.
 */
const VERSION_RUN = /[-_. ]?v?\d+(?:\.\d+)+(?:[-+][0-9A-Za-z]+(?:\.\d+)*)?(?=$|[-_. /]|\.[A-Za-z])/g;

/** `ExampleDesk-1.0.1.zip` -> `ExampleDesk.zip`; `left-pad-1.3.0.tgz` -> `left-pad.tgz`. */
export function withoutVersions(name: string): string {
  const stripped = name.replace(VERSION_RUN, '');
  // A name that is nothing but a version (`1.0.2/`) keeps a placeholder so it still aligns.
  return stripped === '' || stripped.startsWith('.') ? `<version>${stripped}` : stripped;
}

/** npm tarballs put everything under `package/`; a folder copy of the same package does not. */
function withoutPackagePrefix(level: string): string {
  return level.startsWith('package/') ? level.slice('package/'.length) : level;
}

/**
 * The key two releases' nodes are aligned by: the root (the input's own name, which differs
 * between releases: `ExampleDesk-1.0.1.zip` vs `ExampleDesk-1.0.2.zip`, or two folders) becomes
 * `<root>`, version-looking runs are dropped from every segment, and the `package/` prefix of an
 * npm tarball is ignored so a tarball aligns with an unpacked folder.
 *
 * `rootName` is the scanned input's name (the subject), which prefixes every node path.
 */
export function alignKey(path: NodePath, rootName: string): string {
  const levels = path.split(NESTING_SEPARATOR);
  const outer = levels[0] ?? '';
  // A folder input's files are `root/rel/path` in the first level; an archive's root is the whole level.
  const rest =
    outer === rootName ? '' : outer.startsWith(`${rootName}/`) ? outer.slice(rootName.length + 1) : outer;
  // A folder is a container like an archive: its files join the root with `!/` so that a folder
  // and a tarball of the same package give the same keys.
  const inner = rest === '' ? levels.slice(1) : [rest, ...levels.slice(1)];
  return ['<root>', ...inner.map(normaliseLevel)].join(NESTING_SEPARATOR);
}

function normaliseLevel(level: string): string {
  return withoutPackagePrefix(level).split('/').map(withoutVersions).join('/');
}
