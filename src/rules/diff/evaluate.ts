import type { Finding } from '../../core/findings.js';
import type { TreeDiff } from '../../diff/tree-diff.js';
import { fingerprintOf, type RuleFailure } from '../evaluate.js';
import type { DiffRule } from './types.js';

/**
 * Evaluates diff-scope rules over two aligned releases. A rule that throws is recorded as a
 * failure (the caller reports it as a coverage gap) and the others still run.
 */
export function evaluateDiffRules(
  rules: readonly DiffRule[],
  diff: TreeDiff,
): { findings: Finding[]; failures: RuleFailure[] } {
  const findings: Finding[] = [];
  const failures: RuleFailure[] = [];
  for (const rule of rules) {
    try {
      for (const hit of rule.evaluate({ diff })) {
        findings.push({
          ruleId: rule.id,
          ruleVersion: rule.version,
          identifies: rule.identifies,
          title: rule.title,
          severity: rule.severity,
          confidence: rule.confidence,
          path: hit.path,
          message: hit.message,
          evidence: hit.evidence,
          references: rule.references,
          fingerprint: fingerprintOf(rule.id, hit.path, hit.evidence),
        });
      }
    } catch (error) {
      failures.push({ ruleId: rule.id, message: (error as Error).message });
    }
  }
  return { findings, failures };
}
