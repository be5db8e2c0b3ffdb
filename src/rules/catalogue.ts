import { archiveRules } from './archive.js';
import { AUTHENTICODE_RULES, type AuthenticodeRule, MSI_AUTHENTICODE_RULES } from './authenticode.js';
import type { NodeRule, ScanRule } from './evaluate.js';
import { fileTypeRules } from './file-type.js';
import { jsRules } from './js/index.js';
import { npmRules } from './npm/index.js';

/** Rules written over `{ path, facts }` judge a scanned node the same way. */
function overNodeFacts(rule: AuthenticodeRule): NodeRule {
  return {
    ...rule,
    scope: 'node',
    evaluate: ({ node }) => rule.evaluate({ path: node.path, facts: node.facts }),
  };
}

/** Every rule a scan evaluates, in the order findings are reported. */
export function scanRules(): ScanRule[] {
  return [
    ...archiveRules,
    ...fileTypeRules,
    ...AUTHENTICODE_RULES.map(overNodeFacts),
    ...MSI_AUTHENTICODE_RULES.map(overNodeFacts),
    ...jsRules(),
    ...npmRules(),
  ];
}
