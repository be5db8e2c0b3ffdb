/**
 * The vet (and diff) HTML report: one self-contained file a person would rather look at than
 * read. The verdict comes first with its reasons and score breakdown, then the findings
 * (filterable by severity, evidence first), then the diff tree of what was added, removed or
 * changed, then what could not be looked at.
 */
import type { FactChange, NodePair, PairStatus } from '../../diff/tree-diff.js';
import type { VetResult } from '../../pipeline/vet.js';
import { escapeHtml, token } from './escape.js';
import { findingsSection, type ReportedFinding } from './findings.js';
import { gapsSection } from './gaps.js';
import { renderPage } from './page.js';
import { renderTree, type TreeEntry } from './tree.js';

const MARK: Readonly<Record<PairStatus, string>> = {
  unchanged: '=',
  modified: 'M',
  added: 'A',
  removed: 'D',
  moved: 'V',
  renamed: 'R',
};
const SIGN = { added: '+', removed: '−', changed: '~' } as const;

/** The most diff trees need; past this the tree says how many it left out. */
const TREE_LIMIT = 5000;

function names(subjects: readonly { name: string }[]): string {
  return subjects.map((subject) => subject.name).join(', ');
}

function banner(result: VetResult): string {
  const { verdict } = result;
  const reasons = verdict.reasons.map((reason) => `<li>${escapeHtml(reason)}</li>`).join('');
  return (
    `<header class="verdict verdict-${token(verdict.decision)}" id="verdict" data-decision="${token(verdict.decision)}">` +
    `<h1><span class="decision">${escapeHtml(verdict.decision.toUpperCase())}</span>` +
    `<span class="subjects">${escapeHtml(names(result.candidate.subjects))} ` +
    `<span>vs baseline</span> ${escapeHtml(names(result.baseline.subjects))}</span></h1>` +
    `<div class="score">score <strong>${escapeHtml(verdict.score.total)}</strong> under policy ` +
    `${escapeHtml(verdict.policy.id)} v${escapeHtml(verdict.policy.version)}</div>` +
    `<ul class="reasons">${reasons}</ul></header>`
  );
}

function scoreTable(result: VetResult): string {
  const { lines, total } = result.verdict.score;
  if (lines.length === 0) return '';
  const rows = lines
    .map((line, index) => {
      const finding = result.findings[index];
      const rule = finding
        ? `<a href="#finding-${token(finding.fingerprint)}"><code>${escapeHtml(line.ruleId)}</code></a>`
        : `<code>${escapeHtml(line.ruleId)}</code>`;
      return (
        `<tr class="${line.excluded ? 'excluded' : 'counted'}"><td>${rule}</td><td><code>${escapeHtml(line.path)}</code></td>` +
        `<td><span class="badge sev-${token(line.severity)}">${escapeHtml(line.severity)}</span>/${escapeHtml(line.confidence)}</td>` +
        `<td>${escapeHtml(line.origin)}</td><td class="num">${escapeHtml(line.points)}</td>` +
        `<td>${line.excluded ? `not counted: ${escapeHtml(line.excluded)}` : 'counted'}</td></tr>`
      );
    })
    .join('');
  return (
    '<section id="score"><h2>Score breakdown</h2><table><thead><tr><th>rule</th><th>node</th>' +
    '<th>severity/confidence</th><th>origin</th><th class="num">points</th><th></th></tr></thead>' +
    `<tbody>${rows}</tbody><tfoot><tr><th colspan="4">total</th><th class="num">${escapeHtml(total)}</th><th></th></tr></tfoot></table></section>`
  );
}

function factHtml(change: FactChange): string {
  return `<span class="fact-${change.change}">${SIGN[change.change]}${escapeHtml(change.kind)}${change.key ? ` ${escapeHtml(change.key)}` : ''}</span>`;
}

