import type { LockfilePackagesFact } from '../../analyzers/lockfile.js';
import type { NpmManifestFact } from '../../analyzers/npm-manifest.js';
import { NESTING_SEPARATOR } from '../../core/node-path.js';
import type { ScanNode } from '../../core/scan-result.js';

/**
 * A project as a scan of its folder shows it: the lockfile and what the install left in the folder.
 * npm lockfiles (`package-lock.json`, `npm-shrinkwrap.json`) key every package by its install path
 * (`node_modules/a/node_modules/b`), so the installed `package.json` is found by path; npm's own
 * record of the install, `node_modules/.package-lock.json`, gives the integrity of what was
 * unpacked there. `pnpm-lock.yaml` keys packages by name and version, found in pnpm's virtual
 * store (`node_modules/.pnpm`); `yarn.lock` records no install paths, so yarn's hoisted
 * node_modules and yarn berry's Plug'n'Play cache (`.yarn/cache/*.zip`) are compared as sets.
 */
export interface InstalledComparison {
  readonly lockfile: ScanNode;
  /** What the lockfile pins (its `lockfile.packages` fact). */
  readonly locks: LockfilePackagesFact;
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

const PROJECT_LOCKFILES = new Set([
  'package-lock.json',
  'npm-shrinkwrap.json',
  'pnpm-lock.yaml',
  'yarn.lock',
]);
const HIDDEN_LOCKFILE = 'node_modules/.package-lock.json';
const PNPM_VIRTUAL_STORE = 'node_modules/.pnpm/';
/** yarn berry's Plug'n'Play runtime (`.pnp.js` before yarn 3). */
const PNP_RUNTIMES = ['.pnp.cjs', '.pnp.js'];
/** A package folder name: scoped or not; not a tool folder (`.bin`, `.pnpm`), not inside an archive. */
const PACKAGE = '(?:@[^/!]+/)?[^/.@!][^/!]*';
/** From the project root: `node_modules/a/package.json`, `node_modules/a/node_modules/@s/b/package.json`. */
const HOISTED_PACKAGE_ROOT = new RegExp(
  String.raw`^node_modules/(?:${PACKAGE}/node_modules/)*${PACKAGE}/package\.json$`,
);
/** From the project root: `.yarn/cache/a-npm-1.0.0-<hash>.zip!/node_modules/a/package.json`. */
const CACHED_PACKAGE_ROOT = new RegExp(
  String.raw`^\.yarn/cache/[^/!]+\.zip!/node_modules/${PACKAGE}/package\.json$`,
);
/** From pnpm's virtual store: `<dir>/node_modules/<name>/package.json`. */
const STORE_PACKAGE_ROOT = new RegExp(String.raw`^[^/!]+/node_modules/${PACKAGE}/package\.json$`);
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

/** A project lockfile found in the scan, with the folder it describes. */
interface Project {
  readonly node: ScanNode;
  readonly root: string;
  readonly fact: LockfilePackagesFact;
}

/** What the comparisons look up: nodes by path, and (built once, on demand) every folder. */
interface Tree {
  readonly nodes: readonly ScanNode[];
  readonly byPath: ReadonlyMap<string, ScanNode>;
  folders(): ReadonlySet<string>;
}

type Found = Pick<InstalledComparison, 'differences' | 'missing'>;

/**
 * The installed packages of every project lockfile in the tree (npm, pnpm, yarn classic and
 * berry), against what the lockfile pins.
 */
export function compareInstalled(nodes: readonly ScanNode[]): InstalledComparison[] {
  const projects = nodes.flatMap((node): Project[] => {
    const root = projectRootOf(node);
    const fact = root === undefined ? undefined : lockfileFact(node);
    return root !== undefined && fact ? [{ node, root, fact }] : [];
  });
  if (projects.length === 0) return [];
  let folders: Set<string> | undefined;
  const tree: Tree = {
    nodes,
    byPath: new Map(nodes.map((node) => [node.path as string, node])),
    folders: () => {
      folders ??= foldersOf(nodes);
      return folders;
    },
  };
  return projects.map((project) => ({
    lockfile: project.node,
    locks: project.fact,
    root: project.root,
    locked: project.fact.packages.length,
    ...compareProject(project, tree),
  }));
}

function compareProject(project: Project, tree: Tree): Found {
  const { root, fact } = project;
  switch (fact.format) {
    case 'npm':
      return compareByInstallPath(project, tree);
    case 'pnpm':
      // pnpm's isolated layout has a `.pnpm` folder; `node-linker=hoisted` lays out like yarn.
      return hasNodeUnder(tree.nodes, `${root}${PNPM_VIRTUAL_STORE}`)
        ? compareVirtualStore(project, tree)
        : compareSets(fact.packages, hoistedManifests(tree.nodes, root));
    case 'yarn-classic':
      return compareSets(fact.packages, hoistedManifests(tree.nodes, root));
    case 'yarn-berry':
      return PNP_RUNTIMES.some((runtime) => tree.byPath.has(`${root}${runtime}`))
        ? compareSets(fact.packages, cachedManifests(tree.nodes, root))
        : compareSets(fact.packages, hoistedManifests(tree.nodes, root));
  }
}

/** npm: every lockfile key is an install path, so each package is looked up where it must be. */
function compareByInstallPath({ root, fact }: Project, { byPath, folders }: Tree): Found {
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
      if (!byPath.has(folder) && !folders().has(folder)) missing.push(locked);
      continue;
    }
    const fields = manifestDifferences(locked, manifest);
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
  return { differences, missing };
}

