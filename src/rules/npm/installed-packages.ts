import type { LockfilePackagesFact } from '../../analyzers/lockfile.js';
import type { NpmManifestFact } from '../../analyzers/npm-manifest.js';
import { NESTING_SEPARATOR } from '../../core/node-path.js';
import type { ScanNode } from '../../core/scan-result.js';

/**
 * An npm project as a scan of its folder shows it: the lockfile (`package-lock.json` or
 * `npm-shrinkwrap.json`) and, at each install path the lockfile names, what `node_modules` holds.
 * npm lockfiles key every package by its install path (`node_modules/a/node_modules/b`), so the
 * installed `package.json` is found by path; npm's own record of the install,
 * `node_modules/.package-lock.json`, gives the integrity of what was unpacked there.
 * pnpm and yarn place packages elsewhere (a content store, Plug'n'Play): not compared here.
 */
export interface InstalledComparison {
  readonly lockfile: ScanNode;
  /** The project folder as a node-path prefix, ending in `/`. */
  readonly root: string;
  readonly locked: number;
  readonly differences: readonly InstalledDifference[];
  /** Locked packages with nothing at their install path. */
  readonly missing: readonly LockedPackage[];
}

/** One installed package that is not what the lockfile pins, with every field that differs. */
export interface InstalledDifference {
  readonly locked: LockedPackage;
  /** The installed package's `package.json`. */
  readonly installed: ScanNode;
  /** npm's record of the install, when an integrity differs. */
  readonly hiddenLockfile?: ScanNode;
  readonly fields: readonly FieldDifference[];
}

export interface FieldDifference {
  readonly field: 'name' | 'version' | 'integrity';
  readonly expected: string;
  readonly actual: string;
}

/** One lockfile entry (rules read facts, not the lockfile formats). */
type LockedPackage = LockfilePackagesFact['packages'][number];

const PROJECT_LOCKFILES = new Set(['package-lock.json', 'npm-shrinkwrap.json']);
const HIDDEN_LOCKFILE = 'node_modules/.package-lock.json';
/** A plain semver version: git and file specs of v1 lockfiles are not versions to compare. */
const SEMVER = /^\d+\.\d+\.\d+(?:[-+][0-9A-Za-z.+-]*)?$/;

function lockfileFact(node: ScanNode): LockfilePackagesFact | undefined {
  return node.facts.find(
    (fact): fact is { kind: 'lockfile.packages' } & LockfilePackagesFact => fact.kind === 'lockfile.packages',
  );
}

function manifestOf(node: ScanNode): NpmManifestFact | undefined {
  return node.facts.find(
    (fact): fact is { kind: 'npm.manifest' } & NpmManifestFact => fact.kind === 'npm.manifest',
  );
}

/**
 * A project lockfile on disk: not inside an archive or tarball (those ship no node_modules), and
 * not inside a node_modules folder (a package's own lockfile lists its development tree, which
 * is never installed).
 */
function projectRootOf(node: ScanNode): string | undefined {
  if (node.path.includes(NESTING_SEPARATOR)) return undefined;
  const segments = node.path.split('/');
  const name = segments[segments.length - 1]!;
  // A lockfile given alone (no folder around it) has no node_modules to compare with.
  if (segments.length < 2 || !PROJECT_LOCKFILES.has(name) || segments.includes('node_modules')) {
    return undefined;
  }
  return node.path.slice(0, node.path.length - name.length);
}

/** The installed packages of every npm project lockfile in the tree, against what the lockfile pins. */
export function compareInstalled(nodes: readonly ScanNode[]): InstalledComparison[] {
  const projects = nodes.flatMap((node) => {
    const root = projectRootOf(node);
    const fact = root === undefined ? undefined : lockfileFact(node);
    return root !== undefined && fact?.format === 'npm' ? [{ node, root, fact }] : [];
  });
  if (projects.length === 0) return [];
  const byPath = new Map(nodes.map((node) => [node.path as string, node]));
  let folders: Set<string> | undefined;
  return projects.map(({ node, root, fact }) => {
    const hiddenNode = byPath.get(`${root}${HIDDEN_LOCKFILE}`);
    const hidden = hiddenNode ? lockfileFact(hiddenNode) : undefined;
    const recorded = new Map((hidden?.packages ?? []).map((entry) => [entry.path, entry]));
    const differences: InstalledDifference[] = [];
    const missing: LockedPackage[] = [];
    for (const locked of fact.packages) {
      const folder = `${root}${locked.path}`;
      const manifestNode = byPath.get(`${folder}/package.json`);
      const manifest = manifestNode ? manifestOf(manifestNode) : undefined;
      if (!manifestNode || !manifest) {
        // A link (symlink) or a folder holding files but no readable manifest is still installed.
        folders ??= foldersOf(nodes);
        if (!byPath.has(folder) && !folders.has(folder)) missing.push(locked);
        continue;
      }
      const fields: FieldDifference[] = [];
      if (manifest.name !== locked.name) {
        fields.push({ field: 'name', expected: locked.name, actual: manifest.name });
      }
      if (SEMVER.test(locked.version) && manifest.version !== locked.version) {
        fields.push({ field: 'version', expected: locked.version, actual: manifest.version });
      }
      const installedIntegrity = recorded.get(locked.path)?.integrity;
      if (locked.integrity && installedIntegrity && !sameIntegrity(locked.integrity, installedIntegrity)) {
        fields.push({ field: 'integrity', expected: locked.integrity, actual: installedIntegrity });
      }
      if (fields.length > 0) {
        differences.push({
          locked,
          installed: manifestNode,
          ...(hiddenNode && fields.some((item) => item.field === 'integrity')
            ? { hiddenLockfile: hiddenNode }
            : {}),
          fields,
        });
      }
    }
    return { lockfile: node, root, locked: fact.packages.length, differences, missing };
  });
}

/** Every folder that holds a node, at any depth (folders are not nodes of their own). */
function foldersOf(nodes: readonly ScanNode[]): Set<string> {
  const folders = new Set<string>();
  for (const node of nodes) {
    if (node.path.includes(NESTING_SEPARATOR)) continue;
    for (let cut = node.path.lastIndexOf('/'); cut > 0; cut = node.path.lastIndexOf('/', cut - 1)) {
      const folder = node.path.slice(0, cut);
      if (folders.has(folder)) break;
      folders.add(folder);
    }
  }
  return folders;
}

/**
 * Two SRI strings name the same content when they share a hash of the same algorithm (npm may
 * record `sha1-... sha512-...` in one place and only `sha512-...` in the other).
 */
function sameIntegrity(a: string, b: string): boolean {
  const hashes = (sri: string) =>
    new Map(
      sri
        .trim()
        .split(/\s+/)
        .map((item) => [item.split('-')[0], item]),
    );
  const left = hashes(a);
  const right = hashes(b);
  const shared = [...left.keys()].filter((algorithm) => right.has(algorithm));
  if (shared.length === 0) return true;
  return shared.every((algorithm) => left.get(algorithm) === right.get(algorithm));
}
