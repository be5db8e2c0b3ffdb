import { createHash } from 'node:crypto';
import type { FactKind } from '../core/facts.js';
import type { Evidence, Finding, RuleDef } from '../core/findings.js';
import type { NodePath } from '../core/node-path.js';
import type { ScanNode } from '../core/scan-result.js';

/** What a node-scope rule judges: one node with its facts. */
export interface NodeRuleInput {
  readonly node: ScanNode;
}

/** What a release-scope rule judges: the whole tree of one scan. */
export interface ReleaseRuleInput {
  readonly nodes: readonly ScanNode[];
}

export type NodeRule = RuleDef<NodeRuleInput> & {
  readonly scope: 'node';
  /**
   * The fact kinds this rule reads, when it can judge only a node that has one of them: a node with
   * none is not asked. Without it, every node is asked. Most of a scan's nodes hold none of the
   * facts most rules read, and asking each of them (a generator and its input per node and rule)
   * was most of the judging's time and allocations on node_modules.
   */
  readonly factKinds?: readonly FactKind[];
};
export type ReleaseRule = RuleDef<ReleaseRuleInput> & { readonly scope: 'release' };
export type ScanRule = NodeRule | ReleaseRule;

/**
 * A finding's fingerprint is stable across runs and machines: the rule, the node path and where
 * the primary evidence points. It ignores messages and times, so rewording a message does not
 * resurrect a suppressed finding.
 */
export function fingerprintOf(ruleId: string, path: NodePath, evidence: readonly Evidence[]): string {
  const anchors = evidence
    .filter((item) => item.role === 'primary')
    .map(
      (item) =>
        `${item.node}@${item.range?.offset ?? ''}+${item.range?.length ?? ''}:${item.line?.start ?? ''}`,
    )
    .join('|');
  return createHash('sha256').update(`${ruleId}\n${path}\n${anchors}`).digest('hex').slice(0, 32);
}

/** One finding: the rule's advisory fields plus this instance, with its stable fingerprint. */
export function toFinding<In>(
  rule: RuleDef<In>,
  instance: { path: NodePath; message: string; evidence: Evidence[] },
): Finding {
  return {
    ruleId: rule.id,
    ruleVersion: rule.version,
    identifies: rule.identifies,
    title: rule.title,
    severity: rule.severity,
    confidence: rule.confidence,
    path: instance.path,
    message: instance.message,
    evidence: instance.evidence,
    references: rule.references,
    fingerprint: fingerprintOf(rule.id, instance.path, instance.evidence),
  };
}

export interface RuleFailure {
  readonly ruleId: string;
  readonly path?: NodePath;
  readonly message: string;
}

/** For each fact kind, the positions of the nodes holding one, in order. */
function nodesByFactKind(nodes: readonly ScanNode[]): Map<FactKind, number[]> {
  const byKind = new Map<FactKind, number[]>();
  nodes.forEach((node, at) => {
    for (const fact of node.facts) {
      const list = byKind.get(fact.kind);
      if (list === undefined) byKind.set(fact.kind, [at]);
      else if (list[list.length - 1] !== at) list.push(at);
    }
  });
  return byKind;
}

/** The nodes holding a fact of any of `kinds`, in tree order. */
function nodesWithAny(
  nodes: readonly ScanNode[],
  byKind: ReadonlyMap<FactKind, readonly number[]>,
  kinds: readonly FactKind[],
): ScanNode[] {
  const positions =
    kinds.length === 1
      ? (byKind.get(kinds[0]!) ?? [])
      : [...new Set(kinds.flatMap((kind) => byKind.get(kind) ?? []))].sort((a, b) => a - b);
  return positions.map((at) => nodes[at]!);
}

/**
 * Evaluates node- and release-scope rules over a scanned tree. A rule that throws is recorded as
 * a failure (reported as a coverage gap by the caller) and the other rules still run.
 */
export function evaluateRules(
  rules: readonly ScanRule[],
  nodes: readonly ScanNode[],
): { findings: Finding[]; failures: RuleFailure[] } {
  const findings: Finding[] = [];
  const failures: RuleFailure[] = [];
  const byKind = nodesByFactKind(nodes);
  for (const rule of rules) {
    if (rule.scope === 'node') {
      const asked = rule.factKinds === undefined ? nodes : nodesWithAny(nodes, byKind, rule.factKinds);
      for (const node of asked) {
        try {
          for (const instance of rule.evaluate({ node })) findings.push(toFinding(rule, instance));
        } catch (error) {
          failures.push({ ruleId: rule.id, path: node.path, message: (error as Error).message });
        }
      }
    } else {
      try {
        for (const instance of rule.evaluate({ nodes })) findings.push(toFinding(rule, instance));
      } catch (error) {
        failures.push({ ruleId: rule.id, message: (error as Error).message });
      }
    }
  }
  return { findings, failures };
}
