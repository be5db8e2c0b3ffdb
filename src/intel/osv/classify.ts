import { isRecord } from '../json-shape.js';
import { type OsvRecord, PACKAGE_LIST_KEY } from './types.js';

export const OSV_RECORD_CLASSES = ['malicious-package', 'vulnerability'] as const;
/** A malicious package must be blocked outright; a vulnerability is weighed (`intel.*` findings). */
export type OsvRecordClass = (typeof OSV_RECORD_CLASSES)[number];

export interface OsvClassification {
  readonly class: OsvRecordClass;
  /** Why: each signal that was seen, for the finding's explanation. */
  readonly reasons: readonly string[];
}

/** CWE-506 "Embedded Malicious Code": how GitHub's malware advisories (GHSA) mark malice. */
const MALICIOUS_CWE = 'CWE-506';

/**
 * Malicious-package vs vulnerability. Signals: a `MAL-` id or alias (OpenSSF malicious-packages),
 * the `malicious-packages-origins` provenance block, or CWE-506 in GitHub's `cwe_ids` / `cwes`.
 */
export function classifyOsvRecord(record: OsvRecord): OsvClassification {
  const reasons: string[] = [];
  if (record.id.startsWith('MAL-')) reasons.push(`id ${record.id} is a MAL- (malicious package) id`);
  const malAlias = record.aliases.find((alias) => alias.startsWith('MAL-'));
  if (malAlias !== undefined) reasons.push(`alias ${malAlias} is a MAL- (malicious package) id`);
  if (record.databaseSpecific !== undefined && 'malicious-packages-origins' in record.databaseSpecific) {
    reasons.push('database_specific names malicious-packages origins');
  }
  const listed = record.databaseSpecific?.[PACKAGE_LIST_KEY];
  if (isRecord(listed) && listed.malicious === true) {
    reasons.push(`listed as compromised in package list ${String(listed.source)}`);
  }
  const cweSources = [record.databaseSpecific, ...record.affected.map((a) => a.databaseSpecific)];
  if (cweSources.some(mentionsMaliciousCwe)) reasons.push(`${MALICIOUS_CWE} (Embedded Malicious Code)`);
  return { class: reasons.length > 0 ? 'malicious-package' : 'vulnerability', reasons };
}

function mentionsMaliciousCwe(specific: Readonly<Record<string, unknown>> | undefined): boolean {
  if (specific === undefined) return false;
  const ids = Array.isArray(specific.cwe_ids) ? specific.cwe_ids : [];
  const cwes = Array.isArray(specific.cwes) ? specific.cwes : [];
  return ids.includes(MALICIOUS_CWE) || cwes.some((cwe) => isRecord(cwe) && cwe.cweId === MALICIOUS_CWE);
}

/** Whether the record is withdrawn at `at` (the schema's `withdrawn` time has passed). */
export function isWithdrawn(record: OsvRecord, at: Date = new Date()): boolean {
  if (record.withdrawn === undefined) return false;
  return Date.parse(record.withdrawn) <= at.getTime();
}
