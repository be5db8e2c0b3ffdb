import type { CoverageGap } from '../../core/coverage.js';
import { escapeHtml } from './escape.js';

/** What was not looked at: a report that hides its gaps reads as a clean bill of health. */
export function gapsSection(gaps: readonly CoverageGap[], limit = 500): string {
  if (gaps.length === 0) {
    return '<section id="gaps"><h2>Coverage</h2><p>Every part of the input was looked at.</p></section>';
  }
  const rows = gaps
    .slice(0, limit)
    .map(
      (gap) =>
        `<tr><td><code>${escapeHtml(gap.node)}</code></td><td><code>${escapeHtml(gap.code)}</code></td>` +
        `<td>${escapeHtml(gap.stage)}</td><td>${escapeHtml(gap.plugin ?? '')}</td><td>${escapeHtml(gap.message)}</td></tr>`,
    )
    .join('');
  const more =
    gaps.length > limit
      ? `<p class="muted">… and ${gaps.length - limit} more (see the JSON report).</p>`
      : '';
  return (
    `<section id="gaps"><h2>Not looked at (${gaps.length})</h2>` +
    '<table><thead><tr><th>node</th><th>code</th><th>stage</th><th>plugin</th><th>why</th></tr></thead>' +
    `<tbody>${rows}</tbody></table>${more}</section>`
  );
}
