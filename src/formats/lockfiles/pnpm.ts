import type * as YamlPackage from 'yaml';
import type { Document } from 'yaml';
import { lazyPackage } from '../../core/lazy-package.js';

/** Loaded with the first pnpm lockfile. */
const yaml = lazyPackage<typeof YamlPackage>('yaml');

import { CountersignError } from '../../core/errors.js';
import {
  combineKinds,
  type GraphEdge,
  type ImporterRoot,
  type RootEdge,
  walkFromImporters,
} from './importer-walk.js';
import { npmPurl } from './purl.js';
import { isRecord, recordField, stringField, type UnknownRecord } from './records.js';
import { qualifiersFor } from './source.js';
import { lineAt } from './text-position.js';
import type { DependencyKind, LockedPackage, PackageSource, ParsedLockfile, SkippedEntry } from './types.js';

/**
 * `pnpm-lock.yaml`: lockfileVersion 5.x (pnpm 6-7), 6.x (pnpm 8) and 9.0 (pnpm 9-11), including
 * the two-document files pnpm 11 writes when it keeps an env lockfile (config dependencies)
 * ahead of the project's lockfile.
 */

type Layout = 'v5' | 'v6' | 'v9';

/** Aliases are allowed (YAML anchors) but bounded, so a "billion laughs" file stays small. */
const MAX_ALIAS_COUNT = 1000;

const ROOT_FIELDS: readonly (readonly [string, RootEdge])[] = [
  ['dependencies', 'prod'],
  ['optionalDependencies', 'optional'],
  ['devDependencies', 'dev'],
  ['configDependencies', 'config'],
  ['packageManagerDependencies', 'config'],
];

function layoutOf(version: unknown): Layout | undefined {
  const text = typeof version === 'number' ? String(version) : typeof version === 'string' ? version : '';
  if (/^5(\.\d+)?$/.test(text)) return 'v5';
  if (/^6(\.\d+)?$/.test(text)) return 'v6';
  if (/^9(\.0)?$/.test(text)) return 'v9';
  return undefined;
}

/** A dependency reference in an importer or a package: a version, a key, or `{specifier, version}`. */
function refOf(value: unknown): string | undefined {
  if (typeof value === 'string') return value;
  if (typeof value === 'number') return String(value);
  if (isRecord(value)) return refOf(value.version);
  return undefined;
}

function stripPeers(text: string, layout: Layout): string {
  if (layout === 'v5') {
    const underscore = text.indexOf('_');
    return underscore === -1 ? text : text.slice(0, underscore);
  }
  const paren = text.indexOf('(');
  return paren === -1 ? text : text.slice(0, paren);
}

/**
 * The key without its peer suffix: one package for all its peer variants. In v5 the suffix
 * starts with `_`, which package names may also contain, so only the version part is cut.
 */
function groupKeyOf(key: string, layout: Layout): string {
  if (layout !== 'v5') return stripPeers(key, layout);
  // Peer suffixes hold no `/` (pnpm writes `@types+node`): the suffix is in the last segment.
  const lastSlash = key.lastIndexOf('/');
  const underscore = key.indexOf('_', lastSlash);
  const isVersion = /^\d/.test(key.slice(lastSlash + 1));
  return underscore === -1 || !isVersion ? key : key.slice(0, underscore);
}

/**
 * Packages from a registry other than the default carry its host first
 * (`registry.example.com/foo/1.1.0` in v5, `registry.example.com/@s/foo@1.1.0` in v6): drop it.
 * A host is a first path segment with a dot, ahead of any `@` that would start a version.
 */
function withoutRegistryHost(key: string): string {
  if (key.startsWith('/') || key.startsWith('@')) return key;
  const slash = key.indexOf('/');
  const at = key.indexOf('@', 1);
  if (slash <= 0 || (at !== -1 && at < slash) || !key.slice(0, slash).includes('.')) return key;
  return key.slice(slash);
}