/** The name and version fields in which an installed manifest is not the locked package. */
function manifestDifferences(locked: LockedPackage, manifest: NpmManifestFact): FieldDifference[] {
  const fields: FieldDifference[] = [];
  if (manifest.name !== locked.name) {
    fields.push({ field: 'name', expected: locked.name, actual: manifest.name });
  }
  if (SEMVER.test(locked.version) && manifest.version !== locked.version) {
    fields.push({ field: 'version', expected: locked.version, actual: manifest.version });
  }
  return fields;
}

/**
 * pnpm's isolated layout: each package sits at `node_modules/.pnpm/<dir>/node_modules/<name>`,
 * where `<dir>` is `<name with / as +>@<version>`, followed by a peer suffix (`_...`, or `(...)`
 * in older versions) when peers differ; a dir name too long for the file system is cut and
 * hashed, so a package found under no dir of its own is looked for by manifest anywhere in the
 * store. Integrity is compared with pnpm's record of the install (`node_modules/.pnpm/lock.yaml`,
 * the lockfile as the store was filled), as npm's with `.package-lock.json`.
 */
function compareVirtualStore({ root, fact }: Project, tree: Tree): Found {
  const store = `${root}${PNPM_VIRTUAL_STORE}`;
  const recordNode = tree.byPath.get(`${store}lock.yaml`);
  const record = recordNode ? lockfileFact(recordNode) : undefined;
  const installedIntegrity = new Map(
    (record?.packages ?? []).map((entry) => [`${entry.name}@${entry.version}`, entry.integrity]),
  );
  const dirsByPackage = storeDirsByPackage(storeDirs(tree.nodes, store));
  let storeManifests: readonly Installed[] | undefined;
  const differences: InstalledDifference[] = [];
  const missing: LockedPackage[] = [];
  for (const locked of fact.packages.filter(isInstalledAsCopy)) {
    const own = dirsByPackage.get(`${locked.name.replace('/', '+')}@${locked.version}`) ?? [];
    const integrity = installedIntegrity.get(`${locked.name}@${locked.version}`);
    for (const dir of own) {
      const manifestNode = tree.byPath.get(`${store}${dir}/node_modules/${locked.name}/package.json`);
      const manifest = manifestNode ? manifestOf(manifestNode) : undefined;
      const fields = manifest ? manifestDifferences(locked, manifest) : [];
      if (locked.integrity && integrity && !sameIntegrity(locked.integrity, integrity)) {
        fields.push({ field: 'integrity', expected: locked.integrity, actual: integrity });
      }
      const integrityDiffers = fields.some((field) => field.field === 'integrity');
      if (manifestNode && fields.length > 0) {
        differences.push({
          locked,
          installed: manifestNode,
          ...(integrityDiffers && recordNode ? { hiddenLockfile: recordNode } : {}),
          fields,
        });
      }
    }
    if (own.length > 0) continue;
    storeManifests ??= manifestsMatching(tree.nodes, store, STORE_PACKAGE_ROOT);
    // A git or tarball source locks no comparable version: any manifest of that name stands for it.
    const isElsewhere = storeManifests.some(
      ({ manifest }) =>
        manifest.name === locked.name &&
        (manifest.version === locked.version || !SEMVER.test(locked.version)),
    );
    if (!isElsewhere) missing.push(locked);
  }
  return { differences, missing };
}

/** The folder names right under pnpm's virtual store. */
function storeDirs(nodes: readonly ScanNode[], store: string): string[] {
  const dirs = new Set<string>();
  for (const node of nodes) {
    if (!node.path.startsWith(store) || node.path.includes(NESTING_SEPARATOR)) continue;
    const dir = node.path.slice(store.length).split('/')[0]!;
    if (node.path.length > store.length + dir.length) dirs.add(dir);
  }
  return [...dirs];
}

