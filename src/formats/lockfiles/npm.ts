import { CountersignError } from '../../core/errors.js';
import { locateJsonError } from './json-error.js';
import { npmPurl } from './purl.js';
import { isFlagSet, isRecord, recordField, stringField, type UnknownRecord } from './records.js';
import { classifySpec, qualifiersFor, versionFromTarballUrl } from './source.js';
import { lineAt } from './text-position.js';
import type { DependencyKind, LockedPackage, PackageSource, ParsedLockfile, SkippedEntry } from './types.js';

/**
 * `package-lock.json` (lockfileVersion 1, 2, 3), `npm-shrinkwrap.json` (same format) and npm's
 * hidden `node_modules/.package-lock.json`. v2 carries both layouts: the `packages` map is read
 * and the v1 `dependencies` tree only when `packages` is missing.
 */
export const SUPPORTED_NPM_LOCKFILE_VERSIONS = [1, 2, 3] as const;

const NODE_MODULES = 'node_modules/';

/**
 * npm v1 trees nest one level per conflicting version; real ones stay far below this. Deeper
 * subtrees are skipped (and reported) so that a hostile file cannot make install paths grow
 * with the square of its size.
 */
export const MAX_V1_NESTING = 64;

export function parseNpmLockfile(text: string): ParsedLockfile {
  const document = parseJson(text);
  if (!isRecord(document)) {
    throw new CountersignError('E_LOCKFILE_MALFORMED', 'package-lock: the top level is not a JSON object', {
      details: { line: 1 },
    });
  }
  const version = document.lockfileVersion;
  if (!SUPPORTED_NPM_LOCKFILE_VERSIONS.some((supported) => supported === version)) {
    throw new CountersignError(
      'E_LOCKFILE_UNSUPPORTED',
      `package-lock: lockfileVersion ${JSON.stringify(version ?? null)} is not supported (supported: 1, 2, 3)`,
      { details: { lockfileVersion: version ?? null } },
    );
  }
  const packages = recordField(document, 'packages');
  if (version !== 1 && packages !== undefined) return readPackagesMap(packages, String(version));
  const dependencies = recordField(document, 'dependencies');
  if (version !== 1 && dependencies === undefined) {
    throw new CountersignError(
      'E_LOCKFILE_MALFORMED',
      `package-lock: lockfileVersion ${String(version)} has neither "packages" nor "dependencies"`,
    );
  }
  return readDependencyTree(dependencies ?? {}, String(version));
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch (error) {
    const offset = locateJsonError(text);
    const line = offset === undefined ? undefined : lineAt(text, offset);
    throw new CountersignError(
      'E_LOCKFILE_MALFORMED',
      `package-lock: not valid JSON${line === undefined ? '' : ` (line ${line})`}: ${(error as Error).message}`,
      { cause: error, details: line === undefined ? {} : { line } },
    );
  }
}

/**
 * npm's flags: `dev` = reached only from dev dependencies; `optional` = only through optional
 * edges; both = an optional dependency of a dev dependency (still dev-only: `dev`);
 * `devOptional` = not needed in production, but reached both from dev and through optional edges.
 */
function kindOf(entry: UnknownRecord): DependencyKind {
  const dev = isFlagSet(entry, 'dev');
  const optional = isFlagSet(entry, 'optional');
  if (isFlagSet(entry, 'devOptional')) return 'dev-optional';
  if (dev) return 'dev';
  if (optional) return 'optional';
  return 'prod';
}