/** `/@scope/name/1.0.0_peer` (v5), `/name@1.0.0(peer@1)` (v6), `name@1.0.0(peer@1)` (v9). */
function splitKey(rawKey: string, layout: Layout): { name: string; version: string } | undefined {
  const key = withoutRegistryHost(rawKey);
  if (layout === 'v5') {
    if (!key.startsWith('/')) return undefined;
    const parts = key.slice(1).split('/');
    const nameParts = parts[0]?.startsWith('@') ? 2 : 1;
    const name = parts.slice(0, nameParts).join('/');
    const version = stripPeers(parts.slice(nameParts).join('/'), layout);
    // A host-prefixed key without a version (`github.com/user/repo`) names its package in the entry.
    if (key !== rawKey && !/^\d+\.\d+\.\d+/.test(version)) return undefined;
    return name !== '' && version !== '' ? { name, version } : undefined;
  }
  const bare = key.startsWith('/') ? key.slice(1) : key;
  const at = bare.indexOf('@', 1);
  if (at <= 0) return undefined;
  const version = stripPeers(bare.slice(at + 1), layout);
  return version !== '' ? { name: bare.slice(0, at), version } : undefined;
}

function resolutionOf(entry: UnknownRecord): {
  integrity?: string;
  resolved?: string;
  source: PackageSource;
} | null {
  const resolution = recordField(entry, 'resolution');
  if (resolution === undefined) return null;
  const integrity = stringField(resolution, 'integrity');
  const withIntegrity = integrity !== undefined ? { integrity } : {};
  const type = stringField(resolution, 'type');
  if (type === 'git') {
    const repo = stringField(resolution, 'repo');
    const commit = stringField(resolution, 'commit');
    if (repo === undefined) return null;
    const url = /^git\+|^git:/.test(repo) ? repo : `git+${repo}`;
    return { ...withIntegrity, resolved: commit === undefined ? url : `${url}#${commit}`, source: 'git' };
  }
  if (type === 'directory') {
    const directory = stringField(resolution, 'directory');
    return directory === undefined ? null : { resolved: `file:${directory}`, source: 'directory' };
  }
  const tarball = stringField(resolution, 'tarball');
  if (tarball !== undefined) {
    const source: PackageSource = tarball.startsWith('file:')
      ? 'file'
      : /^https?:\/\/codeload\.github\.com\//.test(tarball)
        ? 'git'
        : 'tarball';
    return { ...withIntegrity, resolved: tarball, source };
  }
  return integrity !== undefined ? { integrity, source: 'registry' } : null;
}

interface DocumentResult {
  readonly lockfileVersion: string;
  readonly importers: string[];
  readonly packages: LockedPackage[];
  readonly skipped: SkippedEntry[];
}