/**
 * Store folders by the `<name with / as +>@<version>` they may stand for: the whole folder name,
 * and each part of it that ends before a `_` or `(` (a peer suffix; a name may hold `_` too, so
 * every such cut is a candidate). One index for the project instead of a search per package.
 */
function storeDirsByPackage(dirs: readonly string[]): Map<string, string[]> {
  const byPackage = new Map<string, string[]>();
  const add = (key: string, dir: string) => byPackage.set(key, [...(byPackage.get(key) ?? []), dir]);
  for (const dir of dirs) {
    add(dir, dir);
    for (let cut = 1; cut < dir.length; cut++) {
      if (dir[cut] === '_' || dir[cut] === '(') add(dir.slice(0, cut), dir);
    }
  }
  return byPackage;
}

/** An installed package root: its manifest node and what the manifest says. */
interface Installed {
  readonly node: ScanNode;
  readonly manifest: NpmManifestFact;
}

/**
 * The package roots of a hoisted node_modules (yarn, npm-like layouts): `node_modules/<name>`,
 * scoped or not, nested in other packages' node_modules at any depth; not any package.json
 * deeper inside a package, nor tool folders such as `node_modules/.bin`.
 */
function hoistedManifests(nodes: readonly ScanNode[], root: string): Installed[] {
  return manifestsMatching(nodes, root, HOISTED_PACKAGE_ROOT);
}

/** yarn berry Plug'n'Play: the packages are the zips of the project's cache, one package in each. */
function cachedManifests(nodes: readonly ScanNode[], root: string): Installed[] {
  return manifestsMatching(nodes, root, CACHED_PACKAGE_ROOT);
}

function manifestsMatching(nodes: readonly ScanNode[], prefix: string, pattern: RegExp): Installed[] {
  return nodes.flatMap((node) => {
    if (!node.path.startsWith(prefix) || !pattern.test(node.path.slice(prefix.length))) return [];
    const manifest = manifestOf(node);
    return manifest ? [{ node, manifest }] : [];
  });
}

/**
 * yarn.lock records no install paths, and a hoisted tree may place a package at any depth, so
 * the installed packages are compared as a set: an installed package whose name is locked but
 * whose version is not one of those locked for that name is a difference; a locked name and
 * version installed nowhere is missing, unless that name already has a difference (the same
 * package, installed at the wrong version). Names the lockfile does not pin are not judged.
 */
function compareSets(packages: readonly LockedPackage[], installed: readonly Installed[]): Found {
  const expected = packages.filter(isInstalledAsCopy);
  const byName = new Map<string, LockedPackage[]>();
  for (const locked of expected) byName.set(locked.name, [...(byName.get(locked.name) ?? []), locked]);
  const present = new Set<string>();
  const presentNames = new Set<string>();
  const differences: InstalledDifference[] = [];
  for (const { node, manifest } of installed) {
    const candidates = byName.get(manifest.name);
    if (!candidates) continue;
    present.add(`${manifest.name}@${manifest.version}`);
    presentNames.add(manifest.name);
    // A git or tarball source locks no comparable version: any installed one is taken as it.
    if (candidates.some((locked) => !SEMVER.test(locked.version))) continue;
    if (candidates.some((locked) => locked.version === manifest.version)) continue;
    differences.push({
      locked: candidates[0]!,
      installed: node,
      fields: [
        {
          field: 'version',
          expected: candidates.map((locked) => locked.version).join(' or '),
          actual: manifest.version,
        },
      ],
    });
  }
  const differing = new Set(differences.map((difference) => difference.locked.name));
  const missing = expected.filter((locked) => {
    if (differing.has(locked.name)) return false;
    if (!SEMVER.test(locked.version)) return !presentNames.has(locked.name);
    return !present.has(`${locked.name}@${locked.version}`);
  });
  return { differences, missing };
}

/**
 * Workspace packages (yarn berry `workspace:` resolutions, `directory` and `file` sources) are
 * linked, not copied into node_modules or the cache: not expected there.
 */
function isInstalledAsCopy(locked: LockedPackage): boolean {
  if (locked.source === 'directory' || locked.source === 'file') return false;
  return !locked.resolved?.includes('@workspace:') && !locked.path.includes('@workspace:');
}

function hasNodeUnder(nodes: readonly ScanNode[], folder: string): boolean {
  return nodes.some((node) => node.path.startsWith(folder));
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
