/**
 * The page shell of an HTML report: one self-contained file, styles and script inline, and a
 * Content-Security-Policy that allows exactly those two blocks (by hash) and nothing from the
 * network, so even a string that escaped escaping could neither run nor phone home.
 */
import { createHash } from 'node:crypto';
import { TOOL_VERSION } from '../../core/version.js';
import { escapeHtml } from './escape.js';

const STYLE = `
:root { --fg:#1d2430; --muted:#5b6576; --line:#d9dee7; --bg:#fff; --soft:#f5f7fa;
  --critical:#7a0019; --high:#c0392b; --medium:#b9770e; --low:#2e86c1; --info:#6c7a89;
  --block:#b03a2e; --review:#b9770e; --pass:#1e8449; }
* { box-sizing: border-box; }
body { font: 14px/1.45 system-ui, -apple-system, "Segoe UI", sans-serif; color: var(--fg); background: var(--bg);
  margin: 0 auto; max-width: 1180px; padding: 16px 24px 48px; }
code, pre, .mono { font-family: ui-monospace, "SFMono-Regular", Menlo, Consolas, monospace; font-size: 12.5px; }
h1 { font-size: 20px; margin: 0; } h2 { font-size: 17px; margin: 28px 0 8px; border-bottom: 1px solid var(--line); padding-bottom: 4px; }
h3 { font-size: 14px; margin: 6px 0; }
.verdict { border-radius: 8px; padding: 14px 18px; color: #fff; background: var(--info); }
.verdict-block { background: var(--block); } .verdict-review { background: var(--review); } .verdict-pass { background: var(--pass); }
.verdict .decision { font-size: 28px; font-weight: 700; letter-spacing: .06em; margin-right: 14px; }
.verdict .subjects { font-size: 15px; } .verdict .score { margin-top: 6px; }
.verdict ul { margin: 8px 0 0; padding-left: 18px; }
table { border-collapse: collapse; width: 100%; margin: 8px 0; }
th, td { text-align: left; padding: 4px 8px; border-bottom: 1px solid var(--line); vertical-align: top; }
th { background: var(--soft); font-weight: 600; }
td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; }
tr.excluded td { color: var(--muted); }
.badge { display: inline-block; border-radius: 4px; padding: 0 6px; color: #fff; font-size: 12px; font-weight: 600; }
.sev-critical { background: var(--critical); } .sev-high { background: var(--high); } .sev-medium { background: var(--medium); }
.sev-low { background: var(--low); } .sev-info { background: var(--info); }
.filters { display: flex; flex-wrap: wrap; gap: 12px; align-items: center; background: var(--soft); padding: 8px 12px;
  border-radius: 6px; border: 1px solid var(--line); }
.filters label { cursor: pointer; } #shown { margin-left: auto; color: var(--muted); }
.finding { border: 1px solid var(--line); border-left: 5px solid var(--info); border-radius: 6px; padding: 10px 12px; margin: 10px 0; }
.finding[data-severity=critical] { border-left-color: var(--critical); } .finding[data-severity=high] { border-left-color: var(--high); }
.finding[data-severity=medium] { border-left-color: var(--medium); } .finding[data-severity=low] { border-left-color: var(--low); }
.evidence { background: var(--soft); border-radius: 4px; padding: 6px 8px; }
.ev { margin: 2px 0; } .ev .role { display: inline-block; min-width: 84px; color: var(--muted); }
.ev pre, pre.snippet { margin: 4px 0 4px 88px; white-space: pre-wrap; word-break: break-all; }
.origin { color: var(--muted); font-weight: 400; } .message { margin: 6px 0; }
.muted { color: var(--muted); }
details > summary { cursor: pointer; }
.tree, .tree ul { list-style: none; margin: 0; padding-left: 18px; }
.tree { padding-left: 0; }
.tree li { margin: 1px 0; }
.st { display: inline-block; width: 18px; text-align: center; border-radius: 3px; font-weight: 700; font-size: 12px; color: #fff; }
.st-added { background: var(--pass); } .st-removed { background: var(--block); } .st-modified { background: var(--review); }
.st-moved, .st-renamed { background: var(--low); } .st-unchanged { background: var(--info); }
.facts { color: var(--muted); margin-left: 24px; } .fact-added { color: var(--pass); } .fact-removed { color: var(--block); }
.fact-changed { color: var(--review); }
.container-node > summary code { font-weight: 600; }
.tree-tools button { font: inherit; margin-right: 6px; }
footer { margin-top: 36px; color: var(--muted); font-size: 12px; }
`;

const SCRIPT = `
(function () {
  var boxes = Array.prototype.slice.call(document.querySelectorAll('#severity-filter input[type=checkbox]'));
  var findings = Array.prototype.slice.call(document.querySelectorAll('.finding'));
  var shown = document.getElementById('shown');
  function apply() {
    var on = {};
    boxes.forEach(function (box) { on[box.value] = box.checked; });
    var count = 0;
    findings.forEach(function (finding) {
      var visible = on[finding.getAttribute('data-severity')] !== false;
      finding.hidden = !visible;
      if (visible) count += 1;
    });
    if (shown) shown.textContent = count + ' of ' + findings.length + ' findings shown';
  }
  boxes.forEach(function (box) { box.addEventListener('change', apply); });
  function setTree(open) {
    Array.prototype.forEach.call(document.querySelectorAll('.tree details'), function (node) { node.open = open; });
  }
  var expand = document.getElementById('tree-expand');
  var collapse = document.getElementById('tree-collapse');
  if (expand) expand.addEventListener('click', function () { setTree(true); });
  if (collapse) collapse.addEventListener('click', function () { setTree(false); });
  apply();
})();
`;

const hash = (text: string) => `'sha256-${createHash('sha256').update(text).digest('base64')}'`;

/** The policy: nothing loads from anywhere; only this page's own style and script blocks run. */
export const CONTENT_SECURITY_POLICY = [
  "default-src 'none'",
  `style-src ${hash(STYLE)}`,
  `script-src ${hash(SCRIPT)}`,
  "img-src 'none'",
  "base-uri 'none'",
  "form-action 'none'",
].join('; ');

export function renderPage(title: string, body: string): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="${escapeHtml(CONTENT_SECURITY_POLICY)}">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="generator" content="countersign ${escapeHtml(TOOL_VERSION)}">
<title>${escapeHtml(title)}</title>
<style>${STYLE}</style>
</head>
<body>
${body}
<footer>Generated by countersign ${escapeHtml(TOOL_VERSION)}. This file is self-contained: it loads nothing from the network.</footer>
<script>${SCRIPT}</script>
</body>
</html>
`;
}
