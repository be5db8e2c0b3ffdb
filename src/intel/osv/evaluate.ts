import type semver from 'semver';
import type { OsvAffected, OsvEvent, OsvRange } from './types.js';
import { sameVersion, versionOrderFor } from './version-order.js';

/** The answer for one range: affected or not, or why it could not be decided. */
export type RangeVerdict =
  | { readonly status: 'affected' | 'not-affected' }
  | { readonly status: 'unknown'; readonly reason: string };

/** How a version came to be affected by one `affected[]` entry. */
export type AffectedVia =
  | { readonly kind: 'versions'; readonly listed: string }
  | { readonly kind: 'range'; readonly rangeIndex: number; readonly range: OsvRange };

export interface AffectedVerdict {
  readonly isAffected: boolean;
  readonly via?: AffectedVia;
  /** Ranges that could not be evaluated (GIT, unknown ecosystem ordering, unparsable versions). */
  readonly undecided: readonly { readonly rangeIndex: number; readonly reason: string }[];
}

interface ParsedEvent {
  readonly event: OsvEvent;
  /** Undefined means the special lowest (`introduced: "0"`) or highest (`limit: "*"`) value. */
  readonly version: semver.SemVer | undefined;
  readonly rank: -1 | 0 | 1;
}

/** Events with equal versions: `introduced` first, so `[X, X)` is empty and `[X, X]` holds X. */
const TIE_ORDER: Record<OsvEvent['kind'], number> = { introduced: 0, fixed: 1, last_affected: 2, limit: 3 };

/**
 * The OSV schema's `IncludedInRanges` for one range, exactly as its pseudocode: check the limits,
 * sort the events, walk them (introduced → affected; fixed at or below → not; last_affected below → not).
 */
export function evaluateRange(range: OsvRange, ecosystem: string | undefined, version: string): RangeVerdict {
  const order = versionOrderFor(range.type, ecosystem);
  if (order === undefined) {
    return {
      status: 'unknown',
      reason:
        range.type === 'GIT'
          ? 'GIT ranges need the repository commit graph'
          : `no version ordering for ${range.type} ranges of ecosystem ${JSON.stringify(ecosystem ?? '')}`,
    };
  }
  const target = order.parse(version);
  if (target === undefined) {
    return { status: 'unknown', reason: `${JSON.stringify(version)} is not a ${order.name} version` };
  }
  const parsed: ParsedEvent[] = [];
  for (const event of range.events) {
    if (event.kind === 'introduced' && event.version === '0') {
      parsed.push({ event, version: undefined, rank: -1 });
    } else if (event.kind === 'limit' && event.version.includes('*')) {
      parsed.push({ event, version: undefined, rank: 1 });
    } else {
      const eventVersion = order.parse(event.version);
      if (eventVersion === undefined) {
        return {
          status: 'unknown',
          reason: `event ${event.kind} ${JSON.stringify(event.version)} is not a ${order.name} version`,
        };
      }
      parsed.push({ event, version: eventVersion, rank: 0 });
    }
  }
  // v compared with an event: the specials sort below / above every version.
  const compareTo = (e: ParsedEvent): number =>
    e.version === undefined ? -e.rank : target.compare(e.version);

  const limits = parsed.filter((e) => e.event.kind === 'limit');
  if (limits.length > 0 && !limits.some((limit) => compareTo(limit) < 0)) return { status: 'not-affected' };

  const sorted = [...parsed].sort((a, b) => {
    if (a.rank !== b.rank) return a.rank - b.rank;
    const byVersion = a.version === undefined || b.version === undefined ? 0 : a.version.compare(b.version);
    return byVersion !== 0 ? byVersion : TIE_ORDER[a.event.kind] - TIE_ORDER[b.event.kind];
  });
  let isAffected = false;
  for (const e of sorted) {
    const cmp = compareTo(e);
    if (e.event.kind === 'introduced' && cmp >= 0) isAffected = true;
    else if (e.event.kind === 'fixed' && cmp >= 0) isAffected = false;
    else if (e.event.kind === 'last_affected' && cmp > 0) isAffected = false;
  }
  return { status: isAffected ? 'affected' : 'not-affected' };
}

/** The schema's `IncludedInVersions || IncludedInRanges` for one `affected[]` entry. */
export function evaluateAffected(affected: OsvAffected, version: string): AffectedVerdict {
  const ecosystem = affected.package?.ecosystem;
  const listed = affected.versions.find((item) => sameVersion(ecosystem, item, version));
  const undecided: { rangeIndex: number; reason: string }[] = [];
  let via: AffectedVia | undefined = listed === undefined ? undefined : { kind: 'versions', listed };
  for (const [rangeIndex, range] of affected.ranges.entries()) {
    const verdict = evaluateRange(range, ecosystem, version);
    if (verdict.status === 'unknown') undecided.push({ rangeIndex, reason: verdict.reason });
    else if (verdict.status === 'affected' && via === undefined) via = { kind: 'range', rangeIndex, range };
  }
  return via === undefined ? { isAffected: false, undecided } : { isAffected: true, via, undecided };
}

/** `introduced 0, fixed 1.10.3` — the range as a human reads it, for finding messages. */
export function describeRange(range: OsvRange): string {
  return `${range.type} ${range.events.map((e) => `${e.kind} ${e.version}`).join(', ')}`;
}
