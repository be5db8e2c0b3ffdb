import type { FactKind } from '../core/facts.js';
import { archiveRules } from './archive.js';
import { AUTHENTICODE_RULES, type AuthenticodeRule, MSI_AUTHENTICODE_RULES } from './authenticode.js';
import type { NodeRule, ScanRule } from './evaluate.js';
import { fileTypeRules } from './file-type.js';
import { jsRules } from './js/index.js';
import { npmRules } from './npm/index.js';

/** What the Authenticode rules read: each judges signatures, tables or streams that are there. */
const PE_SIGNATURE_FACTS: readonly FactKind[] = [
  'pe.authenticode.table',
  'pe.authenticode.signature',
  'pe.authenticode.malformed',
];
const MSI_SIGNATURE_FACTS: readonly FactKind[] = [
  'msi.authenticode.stream',
  'msi.authenticode.signature',
  'msi.authenticode.malformed',
];

/** Rules written over `{ path, facts }` judge a scanned node the same way. */
function overNodeFacts(factKinds: readonly FactKind[]): (rule: AuthenticodeRule) => NodeRule {
  return (rule) => ({
    ...rule,
    scope: 'node',
    factKinds,
    evaluate: ({ node }) => rule.evaluate({ path: node.path, facts: node.facts }),
  });
}

/** Every rule a scan evaluates, in the order findings are reported. */
export function scanRules(): ScanRule[] {
  return [
    ...archiveRules,
    ...fileTypeRules,
    ...AUTHENTICODE_RULES.map(overNodeFacts(PE_SIGNATURE_FACTS)),
    ...MSI_AUTHENTICODE_RULES.map(overNodeFacts(MSI_SIGNATURE_FACTS)),
    ...jsRules(),
    ...npmRules(),
  ];
}
