import type { Evidence, Finding } from '../../core/findings.js';
import type { NodePath } from '../../core/node-path.js';
import type { TreeDiff } from '../../diff/tree-diff.js';
import { fingerprintOf, type RuleFailure } from '../evaluate.js';
import type { DiffRule } from './types.js';

/**
 * Diff findings are fingerprinted over alignment keys instead of node paths: the same tampering
 * seen in 1.0.2 and again in 1.0.3 (whose root names differ) keeps its fingerprint, so a
 * suppression or a SARIF baseline carries over from one release to the next.
 */
function releaseIndependentFingerprint(
  ruleId: string,
  path: NodePath,
  evidence: readonly Evidence[],
  keys: Map<string, string>,
) {
  const keyOf = (node: NodePath) => (keys.get(node) ?? node) as NodePath;
  return fingerprintOf(
    ruleId,
    keyOf(path),
    evidence.map((item) => ({ ...item, node: keyOf(item.node) })),
  );
}

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
  const keys = new Map<string, string>();
  for (const pair of diff.pairs) {
    if (pair.baseline) keys.set(pair.baseline.path, `baseline:${pair.key}`);
    if (pair.candidate) keys.set(pair.candidate.path, pair.key);
  }
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
          fingerprint: releaseIndependentFingerprint(rule.id, hit.path, hit.evidence, keys),
        });
      }
    } catch (error) {
      failures.push({ ruleId: rule.id, message: (error as Error).message });
    }
  }
  return { findings, failures };
}
