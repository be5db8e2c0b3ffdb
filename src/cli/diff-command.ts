import type { Command } from 'commander';
import { renderDiffText } from '../report/vet-diff-text.js';
import { EXIT } from './exit-codes.js';
import { renderVetReport, vetFormatOption } from './report-choice.js';
import { emit, parseFailOn, runVet, setExitCode, type VetFlags, withCacheOptions } from './vet-command.js';

export function registerDiffCommand(program: Command): void {
  const command = program
    .command('diff')
    .description('show what changed between two releases: nodes, facts and diff findings')
    .argument('<old>', 'the earlier release (file or folder)')
    .argument('<new>', 'the later release (file or folder)')
    .option(
      '--fail-on <decision>',
      `exit ${EXIT.findings} when the verdict is at least review|block`,
      parseFailOn,
    )
    .option('--json', 'JSON report (same shape as vet --json)')
    .addOption(vetFormatOption())
    .option('-o, --output <file>', 'write the report to a file instead of standard output')
    .option('-q, --quiet', 'no progress bar')
    .option('--no-fuzzy', 'do not pair renamed files by TLSH similarity')
    .option(
      '--intel-dir <dir>',
      'intel folder to match against (default: $COUNTERSIGN_HOME/intel or ~/.countersign/intel)',
    )
    .option('--no-intel', 'do not match the imported intel (IOCs, OSV, YARA)')
    .option('--strict', `exit ${EXIT.incomplete} when any part of either release could not be looked at`);
  withCacheOptions(command).action(async (old: string, now: string, flags: VetFlags) => {
    const result = await runVet([now], [old], flags);
    const format = flags.json ? 'json' : (flags.format ?? 'text');
    await emit(
      renderVetReport(result, format, () => renderDiffText(result)),
      flags.output,
    );
    setExitCode(result, flags);
  });
}
