import { classifyOsvRecord, isWithdrawn, type OsvClassification } from './classify.js';
import { digestFromHex, digestKey, digestsFromIntegrity } from './digests.js';
import { type AffectedVia, evaluateAffected } from './evaluate.js';
import type { OsvAffected, OsvDigest, OsvDigestAlgorithm, OsvRecord } from './types.js';
import { baseEcosystem } from './version-order.js';

/** What we know of a package to look up: coordinates and, when we have the tarball, its digests. */
export interface PackageQuery {
  readonly ecosystem: string;
  readonly name: string;
  readonly version: string;
  /** npm `dist.integrity` (SRI, may hold several tokens). */
  readonly integrity?: string;
  /** npm `dist.shasum` (sha1 hex). */
  readonly shasum?: string;
  /** Digests we computed ourselves, hex by algorithm. */
  readonly digests?: readonly OsvDigest[];
}

export type OsvMatchReason =
  | { readonly kind: 'version'; readonly via: AffectedVia }
  | { readonly kind: 'digest'; readonly digest: OsvDigest };

export interface OsvMatch {
  readonly record: OsvRecord;
  readonly classification: OsvClassification;
  readonly affectedIndex: number;
  /** All reasons this record matched (a version and a digest can both hit). */
  readonly reasons: readonly OsvMatchReason[];
}

/** A range we could not evaluate for this query: not a match, but not a clean "no" either. */
export interface OsvUndecided {
  readonly record: OsvRecord;
  readonly affectedIndex: number;
  readonly rangeIndex: number;
  readonly reason: string;
}

export interface OsvLookup {
  readonly matches: readonly OsvMatch[];
  readonly undecided: readonly OsvUndecided[];
}

export interface OsvIndexOptions {
  /** When withdrawal is judged (default: now). Withdrawn records never match. */
  readonly at?: Date;
}

export interface OsvIndexStats {
  readonly records: number;
  readonly withdrawn: number;
  readonly malicious: number;
  readonly vulnerabilities: number;
  /** Same id seen twice: the later `modified` was kept. */
  readonly duplicates: number;
}

/**
 * Compiled OSV intel: records indexed by ecosystem + normalised package name and by tarball digest.
 * Build once, query many times. Withdrawn records are counted but never indexed.
 */
export interface OsvIndex {
  readonly stats: OsvIndexStats;
  /** Tarball digest algorithms the indexed records name: none means no tarball needs hashing. */
  readonly digestAlgorithms: ReadonlySet<OsvDigestAlgorithm>;
  lookup(query: PackageQuery): OsvLookup;
}

interface Entry {
  readonly record: OsvRecord;
  readonly classification: OsvClassification;
  readonly affectedIndex: number;
  readonly affected: OsvAffected;
}

export function buildOsvIndex(records: Iterable<OsvRecord>, options: OsvIndexOptions = {}): OsvIndex {
  const at = options.at ?? new Date();
  const latest = new Map<string, OsvRecord>();
  let duplicates = 0;
  let total = 0;
  for (const record of records) {
    total += 1;
    const seen = latest.get(record.id);
    if (seen !== undefined) {
      duplicates += 1;
      if (Date.parse(seen.modified) >= Date.parse(record.modified)) continue;
    }
    latest.set(record.id, record);
  }
  const byPackage = new Map<string, Entry[]>();
  const byDigest = new Map<string, Entry[]>();
  let withdrawn = 0;
  let malicious = 0;
  const digestAlgorithms = new Set<OsvDigestAlgorithm>();
  for (const record of latest.values()) {
    if (isWithdrawn(record, at)) {
      withdrawn += 1;
      continue;
    }
    const classification = classifyOsvRecord(record);
    if (classification.class === 'malicious-package') malicious += 1;
    for (const [affectedIndex, affected] of record.affected.entries()) {
      const entry: Entry = { record, classification, affectedIndex, affected };
      if (affected.package !== undefined) {
        push(byPackage, packageKey(affected.package.ecosystem, affected.package.name), entry);
      }
      for (const digest of affected.digests) {
        push(byDigest, digestKey(digest), entry);
        digestAlgorithms.add(digest.algorithm);
      }
    }
  }
  const indexed = latest.size - withdrawn;
  return {
    stats: {
      records: total - duplicates,
      withdrawn,
      malicious,
      vulnerabilities: indexed - malicious,
      duplicates,
    },
    digestAlgorithms,
    lookup: (query) => lookup(byPackage, byDigest, query),
  };
}

function lookup(
  byPackage: Map<string, Entry[]>,
  byDigest: Map<string, Entry[]>,
  query: PackageQuery,
): OsvLookup {
  const found = new Map<string, { entry: Entry; reasons: OsvMatchReason[] }>();
  const undecided: OsvUndecided[] = [];
  const note = (entry: Entry, reason: OsvMatchReason): void => {
    const key = `${entry.record.id}#${entry.affectedIndex}`;
    const hit = found.get(key) ?? { entry, reasons: [] };
    hit.reasons.push(reason);
    found.set(key, hit);
  };
  for (const entry of byPackage.get(packageKey(query.ecosystem, query.name)) ?? []) {
    const verdict = evaluateAffected(entry.affected, query.version);
    if (verdict.via !== undefined) note(entry, { kind: 'version', via: verdict.via });
    else {
      for (const gap of verdict.undecided) {
        undecided.push({ record: entry.record, affectedIndex: entry.affectedIndex, ...gap });
      }
    }
  }
  // A digest hit stands on its own: the same tarball republished under another name is still bad.
  for (const digest of queryDigests(query)) {
    for (const entry of byDigest.get(digestKey(digest)) ?? []) note(entry, { kind: 'digest', digest });
  }
  const matches = [...found.values()].map(({ entry, reasons }) => ({
    record: entry.record,
    classification: entry.classification,
    affectedIndex: entry.affectedIndex,
    reasons,
  }));
  return { matches, undecided };
}

function queryDigests(query: PackageQuery): OsvDigest[] {
  const digests = [...(query.digests ?? [])];
  if (query.integrity !== undefined) digests.push(...digestsFromIntegrity(query.integrity));
  if (query.shasum !== undefined) {
    const sha1 = digestFromHex('sha1', query.shasum);
    if (sha1 !== undefined) digests.push(sha1);
  }
  return digests;
}

/**
 * Package names compare as each ecosystem does: PyPI folds case and `-_.` runs (PEP 503); npm and
 * the rest compare exactly (npm has legacy mixed-case names that are distinct packages).
 */
export function packageKey(ecosystem: string, name: string): string {
  // The full ecosystem stays in the key: `Debian:11` and `Debian:12` are different package sets.
  const normalised = baseEcosystem(ecosystem) === 'PyPI' ? name.toLowerCase().replace(/[-_.]+/g, '-') : name;
  return `${ecosystem}\u0000${normalised}`;
}

function push<K, V>(map: Map<K, V[]>, key: K, value: V): void {
  const list = map.get(key);
  if (list === undefined) map.set(key, [value]);
  else list.push(value);
}
