import type * as YarnParsers from '@yarnpkg/parsers';
import { lazyPackage } from '../../core/lazy-package.js';

/** Loaded with the first yarn lockfile. */
const yarnParsers = lazyPackage<typeof YarnParsers>('@yarnpkg/parsers');

import { CountersignError } from '../../core/errors.js';
import { type GraphEdge, type ImporterRoot, walkFromImporters } from './importer-walk.js';
import { npmPurl } from './purl.js';
import { isRecord, recordField, stringField, stringMap, type UnknownRecord } from './records.js';
import { classifySpec, qualifiersFor } from './source.js';
import type { LockedPackage, PackageSource, ParsedLockfile, SkippedEntry } from './types.js';

/**
 * `yarn.lock`, classic (v1, yarn 1) and berry (yarn 2+, YAML with `__metadata`). Both are read
 * with `parseSyml` from `@yarnpkg/parsers`, yarn's own reader: it reports line numbers, and on
 * truncated input it fails cleanly where `@yarnpkg/lockfile` grows a string until V8's limit.
 */

/** Berry `__metadata.version` values known to keep the entry shape read here (yarn 2 to 4). */
const SUPPORTED_BERRY_VERSIONS = new Set(['4', '5', '6', '7', '8', '9', '10']);

const LEGACY_HEADER = /^(#.*\r?\n)*?#\s+yarn\s+lockfile\s+v1\r?\n/i;

function parse(text: string): UnknownRecord {
  let value: unknown;
  try {
    value = yarnParsers().parseSyml(text);
  } catch (error) {
    const line = lineFromError(error);
    const first = ((error as Error).message ?? String(error)).split('\n')[0];
    throw new CountersignError(
      'E_LOCKFILE_MALFORMED',
      `yarn.lock: syntax error${line === undefined ? '' : ` at line ${line}`}: ${first}`,
      { cause: error, details: line === undefined ? {} : { line } },
    );
  }
  if (!isRecord(value)) {
    throw new CountersignError('E_LOCKFILE_MALFORMED', 'yarn.lock: the top level is not a mapping', {
      details: { line: 1 },
    });
  }
  return value;
}

/** js-yaml errors carry `mark.line` (0-based); the PEG parser's carry `location.start.line`. */
function lineFromError(error: unknown): number | undefined {
  if (!isRecord(error)) return undefined;
  const mark = recordField(error, 'mark');
  if (mark !== undefined && typeof mark.line === 'number') return mark.line + 1;
  const start = recordField(recordField(error, 'location') ?? {}, 'start');
  if (start !== undefined && typeof start.line === 'number') return start.line;
  return undefined;
}

/** `name@range` -> name and range; the name may be scoped (`@scope/name@range`). */
function splitDescriptor(descriptor: string): { name: string; range: string } | undefined {
  const at = descriptor.indexOf('@', 1);
  if (at <= 0) return undefined;
  return { name: descriptor.slice(0, at), range: descriptor.slice(at + 1) };
}

/** One entry per distinct object: v1 keys `a@^1, a@^1.2` share their entry. */
function groupEntries(
  document: UnknownRecord,
  skipped: SkippedEntry[],
): { descriptors: string[]; entry: UnknownRecord }[] {
  const byEntry = new Map<UnknownRecord, string[]>();
  for (const [key, entry] of Object.entries(document)) {
    if (key === '__metadata') continue;
    if (!isRecord(entry)) {
      skipped.push({ key, reason: 'entry is not a mapping' });
      continue;
    }
    const descriptors = key
      .split(',')
      .map((part) => part.trim())
      .filter((part) => part !== '');
    byEntry.set(entry, [...(byEntry.get(entry) ?? []), ...descriptors]);
  }
  return [...byEntry].map(([entry, descriptors]) => ({ descriptors, entry }));
}

/**
 * Dependencies that point at no entry. yarn writes an entry for every descriptor it resolved,
 * so a dangling one means the file was cut or edited: the listing is incomplete.
 */
function findDangling(
  groups: readonly { descriptors: string[]; entry: UnknownRecord }[],
  resolves: (name: string, range: string) => boolean,
): SkippedEntry[] {
  const dangling: SkippedEntry[] = [];
  for (const { descriptors, entry } of groups) {
    for (const field of ['dependencies', 'optionalDependencies']) {
      for (const [name, range] of stringMap(recordField(entry, field))) {
        if (!resolves(name, range)) {
          dangling.push({
            key: `${descriptors.join(', ')} -> ${name}@${range}`,
            reason: 'the dependency has no entry',
          });
        }
      }
    }
  }
  return dangling;
}

export function parseYarnLockfile(text: string): ParsedLockfile {
  const document = parse(text);
  const metadata = recordField(document, '__metadata');
  if (metadata !== undefined) return readBerry(document, metadata);
  if (!LEGACY_HEADER.test(text) && Object.keys(document).length > 0) {
    // Neither the v1 header nor berry metadata: some other YAML file, or a lockfile we do not know.
    throw new CountersignError(
      'E_LOCKFILE_UNSUPPORTED',
      'yarn.lock: neither a "# yarn lockfile v1" header nor berry "__metadata"',
    );
  }
  return readClassic(document);
}

function readClassic(document: UnknownRecord): ParsedLockfile {
  const skipped: SkippedEntry[] = [];
  const packages: LockedPackage[] = [];
  const groups = groupEntries(document, skipped);
  const keyOfDescriptor = new Map<string, string>();
  for (const { descriptors } of groups) {
    for (const descriptor of descriptors) keyOfDescriptor.set(descriptor, descriptors.join(', '));
  }
  skipped.push(...findDangling(groups, (name, range) => keyOfDescriptor.has(`${name}@${range}`)));
  const edgesOf = (entry: UnknownRecord): GraphEdge[] => {
    const edges: GraphEdge[] = [];
    for (const [field, optional] of [
      ['dependencies', false],
      ['optionalDependencies', true],
    ] as const) {
      for (const [name, range] of stringMap(recordField(entry, field))) {
        const to = keyOfDescriptor.get(`${name}@${range}`);
        if (to !== undefined) edges.push({ to, optional });
      }
    }
    return edges;
  };
  for (const { descriptors, entry } of groups) {
    const key = descriptors.join(', ');
    const first = splitDescriptor(descriptors[0] ?? '');
    const version = stringField(entry, 'version');
    if (first === undefined || version === undefined || version === '') {
      skipped.push({ key, reason: first === undefined ? 'unreadable descriptor' : 'no version' });
      continue;
    }
    let name = first.name;
    let alias: string | undefined;
    let range = first.range;
    if (range.startsWith('npm:')) {
      const target = splitDescriptor(range.slice(4));
      if (target !== undefined) {
        alias = name;
        name = target.name;
        range = target.range;
      }
    }
    const resolved = stringField(entry, 'resolved');
    const rangeSource = classifySpec(range);
    // yarn 1 may write a git dependency's range as an https URL; its `resolved` then says git.
    const source: PackageSource =
      rangeSource === 'tarball' && resolved !== undefined && classifySpec(resolved) === 'git'
        ? 'git'
        : rangeSource;
    const integrity = stringField(entry, 'integrity');
    packages.push({
      name,
      version,
      ...(alias !== undefined ? { alias } : {}),
      ...(integrity !== undefined ? { integrity } : {}),
      ...(resolved !== undefined ? { resolved } : {}),
      source,
      kind: 'unknown',
      path: key,
      dependsOn: edgesOf(entry),
      // A tarball's `#<sha1>` fragment is yarn's checksum, not part of where it is; a git one is the commit.
      purl: npmPurl(
        name,
        version,
        qualifiersFor(source, source === 'tarball' ? resolved?.replace(/#.*$/, '') : resolved),
      ),
    });
  }
  return { format: 'yarn-classic', lockfileVersion: 'v1', importers: [], packages, skipped };
}

/** Berry ranges carry their protocol: `npm:^1.0.0`, `workspace:.`, `patch:ms@npm%3A2.1.3#...`, a URL. */
function berrySource(range: string): PackageSource {
  if (range.startsWith('npm:')) return 'registry';
  if (range.startsWith('patch:')) {
    const inner = decodeURIComponent(range.slice(6).split('#')[0] ?? '');
    const target = splitDescriptor(inner);
    return target === undefined ? 'unknown' : berrySource(target.range);
  }
  return classifySpec(range);
}

function readBerry(document: UnknownRecord, metadata: UnknownRecord): ParsedLockfile {
  const lockfileVersion = stringField(metadata, 'version') ?? String(metadata.version ?? '');
  if (!SUPPORTED_BERRY_VERSIONS.has(lockfileVersion)) {
    throw new CountersignError(
      'E_LOCKFILE_UNSUPPORTED',
      `yarn.lock: berry lockfile version ${JSON.stringify(lockfileVersion)} is not supported (supported: 4 to 10)`,
      { details: { lockfileVersion } },
    );
  }
  const skipped: SkippedEntry[] = [];
  const groups = groupEntries(document, skipped);
  // Descriptor (`ms@npm:^2.1.3`) -> the entry's key, to follow dependencies from workspaces.
  const keyOfDescriptor = new Map<string, string>();
  for (const { descriptors } of groups) {
    const key = descriptors.join(', ');
    for (const descriptor of descriptors) keyOfDescriptor.set(descriptor, key);
  }
  const entryOfKey = new Map(groups.map((group) => [group.descriptors.join(', '), group.entry]));
  const lookup = (name: string, range: string): string | undefined =>
    keyOfDescriptor.get(`${name}@${range}`) ?? keyOfDescriptor.get(`${name}@npm:${range}`);
  const edgesOf = (key: string): GraphEdge[] => {
    const entry = entryOfKey.get(key);
    if (entry === undefined) return [];
    const edges: GraphEdge[] = [];
    const meta = recordField(entry, 'dependenciesMeta');
    for (const [name, range] of stringMap(recordField(entry, 'dependencies'))) {
      const to = lookup(name, range);
      const optional = recordField(meta ?? {}, name)?.optional === true;
      if (to !== undefined) edges.push({ to, optional });
    }
    return edges;
  };

  skipped.push(...findDangling(groups, (name, range) => lookup(name, range) !== undefined));

  const importers: string[] = [];
  const roots: ImporterRoot[] = [];
  const packages: LockedPackage[] = [];
  const pending: { key: string; entry: UnknownRecord; name: string; alias?: string; range: string }[] = [];
  for (const { descriptors, entry } of groups) {
    const key = descriptors.join(', ');
    const descriptor = splitDescriptor(descriptors[0] ?? '');
    const resolution = stringField(entry, 'resolution');
    const locator = resolution === undefined ? undefined : splitDescriptor(resolution);
    if (descriptor === undefined || locator === undefined) {
      skipped.push({ key, reason: 'no readable resolution' });
      continue;
    }
    if (locator.range.startsWith('workspace:')) {
      const importer = locator.range.slice('workspace:'.length) || '.';
      importers.push(importer);
      for (const edge of edgesOf(key)) roots.push({ importer, edge: 'prod', to: edge.to });
      continue;
    }
    pending.push({
      key,
      entry,
      name: locator.name,
      ...(descriptor.name !== locator.name ? { alias: descriptor.name } : {}),
      range: locator.range,
    });
  }
  const reach = walkFromImporters(roots, edgesOf);
  for (const { key, entry, name, alias, range } of pending) {
    const version = stringField(entry, 'version');
    if (version === undefined || version === '') {
      skipped.push({ key, reason: 'no version' });
      continue;
    }
    const source = berrySource(range);
    const resolved = source === 'registry' ? undefined : range;
    const checksum = stringField(entry, 'checksum');
    packages.push({
      name,
      version,
      ...(alias !== undefined ? { alias } : {}),
      ...(checksum !== undefined ? { checksum } : {}),
      ...(resolved !== undefined ? { resolved } : {}),
      source,
      // berry merges dev and prod dependencies in its workspace entries: the kind is not recorded.
      kind: 'unknown',
      path: key,
      dependsOn: edgesOf(key),
      importers: reach.importersOf(key),
      purl: npmPurl(name, version, qualifiersFor(source, resolved)),
    });
  }
  return { format: 'yarn-berry', lockfileVersion, importers, packages, skipped };
}
