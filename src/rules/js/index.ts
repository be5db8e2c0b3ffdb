import type { NodeRule } from '../evaluate.js';
import { jsCapabilityRules } from './capability-rules.js';
import { jsThreatRules } from './threat-rules.js';

/** Every rule over `js.capability` facts: capabilities first, then threats (for the catalogue). */
export function jsRules(): NodeRule[] {
  return [...jsCapabilityRules, ...jsThreatRules];
}

export { jsCapabilityRules } from './capability-rules.js';
export { jsThreatRules } from './threat-rules.js';
