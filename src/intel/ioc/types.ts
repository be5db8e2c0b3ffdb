/**
 * Indicators of compromise as Countersign keeps them, whatever format they came from. Values are
 * normalised on import (lowercase hashes and hosts, refanged, IDN as punycode, canonical IPs), so
 * matching is plain comparison.
 */

export const IOC_TYPES = [
  'md5',
  'sha1',
  'sha256',
  'sha512',
  'domain',
  /** An IPv4 or IPv6 address, or a CIDR block (`223.166.0.0/15`). */
  'ip',
  'url',
  /** A regular expression (linear-time subset, case-insensitive) over a normalised URL. */
  'url-pattern',
  /** A file name without directories, compared case-insensitively. */
  'filename',
  /** A regular expression (linear-time subset, case-insensitive) over a path with `\` separators. */
  'path-pattern',
] as const;
export type IocType = (typeof IOC_TYPES)[number];

export const HASH_TYPES = ['md5', 'sha1', 'sha256', 'sha512'] as const satisfies readonly IocType[];
export type HashType = (typeof HASH_TYPES)[number];

export interface IndicatorSource {
  /** The intel set's name (`signature-base`, `misp:OSINT.DigitalSide.it`). */
  readonly name: string;
  /** Where the set, or this indicator's report, can be read (URL or file). */
  readonly reference?: string;
  /** Where in the input this indicator was written: `line 12`, `$.objects[3]`. */
  readonly location?: string;
}

export interface Indicator {
  readonly type: IocType;
  /** Normalised value, used for matching. */
  readonly value: string;
  /** The value as the source wrote it (defanged, mixed case). */
  readonly original: string;
  readonly source: IndicatorSource;
  readonly tags: readonly string[];
  /** 0–100, as STIX `confidence`; absent when the source gives none. */
  readonly confidence?: number;
  /** RFC 3339; the indicator stops matching from then on. */
  readonly expiresAt?: string;
  readonly description?: string;
}

/** An input item that did not become an indicator, and why. Imports list every one. */
export interface IocRejection {
  /** `line 12`, `$.Event.Attribute[3]`, `$.objects[7]` */
  readonly location: string;
  readonly line?: number;
  readonly path?: string;
  /** The offending text, shortened. */
  readonly text?: string;
  readonly reason: string;
}

/**
 * The result of one import. Policy (the same for every format): items that cannot be used are
 * listed in `rejected` with their location and reason and the rest is imported; nothing is
 * dropped without a rejection entry. With `strict: true` any rejection fails the import. Input
 * that cannot be read as the format at all fails with `E_INTEL_MALFORMED`.
 */
export interface IocImport {
  readonly indicators: Indicator[];
  readonly rejected: IocRejection[];
}

/** What every importer accepts; per-format options extend it. */
export interface IocImportOptions {
  /** Name of the intel set; becomes each indicator's `source.name`. */
  readonly source: string;
  readonly reference?: string;
  /** Tags added to every indicator. */
  readonly tags?: readonly string[];
  /** Confidence for indicators whose source gives none. */
  readonly confidence?: number;
  /** Expiry for indicators whose source gives none. */
  readonly expiresAt?: string;
  readonly strict?: boolean;
}
