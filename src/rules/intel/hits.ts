import type { Evidence, Finding, RuleDef } from '../../core/findings.js';
import type { ScanNode } from '../../core/scan-result.js';
import type { IocMatch } from '../../intel/ioc/match.js';
import type { OsvMatch } from '../../intel/osv/match.js';
import { toFinding } from '../evaluate.js';

/** An npm (or other) package of the node that an OSV record names, and why it matched. */
export interface OsvHit {
  readonly source: 'osv';
  readonly match: OsvMatch;
  readonly package: { readonly ecosystem: string; readonly name: string; readonly version: string };
  readonly evidence: readonly Evidence[];
}

/** An observable of the node (a digest, a path, a URL or domain from its code) an indicator names. */
export interface IocHit {
  readonly source: 'ioc';
  readonly match: IocMatch;
  readonly evidence: readonly Evidence[];
}

export type IntelHit = OsvHit | IocHit;

/** What an intel rule judges: one node with its facts, and what the loaded intel said about it. */
export interface IntelRuleInput {
  readonly node: ScanNode;
  readonly hits: readonly IntelHit[];
}

export type IntelRule = RuleDef<IntelRuleInput> & { readonly scope: 'node' };

/** Runs the intel rules over nodes with their hits; findings in rule order, then node order. */
export function evaluateIntelRules(
  rules: readonly IntelRule[],
  inputs: readonly IntelRuleInput[],
): Finding[] {
  const findings: Finding[] = [];
  for (const rule of rules) {
    for (const input of inputs) {
      for (const instance of rule.evaluate(input)) {
        findings.push(toFinding(rule, instance));
      }
    }
  }
  return findings;
}