function pairDetail(pair: NodePair, findingLinks: Map<string, string[]>): string {
  const parts: string[] = [];
  if ((pair.status === 'moved' || pair.status === 'renamed') && pair.baseline) {
    parts.push(
      ` <span class="muted">from <code>${escapeHtml(pair.baseline.path)}</code>` +
        `${pair.distance !== undefined ? `, TLSH distance ${escapeHtml(pair.distance)}` : ''}</span>`,
    );
  }
  const before = pair.baseline?.digests?.sha256;
  const after = pair.candidate?.digests?.sha256;
  if (pair.status === 'modified' && before && after) {
    parts.push(
      ` <span class="muted mono">sha256 ${escapeHtml(before.slice(0, 12))}… → ${escapeHtml(after.slice(0, 12))}…</span>`,
    );
  }
  const path = (pair.candidate ?? pair.baseline)?.path ?? '';
  const links = findingLinks.get(path) ?? [];
  if (links.length > 0) parts.push(` <span class="finding-links">${links.join(' ')}</span>`);
  // Added and removed nodes list all their facts: the kinds only, to keep the line short.
  const facts =
    pair.status === 'added' || pair.status === 'removed'
      ? [...new Set(pair.facts.map((change) => change.kind))].map(escapeHtml).join(', ')
      : pair.facts.map(factHtml).join(', ');
  if (facts) parts.push(`<div class="facts">${facts}</div>`);
  return parts.join('');
}

/** A removed node is shown where it would be in the candidate tree: its root renamed to the candidate's. */
function displayPath(result: VetResult): (pair: NodePair) => string {
  const [baseRoot] = result.baseline.subjects;
  const [candRoot] = result.candidate.subjects;
  const single = result.baseline.subjects.length === 1 && result.candidate.subjects.length === 1;
  return (pair) => {
    if (pair.candidate) return pair.candidate.path;
    const path = pair.baseline?.path ?? pair.key;
    if (single && baseRoot && candRoot && (path === baseRoot.name || path.startsWith(baseRoot.name))) {
      const rest = path.slice(baseRoot.name.length);
      if (rest === '' || rest.startsWith('/') || rest.startsWith('!/')) return `${candRoot.name}${rest}`;
    }
    return path;
  };
}

function diffSection(result: VetResult): string {
  const counts = result.diff.counts;
  const summary = (['modified', 'added', 'removed', 'moved', 'renamed', 'unchanged'] as const)
    .map((status) => `<span data-count="${status}">${counts[status]} ${status}</span>`)
    .join(', ');
  const findingLinks = new Map<string, string[]>();
  for (const finding of result.findings) {
    const links = findingLinks.get(finding.path) ?? [];
    links.push(
      `<a href="#finding-${token(finding.fingerprint)}" class="badge sev-${token(finding.severity)}">${escapeHtml(finding.ruleId)}</a>`,
    );
    findingLinks.set(finding.path, links);
  }
  const pathOf = displayPath(result);
  const changed = result.diff.pairs.filter((pair) => pair.status !== 'unchanged');
  const entries: TreeEntry[] = changed.slice(0, TREE_LIMIT).map((pair) => ({
    path: pathOf(pair),
    status: pair.status,
    mark: MARK[pair.status],
    detail: pairDetail(pair, findingLinks),
  }));
  const more =
    changed.length > TREE_LIMIT
      ? `<p class="muted">${changed.length - TREE_LIMIT} more changed nodes are in the JSON report.</p>`
      : '';
  const tree = entries.length > 0 ? renderTree(entries) : '<p class="muted">No node changed.</p>';
  return (
    `<section id="diff"><h2>What changed</h2><p>${summary} <span class="muted">(unchanged nodes are not shown)</span></p>` +
    `${tree}${more}</section>`
  );
}

export function renderVetHtml(result: VetResult): string {
  const findings: ReportedFinding[] = result.findings.map((finding, index) => {
    const points = result.verdict.score.lines[index]?.points;
    return points === undefined ? finding : { ...finding, points };
  });
  const title = `${result.verdict.decision.toUpperCase()} ${names(result.candidate.subjects)} vs ${names(result.baseline.subjects)} — countersign vet`;
  const body = [
    banner(result),
    scoreTable(result),
    findingsSection(findings),
    diffSection(result),
    gapsSection(result.gaps),
  ].join('\n');
  return renderPage(title, body);
}
