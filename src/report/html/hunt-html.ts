/**
 * The hunt HTML report: how many hits on which indicators, then every hit with where it was
 * seen (file, node inside an archive, line or offset, time and client for logs), then what could
 * not be looked at.
 */
import type { HuntHit, HuntResult } from '../../pipeline/hunt.js';
import { escapeHtml } from './escape.js';
import { gapsSection } from './gaps.js';
import { renderPage } from './page.js';

/** Past this many hits the table stops and says how many it left out. */
const HIT_LIMIT = 5000;

function whereHtml(hit: HuntHit): string {
  const { where } = hit;
  const place = `${escapeHtml(where.file)}${where.line !== undefined ? `:${escapeHtml(where.line)}` : ''}`;
  const inner = where.node?.includes('!/') ? `<div class="muted">${escapeHtml(where.node)}</div>` : '';
  const offset = where.offset !== undefined ? ` <span class="muted">@${escapeHtml(where.offset)}</span>` : '';
  const context = [where.time, where.host ? `client ${where.host}` : undefined].filter(Boolean).join(', ');
  const snippet = where.snippet ? `<pre class="snippet">${escapeHtml(where.snippet)}</pre>` : '';
  return `<code>${place}</code>${offset}${inner}${context ? `<div class="muted">${escapeHtml(context)}</div>` : ''}${snippet}`;
}

export function renderHuntHtml(result: HuntResult): string {
  const found = result.hits.length > 0;
  const what =
    result.mode === 'logs'
      ? `${result.stats.files} log file(s), ${result.stats.lines ?? 0} lines`
      : `${result.stats.files} file(s)`;
  const banner =
    `<header class="verdict verdict-${found ? 'block' : 'pass'}" id="verdict" data-hits="${result.hits.length}">` +
    `<h1><span class="decision">${found ? 'FOUND' : 'CLEAN'}</span><span class="subjects">hunt over ${escapeHtml(what)}</span></h1>` +
    `<div class="score">${escapeHtml(result.hits.length)} hit(s) on ${escapeHtml(result.summary.length)} indicator(s); ` +
    `${escapeHtml(result.gaps.length)} coverage gap(s)</div></header>`;
  const summary = result.summary
    .map(
      (row) =>
        `<tr><td>${escapeHtml(row.type)}</td><td><code>${escapeHtml(row.value)}</code></td><td>${escapeHtml(row.source)}</td>` +
        `<td class="num">${escapeHtml(row.hits)}</td><td class="num">${escapeHtml(row.files)}</td></tr>`,
    )
    .join('');
  const hits = result.hits
    .slice(0, HIT_LIMIT)
    .map(
      (hit) =>
        `<tr class="hit"><td>${whereHtml(hit)}</td><td>${escapeHtml(hit.indicator.type)} <code>${escapeHtml(hit.indicator.original)}</code></td>` +
        `<td>${escapeHtml([hit.source.name, hit.source.location].filter(Boolean).join(' '))}</td>` +
        `<td>${escapeHtml(hit.how)}</td><td><code>${escapeHtml(hit.observed)}</code></td></tr>`,
    )
    .join('');
  const more =
    result.hits.length > HIT_LIMIT
      ? `<p class="muted">${result.hits.length - HIT_LIMIT} more hits are in the JSON report.</p>`
      : '';
  const body = [
    banner,
    found
      ? '<section id="indicators"><h2>Indicators found</h2><table><thead><tr><th>type</th><th>indicator</th><th>source</th>' +
        `<th class="num">hits</th><th class="num">files</th></tr></thead><tbody>${summary}</tbody></table></section>`
      : '',
    found
      ? '<section id="hits"><h2>Hits</h2><table><thead><tr><th>where</th><th>indicator</th><th>source</th><th>match</th>' +
        `<th>seen</th></tr></thead><tbody>${hits}</tbody></table>${more}</section>`
      : '<section id="hits"><h2>Hits</h2><p>No indicator was found.</p></section>',
    gapsSection(result.gaps),
  ].join('\n');
  return renderPage(`${found ? 'FOUND' : 'CLEAN'}: hunt — countersign`, body);
}