/** A registry tarball (`.../name/-/name-1.0.0.tgz` of the same version) is the registry, not a URL dependency. */
function sourceOfResolved(name: string, version: string, resolved: string | undefined): PackageSource {
  if (resolved === undefined) return 'registry';
  if (/^https?:\/\//i.test(resolved) && versionFromTarballUrl(name, resolved) === version) return 'registry';
  return classifySpec(resolved);
}

function buildPackage(fields: {
  name: string;
  installName: string;
  version: string;
  resolved: string | undefined;
  source: PackageSource;
  entry: UnknownRecord;
  path: string;
}): LockedPackage {
  const { name, installName, version, resolved, source, entry, path } = fields;
  const integrity = stringField(entry, 'integrity');
  return {
    name,
    version,
    ...(installName !== name ? { alias: installName } : {}),
    ...(integrity !== undefined ? { integrity } : {}),
    ...(resolved !== undefined ? { resolved } : {}),
    source,
    kind: kindOf(entry),
    ...(isFlagSet(entry, 'peer') ? { peer: true } : {}),
    ...(isFlagSet(entry, 'inBundle') || isFlagSet(entry, 'bundled') ? { bundled: true } : {}),
    path,
    purl: npmPurl(name, version, source === 'registry' ? {} : qualifiersFor(source, resolved)),
  };
}

/** The name a `node_modules/...` key installs: the last `node_modules/` segment (`@scope/name` or `name`). */
function installNameOf(key: string): string | undefined {
  const index = key.lastIndexOf(NODE_MODULES);
  if (index === -1 || (index > 0 && key[index - 1] !== '/')) return undefined;
  const name = key.slice(index + NODE_MODULES.length);
  const parts = name.split('/');
  const valid = name.startsWith('@') ? parts.length === 2 && parts[1] !== '' : parts.length === 1;
  return valid && name !== '' ? name : undefined;
}

function readPackagesMap(packages: UnknownRecord, lockfileVersion: string): ParsedLockfile {
  const importers: string[] = [];
  const locked: LockedPackage[] = [];
  const skipped: SkippedEntry[] = [];
  for (const [key, entry] of Object.entries(packages)) {
    if (!isRecord(entry)) {
      skipped.push({ key, reason: 'entry is not an object' });
      continue;
    }
    if (key === '') {
      importers.push('.');
      continue;
    }
    // A link points at a folder that has its own key (a workspace): nothing is resolved here.
    if (isFlagSet(entry, 'link')) continue;
    if (!key.includes(NODE_MODULES)) {
      // A workspace or linked folder of the project itself: an importer, not a resolved package.
      importers.push(key);
      continue;
    }
    const installName = installNameOf(key);
    if (installName === undefined) {
      skipped.push({ key, reason: 'the key does not end in node_modules/<name>' });
      continue;
    }
    const version = stringField(entry, 'version');
    if (version === undefined || version === '') {
      skipped.push({ key, reason: 'no version' });
      continue;
    }
    const name = stringField(entry, 'name') ?? installName;
    const resolved = stringField(entry, 'resolved');
    locked.push(
      buildPackage({
        name,
        installName,
        version,
        resolved,
        source: sourceOfResolved(name, version, resolved),
        entry,
        path: key,
      }),
    );
  }
  skipped.push(...findUnresolvedDependencies(packages));
  return { format: 'npm', lockfileVersion, importers, packages: locked, skipped };
}

/** Where Node would find `name` from the folder `from` (`''` is the root): each enclosing node_modules, innermost first. */
function lookupPaths(from: string, name: string): string[] {
  const paths: string[] = [];
  let folder = from;
  for (;;) {
    paths.push(folder === '' ? `${NODE_MODULES}${name}` : `${folder}/${NODE_MODULES}${name}`);
    if (folder === '') return paths;
    const index = folder.lastIndexOf(`/${NODE_MODULES}`);
    folder = index === -1 ? '' : folder.slice(0, index);
  }
}

/**
 * Required dependencies that resolve to no entry. npm writes an entry for every package it
 * placed (optional ones included), so a miss means an edited or damaged lockfile: the listing
 * would be incomplete without saying so. Optional and peer dependencies may legitimately be absent.
 */
function findUnresolvedDependencies(packages: UnknownRecord): SkippedEntry[] {
  const unresolved: SkippedEntry[] = [];
  for (const [key, entry] of Object.entries(packages)) {
    if (!isRecord(entry) || isFlagSet(entry, 'link')) continue;
    const fields =
      key === '' || !key.includes(NODE_MODULES) ? ['dependencies', 'devDependencies'] : ['dependencies'];
    for (const field of fields) {
      for (const name of Object.keys(recordField(entry, field) ?? {})) {
        if (lookupPaths(key, name).some((path) => Object.hasOwn(packages, path))) continue;
        unresolved.push({ key: `${key || '(root)'} -> ${name}`, reason: 'the dependency has no entry' });
      }
    }
  }
  return unresolved;
}

/** v1 writes what was asked for in `version`: `npm:real@1.0.0`, a tarball URL, a git URL, `file:...`. */
function readV1Version(
  installName: string,
  spec: string,
  resolved: string | undefined,
): { name: string; version: string; source: PackageSource; resolved: string | undefined } | undefined {
  if (spec.startsWith('npm:')) {
    const target = spec.slice(4);
    const at = target.lastIndexOf('@');
    if (at <= 0) return undefined;
    const name = target.slice(0, at);
    const version = target.slice(at + 1);
    return { name, version, source: sourceOfResolved(name, version, resolved), resolved };
  }
  const source = classifySpec(spec);
  if (source === 'registry') {
    return {
      name: installName,
      version: spec,
      source: sourceOfResolved(installName, spec, resolved),
      resolved,
    };
  }
  const where = resolved ?? spec;
  const fromUrl = source === 'tarball' ? versionFromTarballUrl(installName, where) : undefined;
  return { name: installName, version: fromUrl ?? spec, source, resolved: where };
}

function readDependencyTree(root: UnknownRecord, lockfileVersion: string): ParsedLockfile {
  const importers = ['.'];
  const locked: LockedPackage[] = [];
  const skipped: SkippedEntry[] = [];
  // Explicit stack: a hostile lockfile may nest `dependencies` deeper than the call stack allows.
  const stack: { dependencies: UnknownRecord; prefix: string; depth: number }[] = [
    { dependencies: root, prefix: '', depth: 1 },
  ];
  for (let frame = stack.pop(); frame !== undefined; frame = stack.pop()) {
    for (const [installName, entry] of Object.entries(frame.dependencies)) {
      const path = `${frame.prefix}${NODE_MODULES}${installName}`;
      if (!isRecord(entry)) {
        skipped.push({ key: path, reason: 'entry is not an object' });
        continue;
      }
      const nested = recordField(entry, 'dependencies');
      if (nested !== undefined && frame.depth >= MAX_V1_NESTING) {
        skipped.push({
          key: `${path}/${NODE_MODULES}*`,
          reason: `nested deeper than ${MAX_V1_NESTING} levels`,
        });
      } else if (nested !== undefined) {
        stack.push({ dependencies: nested, prefix: `${path}/`, depth: frame.depth + 1 });
      }
      const spec = stringField(entry, 'version');
      if (spec === undefined || spec === '') {
        skipped.push({ key: path, reason: 'no version' });
        continue;
      }
      const read = readV1Version(installName, spec, stringField(entry, 'resolved'));
      if (read === undefined) {
        skipped.push({ key: path, reason: `unreadable alias version ${JSON.stringify(spec)}` });
        continue;
      }
      // `file:<folder>` is a workspace or linked folder of the project itself.
      if (read.source === 'directory') {
        importers.push(spec.replace(/^file:/, ''));
        continue;
      }
      locked.push(buildPackage({ ...read, installName, entry, path }));
    }
  }
  return { format: 'npm', lockfileVersion, importers, packages: locked, skipped };
}
