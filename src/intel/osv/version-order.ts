import semver from 'semver';
import type { OsvRangeType } from './types.js';

/**
 * How versions compare inside one OSV range. `SEMVER` ranges follow SemVer 2.0 precedence for every
 * ecosystem; `ECOSYSTEM` ranges are only comparable where we implement the ecosystem's ordering,
 * which today is npm (npm's own `semver` package: build metadata ignored, prereleases ordered by
 * SemVer §11). Everything else is answered from the explicit `versions` list and reported as a gap.
 */
export interface VersionOrder {
  /** A short name for messages (`npm semver`). */
  readonly name: string;
  /** Undefined when the string is not a version of this ordering. */
  parse(version: string): semver.SemVer | undefined;
}

const SEMVER_ORDER: VersionOrder = {
  name: 'semver',
  parse: (version) => semver.parse(version) ?? undefined,
};

/** Ecosystems whose ECOSYSTEM ranges use npm's semver ordering. */
const SEMVER_ECOSYSTEMS = new Set(['npm']);

export function versionOrderFor(type: OsvRangeType, ecosystem: string | undefined): VersionOrder | undefined {
  if (type === 'SEMVER') return SEMVER_ORDER;
  if (type === 'ECOSYSTEM' && ecosystem !== undefined && SEMVER_ECOSYSTEMS.has(baseEcosystem(ecosystem))) {
    return { name: 'npm semver', parse: SEMVER_ORDER.parse };
  }
  return undefined;
}

/** `Debian:12` → `Debian`: OSV ecosystems may carry a release suffix after a colon. */
export function baseEcosystem(ecosystem: string): string {
  const colon = ecosystem.indexOf(':');
  return colon === -1 ? ecosystem : ecosystem.slice(0, colon);
}

/**
 * Whether two version strings name the same version in an ecosystem, for the explicit `versions`
 * list. npm treats versions that differ only in build metadata or a leading `v` as one version.
 */
export function sameVersion(ecosystem: string | undefined, listed: string, candidate: string): boolean {
  if (listed === candidate) return true;
  if (ecosystem === undefined || !SEMVER_ECOSYSTEMS.has(baseEcosystem(ecosystem))) return false;
  const a = semver.parse(listed);
  const b = semver.parse(candidate);
  return a !== null && b !== null && a.compare(b) === 0;
}
