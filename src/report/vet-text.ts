/**
 * The vet text report: the verdict line, then each counted finding with its evidence first (where
 * to look), then the message; then the reasons and the score breakdown; inherited findings last.
 */
import type { Evidence } from '../core/findings.js';
import { severityRank } from '../core/severity.js';
import type { VetResult } from '../pipeline/vet.js';
import type { VetFinding } from '../pipeline/vet-verdict.js';
import { painter, plural, printable } from './text-format.js';

export interface VetTextOptions {
  readonly color?: boolean;
}

function evidenceLine(evidence: Evidence): string {
  const where = [
    evidence.range ? `@${evidence.range.offset}+${evidence.range.length}` : '',
    evidence.line ? `:${evidence.line.start}` : '',
  ].join('');
  const snippet = evidence.snippet ? `  ${printable(evidence.snippet).slice(0, 160)}` : '';
  return `${evidence.role.padEnd(8)} ${printable(evidence.node)}${where}${snippet}`;
}

function bySeverity(a: VetFinding, b: VetFinding): number {
  return severityRank(b.severity) - severityRank(a.severity);
}

export function renderVetText(result: VetResult, options: VetTextOptions = {}): string {
  const paint = painter(options.color ?? false);
  const { verdict } = result;
  const style = verdict.decision === 'block' ? 'red' : verdict.decision === 'review' ? 'yellow' : 'green';
  const subject = (names: readonly { name: string }[]) =>
    names.map((item) => printable(item.name)).join(', ');
  const lines: string[] = [
    `${paint(verdict.decision.toUpperCase(), 'bold', style)}  ${subject(result.candidate.subjects)}  vs baseline ${subject(result.baseline.subjects)}  (score ${verdict.score.total})`,
  ];
  const counted = result.findings.filter((finding) => finding.origin !== 'inherited').sort(bySeverity);
  const inherited = result.findings.filter((finding) => finding.origin === 'inherited');
  for (const finding of counted) {
    lines.push('');
    lines.push(
      `${paint(`${finding.severity}/${finding.confidence}`, 'bold')}  ${finding.ruleId}  ${paint(`[${finding.origin}]`, 'dim')}`,
    );
    for (const evidence of finding.evidence) lines.push(`  ${evidenceLine(evidence)}`);
    lines.push(`  ${printable(finding.message)}`);
  }
  lines.push('', paint('Why', 'bold'));
  for (const reason of verdict.reasons) lines.push(`  ${printable(reason)}`);
  const scored = verdict.score.lines.filter((line) => !line.excluded && line.points > 0);
  if (scored.length > 0) {
    lines.push(
      `  score ${verdict.score.total} = ${scored.map((line) => `${line.points} ${line.ruleId}`).join(' + ')} (policy ${verdict.policy.id} v${verdict.policy.version})`,
    );
  }
  if (inherited.length > 0) {
    lines.push(
      '',
      paint(`Also in the trusted baseline (${plural(inherited.length, 'finding')}, not counted)`, 'dim'),
    );
    for (const finding of inherited)
      lines.push(`  ${finding.severity}  ${finding.ruleId}  ${printable(finding.path)}`);
  }
  const counts = result.diff.counts;
  lines.push(
    '',
    `Diff: ${counts.modified} modified, ${counts.added} added, ${counts.removed} removed, ${counts.moved} moved, ${counts.renamed} renamed, ${counts.unchanged} unchanged`,
  );
  if (result.gaps.length > 0) {
    lines.push(
      paint(
        `Incomplete: ${plural(result.gaps.length, 'part')} of the candidate could not be looked at`,
        'yellow',
      ),
    );
  }
  return `${lines.join('\n')}\n`;
}
