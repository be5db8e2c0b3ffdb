import type { JsCapability, JsCapabilityFact } from '../../analyzers/js/facts.js';
import { factsOfKind } from '../../core/facts.js';
import type { Evidence } from '../../core/findings.js';
import type { ScanNode } from '../../core/scan-result.js';

/** The most evidence items one finding carries; the message still counts them all. */
export const MAX_EVIDENCE = 100;

export function capabilityFacts(node: ScanNode): readonly JsCapabilityFact[] {
  return factsOfKind(node.facts, 'js.capability');
}

export function having(
  facts: readonly JsCapabilityFact[],
  capabilities: ReadonlySet<JsCapability>,
): JsCapabilityFact[] {
  return facts.filter((fact) => capabilities.has(fact.capability));
}

export function toEvidence(
  node: ScanNode,
  fact: JsCapabilityFact,
  role: Evidence['role'] = 'primary',
): Evidence {
  return {
    role,
    node: node.path,
    line: { start: fact.line },
    column: fact.column,
    snippet: fact.detail === undefined ? fact.snippet : `${fact.snippet}  [${fact.detail}]`,
  };
}

export function evidenceOf(
  node: ScanNode,
  facts: readonly JsCapabilityFact[],
  role: Evidence['role'] = 'primary',
): Evidence[] {
  return facts.slice(0, MAX_EVIDENCE).map((fact) => toEvidence(node, fact, role));
}

/** `3 × child_process.exec, 1 × fetch`: what the facts are, counted, for a message. */
export function summarise(facts: readonly JsCapabilityFact[], limit = 4): string {
  const counts = new Map<string, number>();
  for (const fact of facts) {
    const key = (fact.detail ?? fact.capability).replace(/: .*$/, '');
    counts.set(key, (counts.get(key) ?? 0) + 1);
  }
  const parts = [...counts].sort((a, b) => b[1] - a[1]).map(([key, count]) => `${count} × ${key}`);
  return parts.length > limit ? `${parts.slice(0, limit).join(', ')}, …` : parts.join(', ');
}

export function lineList(facts: readonly JsCapabilityFact[], limit = 6): string {
  const lines = [...new Set(facts.map((fact) => fact.line))].sort((a, b) => a - b);
  return lines.length > limit ? `${lines.slice(0, limit).join(', ')}, …` : lines.join(', ');
}

/** Facts grouped by the function scope they were found in. */
export function byScope(facts: readonly JsCapabilityFact[]): Map<number, JsCapabilityFact[]> {
  const scopes = new Map<number, JsCapabilityFact[]>();
  for (const fact of facts) {
    const list = scopes.get(fact.scope);
    if (list) list.push(fact);
    else scopes.set(fact.scope, [fact]);
  }
  return scopes;
}
