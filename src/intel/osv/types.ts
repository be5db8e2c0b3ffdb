/**
 * OSV records as Countersign keeps them: the fields that matching and reporting need, validated.
 * See https://ossf.github.io/osv-schema/ (schema 1.7). Unknown fields are ignored, not rejected,
 * because the schema grows (new fields must not break an offline import).
 */

export const OSV_RANGE_TYPES = ['SEMVER', 'ECOSYSTEM', 'GIT'] as const;
export type OsvRangeType = (typeof OSV_RANGE_TYPES)[number];

export const OSV_EVENT_KINDS = ['introduced', 'fixed', 'last_affected', 'limit'] as const;
export type OsvEventKind = (typeof OSV_EVENT_KINDS)[number];

/** One event of a range's timeline; the schema allows exactly one kind per event object. */
export interface OsvEvent {
  readonly kind: OsvEventKind;
  readonly version: string;
}

export interface OsvRange {
  readonly type: OsvRangeType;
  readonly repo?: string;
  readonly events: readonly OsvEvent[];
}

export interface OsvPackage {
  readonly ecosystem: string;
  readonly name: string;
  readonly purl?: string;
}

export const OSV_DIGEST_ALGORITHMS = ['sha1', 'sha256', 'sha512'] as const;
export type OsvDigestAlgorithm = (typeof OSV_DIGEST_ALGORITHMS)[number];

/** A digest of a published artifact (npm tarball) named by the record, in lowercase hex. */
export interface OsvDigest {
  readonly algorithm: OsvDigestAlgorithm;
  readonly hex: string;
  readonly filename?: string;
}

export interface OsvAffected {
  /** Absent for GIT-only records (no package ecosystem). */
  readonly package?: OsvPackage;
  readonly ranges: readonly OsvRange[];
  readonly versions: readonly string[];
  /** Tarball digests from `database_specific.indicators.package_integrity` (ossf/malicious-packages). */
  readonly digests: readonly OsvDigest[];
  readonly databaseSpecific?: Readonly<Record<string, unknown>>;
}

export interface OsvReference {
  readonly type: string;
  readonly url: string;
}

export interface OsvSeverity {
  readonly type: string;
  readonly score: string;
}

export interface OsvRecord {
  readonly id: string;
  readonly modified: string;
  readonly published?: string;
  /** RFC 3339 time from which the record must no longer match anything. */
  readonly withdrawn?: string;
  readonly schemaVersion?: string;
  readonly aliases: readonly string[];
  readonly summary?: string;
  readonly details?: string;
  readonly severity: readonly OsvSeverity[];
  readonly affected: readonly OsvAffected[];
  readonly references: readonly OsvReference[];
  readonly databaseSpecific?: Readonly<Record<string, unknown>>;
  /** Where the record was read from (file, or `dump.zip!/ID.json`), for evidence. */
  readonly origin: string;
}

/** The `database_specific` key that marks a record made from a compromised-package list. */
export const PACKAGE_LIST_KEY = 'countersign-package-list';
