/**
 * The findings section: a severity filter, then one card per finding, strongest first, evidence
 * first (where to look), then the judgement (rule, severity/confidence, message), then why the
 * rule exists and what to do.
 */
import type { Evidence, Finding } from '../../core/findings.js';
import { SEVERITIES, type Severity, severityRank } from '../../core/severity.js';
import type { FindingOrigin } from '../../pipeline/vet-verdict.js';
import { type RuleDescription, ruleCatalogue } from '../rule-catalogue.js';
import { escapeHtml, safeHref, token } from './escape.js';

export type ReportedFinding = Finding & { readonly origin?: FindingOrigin; readonly points?: number };

function where(evidence: Evidence): string {
  const parts: string[] = [];
  if (evidence.range) parts.push(`@${evidence.range.offset}+${evidence.range.length}`);
  if (evidence.line) {
    parts.push(
      `line ${evidence.line.start}${evidence.line.end !== undefined && evidence.line.end !== evidence.line.start ? `–${evidence.line.end}` : ''}`,
    );
  }
  if (evidence.column !== undefined) parts.push(`col ${evidence.column}`);
  return parts.length > 0 ? ` <span class="muted">${escapeHtml(parts.join(', '))}</span>` : '';
}

function evidenceHtml(evidence: Evidence): string {
  return (
    `<div class="ev ev-${token(evidence.role)}"><span class="role">${escapeHtml(evidence.role)}</span>` +
    `<code class="node">${escapeHtml(evidence.node)}</code>${where(evidence)}` +
    `${evidence.snippet ? `<pre class="snippet">${escapeHtml(evidence.snippet)}</pre>` : ''}</div>`
  );
}

function referencesHtml(references: readonly string[]): string {
  if (references.length === 0) return '';
  const items = references.map((reference) => {
    const href = safeHref(reference);
    return href
      ? `<li><a href="${href}" rel="noopener noreferrer">${escapeHtml(reference)}</a></li>`
      : `<li>${escapeHtml(reference)}</li>`;
  });
  return `<ul class="references">${items.join('')}</ul>`;
}

function aboutRule(rule: RuleDescription | undefined, finding: Finding): string {
  const rationale = rule ? `<p>${escapeHtml(rule.rationale)}</p>` : '';
  const remediation = rule?.remediation
    ? `<p><strong>Remediation.</strong> ${escapeHtml(rule.remediation)}</p>`
    : '';
  return (
    `<details class="about"><summary>About this rule (${escapeHtml(finding.identifies)}, v${finding.ruleVersion})</summary>` +
    `${rationale}${remediation}${referencesHtml(finding.references)}</details>`
  );
}

function findingHtml(finding: ReportedFinding, rule: RuleDescription | undefined): string {
  const primary = finding.evidence.filter((item) => item.role === 'primary');
  const others = finding.evidence.filter((item) => item.role !== 'primary');
  // Evidence first; a finding without any still says which node it is about.
  const evidence =
    finding.evidence.length > 0
      ? [...primary, ...others].map(evidenceHtml).join('')
      : evidenceHtml({ role: 'primary', node: finding.path });
  const origin = finding.origin ? ` <span class="origin">[${escapeHtml(finding.origin)}]</span>` : '';
  const points =
    finding.points !== undefined ? ` <span class="origin">${escapeHtml(finding.points)} points</span>` : '';
  return (
    `<article class="finding" id="finding-${token(finding.fingerprint)}" data-severity="${token(finding.severity)}" data-rule="${escapeHtml(finding.ruleId)}">` +
    `<div class="evidence">${evidence}</div>` +
    `<h3><span class="badge sev-${token(finding.severity)}">${escapeHtml(finding.severity)}/${escapeHtml(finding.confidence)}</span> ` +
    `<code>${escapeHtml(finding.ruleId)}</code>${origin}${points}</h3>` +
    `<div class="title">${escapeHtml(finding.title)}</div>` +
    `<p class="message">${escapeHtml(finding.message)}</p>` +
    `${aboutRule(rule, finding)}</article>`
  );
}

/** Strongest first; equal severities keep the order the rules reported them in. */
export function bySeverity<T extends { severity: Severity }>(items: readonly T[]): T[] {
  return items
    .map((item, index) => ({ item, index }))
    .sort((a, b) => severityRank(b.item.severity) - severityRank(a.item.severity) || a.index - b.index)
    .map(({ item }) => item);
}

/** Past this many findings the page lists the strongest ones and says how many it left out. */
export const FINDING_CARD_LIMIT = 3000;

export function findingsSection(findings: readonly ReportedFinding[], limit = FINDING_CARD_LIMIT): string {
  const rules = new Map(ruleCatalogue().map((rule) => [rule.id, rule]));
  const counts = new Map<Severity, number>();
  for (const finding of findings) counts.set(finding.severity, (counts.get(finding.severity) ?? 0) + 1);
  const filter = [...SEVERITIES]
    .reverse()
    .map(
      (severity) =>
        `<label><input type="checkbox" value="${severity}" checked> ` +
        `<span class="badge sev-${severity}">${severity}</span> <span class="count" data-severity="${severity}">${counts.get(severity) ?? 0}</span></label>`,
    )
    .join('');
  const shown = bySeverity(findings).slice(0, limit);
  const cards = shown.map((finding) => findingHtml(finding, rules.get(finding.ruleId))).join('\n');
  const more =
    findings.length > shown.length
      ? `<p class="muted" id="findings-cut">The ${shown.length} strongest of ${findings.length} findings are listed; the JSON and SARIF reports have them all.</p>`
      : '';
  return (
    `<section id="findings"><h2>Findings (${findings.length})</h2>` +
    `<div class="filters" id="severity-filter"><span>Severity:</span>${filter}` +
    `<span id="shown">${shown.length} of ${shown.length} findings shown</span></div>${more}` +
    `${cards || '<p class="muted">No findings.</p>'}</section>`
  );
}
