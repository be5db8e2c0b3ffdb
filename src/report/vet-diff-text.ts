/**
 * The `diff` text report: one line per node that is not unchanged (M modified, A added,
 * D removed, V moved, R renamed), with the facts that appeared, went or changed, then the diff
 * findings. Evidence-first like the vet report, terser.
 */
import type { FactChange, NodePair, PairStatus } from '../diff/tree-diff.js';
import type { VetResult } from '../pipeline/vet.js';
import { printable } from './text-format.js';

const MARK: Record<PairStatus, string> = {
  unchanged: '=',
  modified: 'M',
  added: 'A',
  removed: 'D',
  moved: 'V',
  renamed: 'R',
};
const SIGN = { added: '+', removed: '-', changed: '~' } as const;

/** `+pe.capability network, ~npm.manifest`: each changed fact by kind and identity, capped at 12. */
function factSummary(changes: readonly FactChange[]): string {
  const parts = changes.map(
    (change) => `${SIGN[change.change]}${change.kind}${change.key ? ` ${change.key}` : ''}`,
  );
  return parts.length > 12
    ? `${parts.slice(0, 12).join(', ')}, … ${parts.length - 12} more`
    : parts.join(', ');
}

function pairLine(pair: NodePair): string {
  const path =
    pair.status === 'moved' || pair.status === 'renamed'
      ? `${printable(pair.baseline!.path)} -> ${printable(pair.candidate!.path)}${pair.distance !== undefined ? ` (TLSH ${pair.distance})` : ''}`
      : printable((pair.candidate ?? pair.baseline)!.path);
  // Added and removed nodes list all their facts: only the kinds, to keep the line short.
  const facts =
    pair.status === 'added' || pair.status === 'removed'
      ? [...new Set(pair.facts.map((change) => change.kind))].join(', ')
      : factSummary(pair.facts);
  return `${MARK[pair.status]} ${path}${facts ? `\n    ${facts}` : ''}`;
}

export function renderDiffText(result: VetResult): string {
  const lines = result.diff.pairs.filter((pair) => pair.status !== 'unchanged').map(pairLine);
  const diffFindings = result.findings.filter((finding) => finding.origin === 'diff');
  if (diffFindings.length > 0) {
    lines.push('', 'Findings:');
    for (const finding of diffFindings) {
      lines.push(
        `  ${finding.severity}/${finding.confidence}  ${finding.ruleId}  ${printable(finding.path)}`,
      );
      lines.push(`    ${printable(finding.message)}`);
    }
  }
  const counts = result.diff.counts;
  lines.push(
    '',
    `${counts.modified} modified, ${counts.added} added, ${counts.removed} removed, ${counts.moved} moved, ${counts.renamed} renamed, ${counts.unchanged} unchanged`,
  );
  return `${lines.join('\n')}\n`;
}
