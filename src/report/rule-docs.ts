/**
 * `docs/rules.md`, generated from the rule catalogue so that the documentation cannot drift from
 * the rules that run (a test fails when the committed file is stale).
 */
import { FAMILY_SUMMARY, RULE_FAMILIES, type RuleDescription } from './rule-catalogue.js';

export const RULE_DOCS_PATH = 'docs/rules.md';
export const RULE_DOCS_COMMAND = 'npx tsx src/cli/main.ts rules --markdown -o docs/rules.md';

/** A table cell: one line, pipes escaped. */
function cell(text: string): string {
  return text.replace(/\s*\n\s*/g, ' ').replace(/\|/g, '\\|');
}

/** GitHub's heading anchor of a rule id: `pe.capability.added` -> `pecapabilityadded`. */
function anchorOf(id: string): string {
  return id.toLowerCase().replace(/[^a-z0-9 _-]/g, '');
}

function ruleSection(rule: RuleDescription): string[] {
  return [
    `### ${rule.id}`,
    '',
    `**${rule.title}**`,
    '',
    `| severity | confidence | identifies | scope | version |`,
    `| --- | --- | --- | --- | --- |`,
    `| ${rule.severity} | ${rule.confidence} | \`${rule.identifies}\` | ${rule.scope} | ${rule.version} |`,
    '',
    rule.rationale,
    ...(rule.remediation ? ['', `**Remediation.** ${rule.remediation}`] : []),
    ...(rule.references.length > 0
      ? ['', 'References:', '', ...rule.references.map((reference) => `- <${reference}>`)]
      : []),
    '',
  ];
}

export function renderRuleDocs(rules: readonly RuleDescription[]): string {
  const lines: string[] = [
    '# Rules',
    '',
    `<!-- Generated from the rule catalogue by \`${RULE_DOCS_COMMAND}\`; do not edit by hand. -->`,
    '',
    `Countersign has ${rules.length} rules. \`countersign rules\` lists them (\`--json\`, ` +
      '`--family scan|diff|intel`). Each rule is data: an id, a severity (how bad it is if true), a ' +
      'confidence (how often it is true when it fires), the taxonomy entry it identifies ' +
      '(`capability.*` or `threat.*`), a rationale and references. A vet verdict is computed from ' +
      "findings' severity and confidence under a policy (see the README).",
    '',
  ];
  for (const family of RULE_FAMILIES) {
    const members = rules.filter((rule) => rule.family === family);
    if (members.length === 0) continue;
    lines.push(`## ${family} rules (${members.length})`, '', `These ${FAMILY_SUMMARY[family]}.`, '');
    lines.push('| id | severity | confidence | title |', '| --- | --- | --- | --- |');
    for (const rule of members) {
      lines.push(
        `| [\`${rule.id}\`](#${anchorOf(rule.id)}) | ${rule.severity} | ${rule.confidence} | ${cell(rule.title)} |`,
      );
    }
    lines.push('');
    for (const rule of members) lines.push(...ruleSection(rule));
  }
  return `${lines.join('\n').trimEnd()}\n`;
}
