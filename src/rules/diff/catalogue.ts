import { NPM_DIFF_RULES } from './npm-rules.js';
import { PE_DIFF_RULES } from './pe-rules.js';
import type { DiffRule } from './types.js';

/** Every diff-scope rule `vet` evaluates, in the order findings are reported. */
export function diffRules(): DiffRule[] {
  return [...PE_DIFF_RULES, ...NPM_DIFF_RULES];
}
