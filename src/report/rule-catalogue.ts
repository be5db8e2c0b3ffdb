/**
 * Every rule Countersign can report, as plain data: what `countersign rules` lists, what
 * `docs/rules.md` is generated from, and what SARIF's `tool.driver.rules` describes. The rules
 * themselves stay where they are evaluated; this module only reads their advisory fields.
 */
import type { Identifies, RuleDef } from '../core/findings.js';
import type { Confidence, Severity } from '../core/severity.js';
import { scanRules } from '../rules/catalogue.js';
import { diffRules } from '../rules/diff/catalogue.js';
import { INTEL_RULES } from '../rules/intel/rules.js';

/** Where a rule is evaluated: over one scanned release, over two aligned releases, or over intel hits. */
export const RULE_FAMILIES = ['scan', 'diff', 'intel'] as const;
export type RuleFamily = (typeof RULE_FAMILIES)[number];

export interface RuleDescription {
  readonly family: RuleFamily;
  readonly id: string;
  readonly version: number;
  readonly title: string;
  readonly identifies: Identifies;
  readonly severity: Severity;
  readonly confidence: Confidence;
  readonly scope: 'node' | 'release' | 'diff';
  readonly rationale: string;
  readonly remediation?: string;
  readonly references: readonly string[];
}

export const FAMILY_SUMMARY: Readonly<Record<RuleFamily, string>> = {
  scan: 'judge the nodes of one release (scan, and the candidate of vet)',
  diff: 'judge what changed between a trusted baseline and a candidate release (vet, diff)',
  intel: 'report matches of imported threat intel: OSV records, IOC sets, YARA (scan, vet)',
};

function describe(family: RuleFamily, rule: RuleDef<never>): RuleDescription {
  return {
    family,
    id: rule.id,
    version: rule.version,
    title: rule.title,
    identifies: rule.identifies,
    severity: rule.severity,
    confidence: rule.confidence,
    scope: rule.scope,
    rationale: rule.rationale,
    ...(rule.remediation ? { remediation: rule.remediation } : {}),
    references: [...rule.references],
  };
}

/** Every rule, family by family, each family in its evaluation order. */
export function ruleCatalogue(families: readonly RuleFamily[] = RULE_FAMILIES): RuleDescription[] {
  const byFamily: Record<RuleFamily, () => readonly RuleDef<never>[]> = {
    scan: scanRules,
    diff: diffRules,
    intel: () => INTEL_RULES,
  };
  return families.flatMap((family) => byFamily[family]().map((rule) => describe(family, rule)));
}

export function isRuleFamily(value: string): value is RuleFamily {
  return (RULE_FAMILIES as readonly string[]).includes(value);
}
