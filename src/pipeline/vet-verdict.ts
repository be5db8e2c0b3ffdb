import type { Decision } from '../core/decision.js';
import type { Finding } from '../core/findings.js';
import { CONFIDENCES, type Confidence, type Severity, severityRank } from '../core/severity.js';

export { DECISIONS, type Decision } from '../core/decision.js';

/** Where a vet finding comes from: the diff, a node rule new in this release, or one the baseline had too. */
export type FindingOrigin = 'diff' | 'candidate' | 'inherited';

export interface VetFinding extends Finding {
  readonly origin: FindingOrigin;
}

/** A severity floor plus the confidence it needs. */
export interface Threshold {
  readonly severity: Severity;
  readonly confidence: Confidence;
}

/**
 * How findings become a verdict. A finding at or above `block` (severity and confidence) blocks;
 * one at or above `review` asks for a person. Points add up too, so that several medium findings
 * on one release block even when none alone would.
 */
export interface VetPolicy {
  readonly id: string;
  readonly version: number;
  readonly block: Threshold;
  readonly review: Threshold;
  readonly blockScore: number;
  readonly reviewScore: number;
  readonly severityPoints: Readonly<Record<Severity, number>>;
  readonly confidenceFactor: Readonly<Record<Confidence, number>>;
  /** Findings the trusted baseline had too: counted or only listed (default: listed). */
  readonly countInherited: boolean;
}

export const DEFAULT_VET_POLICY: VetPolicy = {
  id: 'countersign/default-vet',
  version: 1,
  block: { severity: 'high', confidence: 'medium' },
  review: { severity: 'medium', confidence: 'low' },
  blockScore: 40,
  reviewScore: 10,
  severityPoints: { info: 0, low: 1, medium: 10, high: 25, critical: 50 },
  confidenceFactor: { low: 0.5, medium: 0.8, high: 1 },
  countInherited: false,
};

export interface ScoreLine {
  readonly ruleId: string;
  readonly path: string;
  readonly severity: Severity;
  readonly confidence: Confidence;
  readonly origin: FindingOrigin;
  readonly points: number;
  /** Why the line does not count, when it does not. */
  readonly excluded?: string;
}

export interface Verdict {
  readonly decision: Decision;
  /** One line per reason, strongest first: the findings that decided and the rule of the policy they met. */
  readonly reasons: readonly string[];
  readonly score: { readonly total: number; readonly lines: readonly ScoreLine[] };
  readonly policy: { readonly id: string; readonly version: number };
}

function meets(finding: Finding, threshold: Threshold): boolean {
  return (
    severityRank(finding.severity) >= severityRank(threshold.severity) &&
    CONFIDENCES.indexOf(finding.confidence) >= CONFIDENCES.indexOf(threshold.confidence)
  );
}

const round = (value: number) => Math.round(value * 10) / 10;

/** The verdict of a release from its findings under a policy, with reasons and a score breakdown. */
export function decide(findings: readonly VetFinding[], policy: VetPolicy = DEFAULT_VET_POLICY): Verdict {
  const lines: ScoreLine[] = findings.map((finding) => ({
    ruleId: finding.ruleId,
    path: finding.path,
    severity: finding.severity,
    confidence: finding.confidence,
    origin: finding.origin,
    points: round(policy.severityPoints[finding.severity] * policy.confidenceFactor[finding.confidence]),
    ...(finding.origin === 'inherited' && !policy.countInherited
      ? { excluded: 'the trusted baseline had it too' }
      : {}),
  }));
  const counted = findings.filter((finding) => finding.origin !== 'inherited' || policy.countInherited);
  const total = round(lines.filter((line) => !line.excluded).reduce((sum, line) => sum + line.points, 0));
  const describe = (finding: Finding) =>
    `${finding.ruleId} (${finding.severity}/${finding.confidence}) at ${finding.path}`;
  const blocking = counted.filter((finding) => meets(finding, policy.block));
  const reviewing = counted.filter((finding) => meets(finding, policy.review) && !blocking.includes(finding));
  const reasons: string[] = [];
  for (const finding of blocking) {
    reasons.push(
      `block: ${describe(finding)} meets the block threshold ${policy.block.severity}/${policy.block.confidence}`,
    );
  }
  if (blocking.length === 0 && total >= policy.blockScore) {
    reasons.push(`block: score ${total} reaches ${policy.blockScore}`);
  }
  for (const finding of reviewing) {
    reasons.push(
      `review: ${describe(finding)} meets the review threshold ${policy.review.severity}/${policy.review.confidence}`,
    );
  }
  if (
    reviewing.length === 0 &&
    blocking.length === 0 &&
    total >= policy.reviewScore &&
    total < policy.blockScore
  ) {
    reasons.push(`review: score ${total} reaches ${policy.reviewScore}`);
  }
  const decision: Decision = reasons.some((reason) => reason.startsWith('block:'))
    ? 'block'
    : reasons.length > 0
      ? 'review'
      : 'pass';
  if (decision === 'pass') {
    reasons.push(
      counted.length === 0
        ? 'pass: no finding new in this release'
        : `pass: ${counted.length} finding(s) below the review threshold, score ${total} < ${policy.reviewScore}`,
    );
  }
  return { decision, reasons, score: { total, lines }, policy: { id: policy.id, version: policy.version } };
}

/** Merges a partial policy (from flags or a file) over the default. */
export function resolvePolicy(partial: Partial<VetPolicy> = {}): VetPolicy {
  return { ...DEFAULT_VET_POLICY, ...partial };
}
