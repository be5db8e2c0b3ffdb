import semver from 'semver';
import { CountersignError } from '../../core/errors.js';

/**
 * A packument (`GET /<name>` on an npm registry): every version's manifest, when each was
 * published, by whom, and the signatures and provenance attestations the registry holds. Only
 * what Countersign reads is kept; the version manifests stay as the registry served them, for the
 * manifest-confusion check.
 */

export interface PackumentPerson {
  readonly name: string;
  readonly email?: string;
}

export interface PackumentVersion {
  readonly version: string;
  /** The version manifest as served (compared with the tarball's `package.json`). */
  readonly manifest: Readonly<Record<string, unknown>>;
  /** `_npmUser`: the account that published this version. */
  readonly publisher?: PackumentPerson;
  /** `maintainers` at the time of publishing. */
  readonly maintainers: readonly PackumentPerson[];
  /** `dist.attestations` present (npm provenance, SLSA build attestation). */
  readonly hasProvenance: boolean;
  /** `dist.signatures` present (the registry's ECDSA signatures). */
  readonly hasSignatures: boolean;
  readonly tarball?: string;
  readonly integrity?: string;
}

export interface Packument {
  readonly name: string;
  readonly versions: ReadonlyMap<string, PackumentVersion>;
  /** Publish time of each version (ISO 8601), plus `created` and `modified`. */
  readonly time: Readonly<Record<string, string>>;
  readonly distTags: Readonly<Record<string, string>>;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function personOf(value: unknown): PackumentPerson | undefined {
  if (typeof value === 'string') {
    // "Name <email>" form of older documents.
    const match = /^([^<]*?)\s*(?:<([^>]*)>)?\s*$/.exec(value);
    const name = match?.[1]?.trim() ?? value;
    return name ? { name, ...(match?.[2] ? { email: match[2] } : {}) } : undefined;
  }
  if (!isRecord(value) || typeof value.name !== 'string') return undefined;
  return { name: value.name, ...(typeof value.email === 'string' ? { email: value.email } : {}) };
}

function stringsOf(value: unknown): Record<string, string> {
  const out: Record<string, string> = {};
  if (!isRecord(value)) return out;
  for (const [key, inner] of Object.entries(value)) if (typeof inner === 'string') out[key] = inner;
  return out;
}

function versionOf(version: string, manifest: Record<string, unknown>): PackumentVersion {
  const dist = isRecord(manifest.dist) ? manifest.dist : {};
  const attestations = dist.attestations;
  const signatures = dist.signatures;
  const publisher = personOf(manifest._npmUser);
  return {
    version,
    manifest,
    ...(publisher ? { publisher } : {}),
    maintainers: Array.isArray(manifest.maintainers)
      ? manifest.maintainers.map(personOf).filter((person): person is PackumentPerson => person !== undefined)
      : [],
    hasProvenance: isRecord(attestations) || (Array.isArray(attestations) && attestations.length > 0),
    hasSignatures: Array.isArray(signatures) && signatures.length > 0,
    ...(typeof dist.tarball === 'string' ? { tarball: dist.tarball } : {}),
    ...(typeof dist.integrity === 'string' ? { integrity: dist.integrity } : {}),
  };
}

/** Reads a parsed packument; a document that is not one is `E_FORMAT_MALFORMED`. */
export function readPackument(json: unknown): Packument {
  if (!isRecord(json) || typeof json.name !== 'string' || !isRecord(json.versions)) {
    throw new CountersignError(
      'E_FORMAT_MALFORMED',
      'not an npm packument: expected an object with "name" and "versions"',
    );
  }
  const versions = new Map<string, PackumentVersion>();
  for (const [version, manifest] of Object.entries(json.versions)) {
    if (isRecord(manifest)) versions.set(version, versionOf(version, manifest));
  }
  return { name: json.name, versions, time: stringsOf(json.time), distTags: stringsOf(json['dist-tags']) };
}

/** Parses packument text (the file `--packument` names). */
export function parsePackument(text: string): Packument {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new CountersignError('E_FORMAT_MALFORMED', `packument is not JSON: ${(error as Error).message}`, {
      cause: error,
    });
  }
  return readPackument(json);
}

/**
 * Versions higher than `version` (semver) that the registry says were published before it. A
 * release published after a higher one is either a backport to an older line, or a version slipped
 * in out of order (a hijacked account publishing to every line at once).
 */
export function higherVersionsPublishedBefore(packument: Packument, version: string): string[] {
  const at = Date.parse(packument.time[version] ?? '');
  if (!Number.isFinite(at) || semver.valid(version) === null) return [];
  const out: string[] = [];
  for (const [other, time] of Object.entries(packument.time)) {
    if (other === 'created' || other === 'modified' || semver.valid(other) === null) continue;
    if (semver.prerelease(other) !== null) continue;
    const when = Date.parse(time);
    if (Number.isFinite(when) && when < at && semver.gt(other, version)) out.push(other);
  }
  return out.sort(semver.compare);
}
