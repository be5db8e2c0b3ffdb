/**
 * The scan HTML report: the same page as vet's without a verdict: what was scanned, the
 * findings (filterable by severity, evidence first), the artifact tree, and what could not be
 * looked at.
 */
import type { ScanNode, ScanResult } from '../../core/scan-result.js';
import { SEVERITIES } from '../../core/severity.js';
import { formatBytes } from '../text-format.js';
import { escapeHtml, token } from './escape.js';
import { findingsSection } from './findings.js';
import { gapsSection } from './gaps.js';
import { renderPage } from './page.js';
import { renderTree, type TreeEntry } from './tree.js';

/** Past this many nodes the tree shows the first ones and says how many it left out. */
const TREE_LIMIT = 5000;

function banner(result: ScanResult): string {
  const worst = [...SEVERITIES]
    .reverse()
    .find((severity) => result.findings.some((f) => f.severity === severity));
  const counts = [...SEVERITIES]
    .reverse()
    .map(
      (severity) =>
        [severity, result.findings.filter((finding) => finding.severity === severity).length] as const,
    )
    .filter(([, count]) => count > 0)
    .map(([severity, count]) => `${count} ${severity}`)
    .join(', ');
  const { stats } = result;
  return (
    `<header class="verdict verdict-scan" id="verdict" data-worst="${token(worst ?? 'none')}">` +
    `<h1><span class="decision">SCAN</span><span class="subjects">${escapeHtml(result.subjects.map((s) => s.name).join(', '))}</span></h1>` +
    `<div class="score">${escapeHtml(stats.nodes)} nodes, ${escapeHtml(stats.files)} files, ${escapeHtml(formatBytes(stats.bytes))} read; ` +
    `${escapeHtml(result.findings.length)} finding(s)${counts ? ` (${escapeHtml(counts)})` : ''}; ${escapeHtml(result.gaps.length)} coverage gap(s)</div></header>`
  );
}

function nodeDetail(node: ScanNode, findingCount: number): string {
  const parts = [escapeHtml(node.type), escapeHtml(formatBytes(node.size))];
  if (node.digests) parts.push(`sha256 ${escapeHtml(node.digests.sha256.slice(0, 12))}…`);
  if (node.flags.length > 0) parts.push(escapeHtml(node.flags.join(', ')));
  const findings = findingCount > 0 ? ` <strong>${findingCount} finding(s)</strong>` : '';
  return ` <span class="muted mono">${parts.join(' · ')}</span>${findings}`;
}

function treeSection(result: ScanResult): string {
  const perNode = new Map<string, number>();
  for (const finding of result.findings) perNode.set(finding.path, (perNode.get(finding.path) ?? 0) + 1);
  const entries: TreeEntry[] = result.nodes
    .slice(0, TREE_LIMIT)
    .map((node) => ({ path: node.path, detail: nodeDetail(node, perNode.get(node.path) ?? 0) }));
  const more =
    result.nodes.length > TREE_LIMIT
      ? `<p class="muted">${result.nodes.length - TREE_LIMIT} more nodes are in the JSON report.</p>`
      : '';
  return `<section id="tree"><h2>Artifact tree (${result.nodes.length} nodes)</h2>${renderTree(entries, 3)}${more}</section>`;
}

export function renderScanHtml(result: ScanResult): string {
  const title = `${result.subjects.map((subject) => subject.name).join(', ')} — countersign scan`;
  const body = [
    banner(result),
    findingsSection(result.findings),
    treeSection(result),
    gapsSection(result.gaps),
  ].join('\n');
  return renderPage(title, body);
}
