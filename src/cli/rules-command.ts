import { writeFile } from 'node:fs/promises';
import { type Command, Option } from 'commander';
import {
  RULE_FAMILIES,
  type RuleDescription,
  type RuleFamily,
  ruleCatalogue,
} from '../report/rule-catalogue.js';
import { renderRuleDocs } from '../report/rule-docs.js';
import { printable } from '../report/text-format.js';

interface RulesFlags {
  json?: boolean;
  markdown?: boolean;
  family?: RuleFamily[];
  output?: string;
}

/** One line per rule: id, family, severity/confidence, title, in aligned columns. */
export function renderRulesText(rules: readonly RuleDescription[]): string {
  const rows = [
    ['id', 'family', 'severity/confidence', 'title'],
    ...rules.map((rule) => [
      rule.id,
      rule.family,
      `${rule.severity}/${rule.confidence}`,
      printable(rule.title),
    ]),
  ];
  const widths = [0, 1, 2].map((column) => Math.max(...rows.map((row) => row[column]!.length)));
  const lines = rows.map((row) => row.map((text, column) => text.padEnd(widths[column] ?? 0)).join('  '));
  return `${lines.map((line) => line.trimEnd()).join('\n')}\n${rules.length} rule(s)\n`;
}

export function registerRulesCommand(program: Command): void {
  program
    .command('rules')
    .description('list every rule (scan, diff, intel) with its id, severity, confidence and title')
    .addOption(new Option('--family <families...>', 'only these families').choices([...RULE_FAMILIES]))
    .option('--json', 'JSON: every field of each rule (rationale, remediation, references, taxonomy)')
    .option('--markdown', 'the rule documentation (docs/rules.md is this output)')
    .option('-o, --output <file>', 'write to a file instead of standard output')
    .action(async (flags: RulesFlags) => {
      const chosen = flags.family
        ? RULE_FAMILIES.filter((family) => flags.family!.includes(family))
        : RULE_FAMILIES;
      const rules = ruleCatalogue(chosen);
      const report = flags.json
        ? `${JSON.stringify({ rules }, null, 2)}\n`
        : flags.markdown
          ? renderRuleDocs(rules)
          : renderRulesText(rules);
      if (flags.output) await writeFile(flags.output, report);
      else process.stdout.write(report);
    });
}