function readDocument(root: UnknownRecord, layout: Layout, documentIndex: number): DocumentResult {
  const skipped: SkippedEntry[] = [];
  const packages = recordField(root, 'packages') ?? {};
  // The graph lives in `snapshots` since v9 (per peer variant); before, in `packages`.
  const graph = layout === 'v9' ? (recordField(root, 'snapshots') ?? {}) : packages;
  const importerMap = recordField(root, 'importers') ?? { '.': root };
  const importers = Object.keys(importerMap);

  const findNode = (name: string, ref: string): string | undefined => {
    if (ref.startsWith('link:')) return undefined;
    const candidates =
      layout === 'v5'
        ? [`/${name}/${ref}`, ref]
        : layout === 'v6'
          ? [`/${name}@${ref}`, ref, `${name}@${ref}`]
          : [`${name}@${ref}`, ref];
    return candidates.find((candidate) => Object.hasOwn(graph, candidate));
  };
  // The names each node is installed under: an npm alias (`old-ms: npm:ms@2.0.0`) differs from the real name.
  const installedAs = new Map<string, Set<string>>();
  const noteName = (node: string, name: string): void => {
    const names = installedAs.get(node);
    if (names === undefined) installedAs.set(node, new Set([name]));
    else names.add(name);
  };
  const edgesCache = new Map<string, GraphEdge[]>();
  const edgesOf = (node: string): GraphEdge[] => {
    const cached = edgesCache.get(node);
    if (cached !== undefined) return cached;
    const entry = graph[node];
    const edges: GraphEdge[] = [];
    if (isRecord(entry)) {
      for (const [field, optional] of [
        ['dependencies', false],
        ['optionalDependencies', true],
      ] as const) {
        for (const [name, value] of Object.entries(recordField(entry, field) ?? {})) {
          const ref = refOf(value);
          const to = ref === undefined ? undefined : findNode(name, ref);
          if (to !== undefined) {
            edges.push({ to, optional });
            noteName(to, name);
          } else if (ref !== undefined && !ref.startsWith('link:'))
            skipped.push({ key: `${node} -> ${name}@${ref}`, reason: 'the dependency has no entry' });
        }
      }
    }
    edgesCache.set(node, edges);
    return edges;
  };
  const roots: ImporterRoot[] = [];
  for (const [importer, record] of Object.entries(importerMap)) {
    if (!isRecord(record)) {
      skipped.push({ key: `importers/${importer}`, reason: 'importer is not a mapping' });
      continue;
    }
    for (const [field, edge] of ROOT_FIELDS) {
      for (const [name, value] of Object.entries(recordField(record, field) ?? {})) {
        const ref = refOf(value);
        const to = ref === undefined ? undefined : findNode(name, ref);
        if (to !== undefined) {
          roots.push({ importer, edge, to });
          noteName(to, name);
        } else if (ref !== undefined && !ref.startsWith('link:'))
          skipped.push({
            key: `importers/${importer} -> ${name}@${ref}`,
            reason: 'the dependency has no entry',
          });
      }
    }
  }
  const reach = walkFromImporters(roots, edgesOf);

  // Graph nodes grouped by the package they are (peer variants share one package entry).
  const variants = new Map<string, string[]>();
  for (const node of Object.keys(graph)) {
    const group = groupKeyOf(node, layout);
    const nodes = variants.get(group);
    if (nodes === undefined) variants.set(group, [node]);
    else nodes.push(node);
  }
  const locked: LockedPackage[] = [];
  const seen = new Set<string>();
  const keys = layout === 'v9' ? Object.keys(packages) : [...variants.keys()];
  for (const key of keys) {
    if (seen.has(key)) continue;
    seen.add(key);
    const nodes = variants.get(key) ?? [];
    const entry = layout === 'v9' ? packages[key] : graph[nodes[0] ?? key];
    if (!isRecord(entry)) {
      skipped.push({ key, reason: 'entry is not a mapping' });
      continue;
    }
    const fromKey = splitKey(key, layout);
    const name = stringField(entry, 'name') ?? fromKey?.name;
    const version = stringField(entry, 'version') ?? fromKey?.version;
    if (name === undefined || version === undefined) {
      skipped.push({ key, reason: 'no name and version in the key or the entry' });
      continue;
    }
    const resolution = resolutionOf(entry);
    if (resolution === null) {
      skipped.push({ key, reason: 'no readable resolution' });
      continue;
    }
    const kinds: DependencyKind[] = nodes.map((node) => reach.kindOf(node));
    const importerSet = new Set(nodes.flatMap((node) => [...reach.importersOf(node)]));
    const { resolved, integrity, source } = resolution;
    const aliases = [...new Set(nodes.flatMap((node) => [...(installedAs.get(node) ?? [])]))]
      .filter((installName) => installName !== name)
      .sort();
    locked.push({
      name,
      version,
      ...(aliases[0] !== undefined ? { alias: aliases[0] } : {}),
      ...(integrity !== undefined ? { integrity } : {}),
      ...(resolved !== undefined ? { resolved } : {}),
      source,
      kind: combineKinds(kinds),
      path: documentIndex === 0 ? key : `document ${documentIndex + 1}: ${key}`,
      importers: [...importerSet].sort(),
      purl: npmPurl(name, version, qualifiersFor(source, resolved)),
    });
  }
  const version = root.lockfileVersion;
  return {
    lockfileVersion: typeof version === 'number' ? version.toFixed(1) : String(version),
    importers,
    packages: locked,
    skipped,
  };
}

