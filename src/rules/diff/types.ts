import type { Fact, FactKind, FactOf } from '../../core/facts.js';
import type { Evidence, RuleDef } from '../../core/findings.js';
import type { NodePath } from '../../core/node-path.js';
import type { ScanNode } from '../../core/scan-result.js';
import type { FactChange, NodePair, TreeDiff } from '../../diff/tree-diff.js';

/** What a diff-scope rule judges: the aligned trees of the baseline and the candidate release. */
export interface DiffRuleInput {
  readonly diff: TreeDiff;
}

export type DiffRule = RuleDef<DiffRuleInput> & { readonly scope: 'diff' };
export type DiffHit = { path: NodePath; message: string; evidence: Evidence[] };

/** Pairs whose candidate is an existing file with new bytes: the ones a rebuild shows up in. */
export function changedPairs(diff: TreeDiff): Array<NodePair & { baseline: ScanNode; candidate: ScanNode }> {
  return diff.pairs.filter(
    (pair): pair is NodePair & { baseline: ScanNode; candidate: ScanNode } =>
      (pair.status === 'modified' || pair.status === 'renamed') &&
      pair.baseline !== undefined &&
      pair.candidate !== undefined,
  );
}

export function addedPairs(diff: TreeDiff): Array<NodePair & { candidate: ScanNode }> {
  return diff.pairs.filter(
    (pair): pair is NodePair & { candidate: ScanNode } =>
      pair.status === 'added' && pair.candidate !== undefined,
  );
}

export function factOf<K extends FactKind>(node: ScanNode | undefined, kind: K): FactOf<K> | undefined {
  return node?.facts.find((fact): fact is FactOf<K> => fact.kind === kind);
}

export function factsOf<K extends FactKind>(node: ScanNode | undefined, kind: K): FactOf<K>[] {
  return (node?.facts ?? []).filter((fact): fact is FactOf<K> => fact.kind === kind);
}

export function addedFacts<K extends FactKind>(pair: NodePair, kind: K): FactOf<K>[] {
  return pair.facts
    .filter(
      (change): change is Extract<FactChange, { change: 'added' }> =>
        change.change === 'added' && change.kind === kind,
    )
    .map((change) => change.after as FactOf<K>);
}

/** Primary evidence on the candidate node, and where the same file was in the baseline. */
export function pairEvidence(pair: NodePair, snippet?: string, baselineSnippet?: string): Evidence[] {
  const evidence: Evidence[] = [];
  if (pair.candidate)
    evidence.push({ role: 'primary', node: pair.candidate.path, ...(snippet ? { snippet } : {}) });
  if (pair.baseline) {
    evidence.push({
      role: 'baseline',
      node: pair.baseline.path,
      ...(baselineSnippet ? { snippet: baselineSnippet } : {}),
    });
  }
  return evidence;
}

export function isFact(value: Fact | undefined): value is Fact {
  return value !== undefined;
}

export const THREE_CX = 'https://www.mandiant.com/resources/blog/3cx-software-supply-chain-compromise';
export const RL_3CX = 'https://www.reversinglabs.com/blog/red-flags-fly-from-supply-chain-attack-on-3cx';
