import type { NodePath } from './node-path.js';
import type { Confidence, Severity } from './severity.js';

export type RuleId = string;

/** GuardDog-style taxonomy: what a rule identifies. */
export type Identifies = `capability.${string}` | `threat.${string}`;

/** The bytes or lines that a finding points at, so a person can check it. */
export interface Evidence {
  readonly role: 'primary' | 'supporting' | 'baseline';
  readonly node: NodePath;
  readonly range?: { readonly offset: number; readonly length: number };
  readonly line?: { readonly start: number; readonly end?: number };
  readonly column?: number;
  /** Short, escaped, secrets redacted. */
  readonly snippet?: string;
}

/** A rule's judgement: the advisory part (rule) plus this instance (node, message, evidence). */
export interface Finding {
  readonly ruleId: RuleId;
  readonly ruleVersion: number;
  readonly identifies: Identifies;
  readonly title: string;
  readonly severity: Severity;
  readonly confidence: Confidence;
  /** The node the finding is about (nested node path). */
  readonly path: NodePath;
  /** Concrete, with numbers: what was seen here. */
  readonly message: string;
  readonly evidence: readonly Evidence[];
  readonly references: readonly string[];
  /** Stable across runs for the same rule, node and evidence (used for SARIF and suppressions). */
  readonly fingerprint: string;
}

/** A rule is data plus a pure predicate. Scope decides what it is evaluated over. */
export interface RuleDef<In> {
  readonly id: RuleId;
  readonly version: number;
  readonly title: string;
  readonly identifies: Identifies;
  readonly severity: Severity;
  readonly confidence: Confidence;
  readonly scope: 'node' | 'release' | 'diff';
  readonly rationale: string;
  readonly remediation?: string;
  readonly references: readonly string[];
  evaluate(input: In): Iterable<{ path: NodePath; message: string; evidence: Evidence[] }>;
}
