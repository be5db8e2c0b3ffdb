import type { NpmManifestFact } from '../../analyzers/npm-manifest.js';
import type { DetectedType } from '../../core/detected-type.js';
import type { NodePath } from '../../core/node-path.js';
import type { ScanNode } from '../../core/scan-result.js';

/**
 * An npm package as the tree shows it: the root `package.json` node with its manifest fact, and
 * the file nodes under the same folder (nested `node_modules` packages excluded: they are packages
 * of their own). Built from node paths, types and sizes, which are facts already; nothing is read.
 */
export interface PackageView {
  readonly manifestNode: ScanNode;
  readonly manifest: NpmManifestFact;
  /** The package folder as a node-path prefix, ending in `/` (or `!/` for a tarball's root). */
  readonly root: string;
  readonly files: readonly ScanNode[];
}

/** Node types that hold machine code (a `.node` addon is an ELF, PE or Mach-O). */
export const NATIVE_TYPES: ReadonlySet<DetectedType> = new Set<DetectedType>([
  'pe',
  'elf',
  'macho',
  'macho-fat',
]);
const NATIVE_NAME = /\.(node|exe|dll|so(\.\d+)*|dylib)$/i;

/** Files of more than this many bytes are "very large" in a package (Shai-Hulud's bundle.js: 3.6 MB). */
export const DEFAULT_LARGE_FILE_BYTES = 1024 * 1024;

function rootOf(manifestPath: NodePath): string {
  return manifestPath.slice(0, manifestPath.length - 'package.json'.length);
}

function manifestOf(node: ScanNode): NpmManifestFact | undefined {
  return node.facts.find(
    (fact): fact is { kind: 'npm.manifest' } & NpmManifestFact => fact.kind === 'npm.manifest',
  );
}

/**
 * The packages of a tree, in tree order. Each file belongs to the nearest package folder above it,
 * so a nested `node_modules/x` package keeps its own files, and files inside an archive shipped in
 * a package count as the package's. Linear in nodes times folder depth.
 */
export function packagesOf(nodes: readonly ScanNode[]): PackageView[] {
  const byRoot = new Map<
    string,
    { manifestNode: ScanNode; manifest: NpmManifestFact; root: string; files: ScanNode[] }
  >();
  for (const node of nodes) {
    if (!/(^|\/)package\.json$/.test(node.path)) continue;
    const manifest = manifestOf(node);
    const root = rootOf(node.path);
    if (manifest && !byRoot.has(root)) byRoot.set(root, { manifestNode: node, manifest, root, files: [] });
  }
  if (byRoot.size === 0) return [];
  for (const node of nodes) {
    if (node.entryKind !== 'file') continue;
    for (let cut = node.path.lastIndexOf('/'); cut >= 0; cut = node.path.lastIndexOf('/', cut - 1)) {
      const view = byRoot.get(node.path.slice(0, cut + 1));
      if (view) {
        view.files.push(node);
        break;
      }
    }
  }
  return [...byRoot.values()];
}

/** Files of the package that hold machine code, by content (or by a native name for unknown bytes). */
export function nativeBinariesOf(view: PackageView): ScanNode[] {
  return view.files.filter(
    (file) => NATIVE_TYPES.has(file.type) || (file.type === 'binary' && NATIVE_NAME.test(file.name)),
  );
}

/** `binding.gyp` at the package root: npm runs `node-gyp rebuild` for it when there is no install script. */
export function hasBindingGyp(view: PackageView): boolean {
  return view.files.some((file) => file.path === `${view.root}binding.gyp`);
}

/** The package builds or ships native code by design: gypfile, binding.gyp, or a native build tool. */
export function buildsNativeCode(view: PackageView): boolean {
  return (
    view.manifest.gypfile === true ||
    hasBindingGyp(view) ||
    (view.manifest.installScripts ?? []).some((script) =>
      script.analysis.knownTools.some((tool) =>
        ['node-gyp', 'node-gyp-build', 'prebuild-install', 'node-pre-gyp', 'cmake-js'].includes(tool),
      ),
    )
  );
}

/** The node path of a file named relative to the package root (`scripts/setup.js`). */
export function packageFile(view: PackageView, relative: string): ScanNode | undefined {
  const wanted = `${view.root}${relative.replace(/^(\.\/)+/, '')}`;
  return view.files.find((file) => file.path === wanted || file.path === `${wanted}.js`);
}

/** The install-time hooks: they run on `npm install` of the package by a consumer. */
export const INSTALL_HOOKS: ReadonlySet<string> = new Set(['preinstall', 'install', 'postinstall']);