export function parsePnpmLockfile(text: string): ParsedLockfile {
  // yaml's own duplicate-key check is quadratic in a map's size (minutes on a 3 MB lockfile);
  // duplicates are found below in one pass instead.
  const documents = yaml().parseAllDocuments(text, { uniqueKeys: false });
  if (!Array.isArray(documents) || documents.length === 0) {
    throw new CountersignError('E_LOCKFILE_MALFORMED', 'pnpm-lock.yaml: no YAML document', {
      details: { line: 1 },
    });
  }
  const results: DocumentResult[] = [];
  for (const [index, document] of documents.entries()) {
    const error = document.errors[0];
    if (error !== undefined) {
      const line = error.linePos?.[0].line;
      throw new CountersignError(
        'E_LOCKFILE_MALFORMED',
        `pnpm-lock.yaml: YAML error${line === undefined ? '' : ` at line ${line}`}: ${error.message.split('\n')[0]}`,
        { details: { ...(line === undefined ? {} : { line }), document: index + 1, yamlCode: error.code } },
      );
    }
    const duplicate = findDuplicateKey(document);
    if (duplicate !== undefined) {
      const line = duplicate.offset === undefined ? undefined : lineAt(text, duplicate.offset);
      throw new CountersignError(
        'E_LOCKFILE_MALFORMED',
        `pnpm-lock.yaml: duplicate key ${JSON.stringify(duplicate.key)}${line === undefined ? '' : ` at line ${line}`}`,
        { details: { ...(line === undefined ? {} : { line }), document: index + 1 } },
      );
    }
    let root: unknown;
    try {
      root = document.toJS({ maxAliasCount: MAX_ALIAS_COUNT });
    } catch (cause) {
      throw new CountersignError('E_LOCKFILE_MALFORMED', `pnpm-lock.yaml: ${(cause as Error).message}`, {
        cause,
        details: { document: index + 1 },
      });
    }
    if (!isRecord(root)) {
      const line = document.contents?.range ? lineAt(text, document.contents.range[0]) : 1;
      throw new CountersignError('E_LOCKFILE_MALFORMED', 'pnpm-lock.yaml: a document is not a mapping', {
        details: { line, document: index + 1 },
      });
    }
    const layout = layoutOf(root.lockfileVersion);
    if (layout === undefined) {
      throw new CountersignError(
        'E_LOCKFILE_UNSUPPORTED',
        `pnpm-lock.yaml: lockfileVersion ${JSON.stringify(root.lockfileVersion ?? null)} is not supported (supported: 5.x, 6.x, 9.0)`,
        { details: { lockfileVersion: root.lockfileVersion ?? null, document: index + 1 } },
      );
    }
    results.push(readDocument(root, layout, index));
  }
  const main = results[results.length - 1]!;
  return {
    format: 'pnpm',
    lockfileVersion: main.lockfileVersion,
    importers: [...new Set(results.flatMap((result) => result.importers))],
    packages: results.flatMap((result) => result.packages),
    skipped: results.flatMap((result) => result.skipped),
  };
}

/** The maps where a repeated key would hide an entry: the top level and the sections under it. */
const CHECKED_SECTIONS = new Set(['importers', 'packages', 'snapshots']);

function findDuplicateKey(document: Document): { key: string; offset: number | undefined } | undefined {
  const top = document.contents;
  if (!yaml().isMap(top)) return undefined;
  const maps = [top];
  for (const item of top.items) {
    if (yaml().isScalar(item.key) && CHECKED_SECTIONS.has(String(item.key.value)) && yaml().isMap(item.value))
      maps.push(item.value);
  }
  for (const map of maps) {
    const seen = new Set<string>();
    for (const item of map.items) {
      const key = yaml().isScalar(item.key) ? String(item.key.value) : String(item.key);
      if (seen.has(key)) return { key, offset: yaml().isScalar(item.key) ? item.key.range?.[0] : undefined };
      seen.add(key);
    }
  }
  return undefined;
}
