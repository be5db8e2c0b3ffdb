import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { scan } from '../../pipeline/scan.js';
import { type VetResult, vet } from '../../pipeline/vet.js';
import { escapeHtml, safeHref } from './escape.js';
import { findingsSection } from './findings.js';
import { CONTENT_SECURITY_POLICY } from './page.js';
import { renderScanHtml } from './scan-html.js';
import { renderVetHtml } from './vet-html.js';

const root = fileURLToPath(new URL('../../..', import.meta.url));
const release = (version: string) =>
  join(root, 'test/fixtures/vet/data/releases', `ExampleDesk-${version}.zip`);

/** Everything that could load or run something from elsewhere. */
const EXTERNAL =
  /<(?:script|img|iframe|link|object|embed|audio|video|source)\b[^>]*\b(?:src|href)=|@import|url\(/i;

let dir: string;
let trojanized: VetResult;
let html: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'countersign-html-'));
  trojanized = await vet([release('1.0.2')], [release('1.0.1')], { digests: ['sha256'] });
  html = renderVetHtml(trojanized);
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('when the 3CX-style release 1.0.2 is vetted against 1.0.1', () => {
  it('opens with a BLOCK banner, the releases compared and the score', () => {
    expect(html).toMatch(/<header class="verdict verdict-block" id="verdict" data-decision="block">/);
    expect(html).toContain('<span class="decision">BLOCK</span>');
    expect(html).toContain('ExampleDesk-1.0.2.zip <span>vs baseline</span> ExampleDesk-1.0.1.zip');
    expect(html).toContain(`score <strong>${trojanized.verdict.score.total}</strong>`);
    for (const reason of trojanized.verdict.reasons) expect(html).toContain(escapeHtml(reason));
  });

  it('names the ffmpeg.dll and d3dcompiler_47.dll findings, evidence first', () => {
    const cards = [...html.matchAll(/<article class="finding"[^>]*data-rule="([^"]+)">(.*?)<\/article>/gs)];
    const cited = cards.map(
      ([, rule, body]) => `${rule} ${/<code class="node">([^<]+)<\/code>/.exec(body!)?.[1]}`,
    );
    expect(cited).toContain('component.stock-changed ExampleDesk-1.0.2.zip!/ExampleDesk/ffmpeg.dll');
    expect(cited).toContain('pe.capability.added ExampleDesk-1.0.2.zip!/ExampleDesk/ffmpeg.dll');
    expect(cited).toContain(
      'pe.authenticode.anomaly.added ExampleDesk-1.0.2.zip!/ExampleDesk/d3dcompiler_47.dll',
    );
    for (const [, , body] of cards) expect(body!.startsWith('<div class="evidence">')).toBe(true);
    // Strongest first: the critical certificate-table anomaly leads.
    expect(cards[0]![1]).toBe('pe.authenticode.anomaly.added');
  });

  it('breaks the score down per finding, adding up to the total', () => {
    const section = /<section id="score">(.*?)<\/section>/s.exec(html)![1]!;
    const points = [...section.matchAll(/<tr class="counted">.*?<td class="num">([\d.]+)<\/td>/gs)].map((m) =>
      Number(m[1]),
    );
    expect(points.length).toBe(trojanized.findings.length);
    expect(points.reduce((sum, value) => sum + value, 0)).toBeCloseTo(trojanized.verdict.score.total, 5);
  });

  it('shows the changed nodes as a collapsible tree with their fact changes', () => {
    const section = /<section id="diff">(.*?)<\/section>/s.exec(html)![1]!;
    expect(section).toContain('<span data-count="modified">4 modified</span>');
    expect(section).toMatch(
      /<li class="leaf" data-status="modified"><span class="st st-modified"[^>]*>M<\/span> <code>ffmpeg\.dll<\/code>/,
    );
    expect(section).toContain('<code>d3dcompiler_47.dll</code>');
    expect(section).toMatch(/<li class="folder-node"><details open><summary><code>ExampleDesk<\/code>/);
    expect(section).toContain('class="fact-changed">~pe.imports');
  });

  it('is one self-contained file: nothing loads from elsewhere, and the policy says so', () => {
    expect(html).not.toMatch(EXTERNAL);
    expect(html.match(/<script\b/g)).toHaveLength(1);
    expect(html.match(/<style\b/g)).toHaveLength(1);
    expect(CONTENT_SECURITY_POLICY).toContain("default-src 'none'");
    expect(html).toContain(`content="${escapeHtml(CONTENT_SECURITY_POLICY)}"`);
  });
});

describe('when a file name and a snippet carry markup', () => {
  const evil = '<script>alert(1)';
  let folders: { baseline: string; candidate: string };
  beforeAll(async () => {
    folders = { baseline: join(dir, 'baseline'), candidate: join(dir, 'candidate') };
    for (const folder of Object.values(folders)) {
      await mkdir(join(folder, 'package'), { recursive: true });
      await writeFile(join(folder, 'package', 'package.json'), '{"name":"x","version":"1.0.0"}\n');
    }
    await writeFile(
      join(folders.candidate, 'package', `${evil}.js`),
      "require('https').request({ host: '</script><script>alert(2)</script>.invalid' });\n",
    );
  });

  it('escapes them in the vet report: the page keeps its one script', async () => {
    const result = await vet([folders.candidate], [folders.baseline], { digests: ['sha256'] });
    const page = renderVetHtml(result);
    expect(result.diff.counts.added).toBe(1);
    expect(page).toContain('<code>&lt;script&gt;alert(1).js</code>');
    expect(page).not.toContain(evil);
    expect(page).not.toContain('<script>alert(2)');
    expect(page.match(/<script\b/g)).toHaveLength(1);
    expect(page).not.toMatch(EXTERNAL);
  });

  it('escapes them in the scan report too', async () => {
    const result = await scan([folders.candidate], { digests: ['sha256'] });
    const page = renderScanHtml(result);
    expect(result.findings.some((finding) => finding.path.includes(evil))).toBe(true);
    expect(page).toContain('&lt;script&gt;alert(1).js');
    expect(page).toContain('&lt;/script&gt;&lt;script&gt;alert(2)&lt;/script&gt;');
    expect(page).not.toContain(evil);
    expect(page.match(/<script\b/g)).toHaveLength(1);
  });
});

describe('when a file was removed and another added between two folder releases', () => {
  it('shows the removed one where it was, under the candidate root, marked D', async () => {
    const baseline = join(dir, 'app-1.0.0');
    const candidate = join(dir, 'app-1.1.0');
    await mkdir(join(baseline, 'lib'), { recursive: true });
    await mkdir(join(candidate, 'lib'), { recursive: true });
    await writeFile(join(baseline, 'lib', 'same.txt'), 'same\n');
    await writeFile(join(candidate, 'lib', 'same.txt'), 'same\n');
    await writeFile(join(baseline, 'lib', 'gone.txt'), 'only in the baseline\n');
    await writeFile(join(candidate, 'lib', 'new.txt'), 'only in the candidate, and different\n');
    const result = await vet([candidate], [baseline], { digests: ['sha256'], fuzzy: false });
    expect(result.diff.counts).toMatchObject({ removed: 1, added: 1, unchanged: 1 });
    const section = /<section id="diff">(.*?)<\/section>/s.exec(renderVetHtml(result))![1]!;
    const tree = /<ul class="tree">(.*)<\/ul>/s.exec(section)![1]!;
    // One root (the candidate's), holding lib/, which holds both changed files and not the unchanged one.
    expect(tree.match(/<code>app-1\.[01]\.0<\/code>/g)).toEqual(['<code>app-1.1.0</code>']);
    expect(tree).toMatch(
      /<li class="leaf" data-status="removed"><span class="st st-removed"[^>]*>D<\/span> <code>gone\.txt<\/code>/,
    );
    expect(tree).toMatch(
      /<li class="leaf" data-status="added"><span class="st st-added"[^>]*>A<\/span> <code>new\.txt<\/code>/,
    );
    expect(tree).not.toContain('same.txt');
  });
});

describe('when there are more findings than a page should hold', () => {
  it('lists the strongest ones and says how many it left out', () => {
    const many = [
      ...trojanized.findings,
      ...trojanized.findings.map((f) => ({ ...f, severity: 'info' as const })),
    ];
    const section = findingsSection(many, 3);
    expect(section.match(/<article class="finding"/g)).toHaveLength(3);
    expect(section).not.toContain('data-severity="info" data-rule');
    expect(section).toContain(`The 3 strongest of ${many.length} findings are listed`);
    expect(section).toContain('<span id="shown">3 of 3 findings shown</span>');
  });
});

describe('escaping', () => {
  it('covers text, quoted attributes and control characters', () => {
    expect(escapeHtml(`<a href="x" onclick='y'>&\`</a>`)).toBe(
      '&lt;a href=&quot;x&quot; onclick=&#39;y&#39;&gt;&amp;&#96;&lt;/a&gt;',
    );
    expect(escapeHtml('a\u0000b\u001bc\td\n')).toBe('a\\x00b\\x1bc\td\n');
  });

  it('links only http(s) references', () => {
    expect(safeHref('https://osv.dev/?q="x"')).toBe('https://osv.dev/?q=&quot;x&quot;');
    expect(safeHref('javascript:alert(1)')).toBeUndefined();
    expect(safeHref('data:text/html,<b>')).toBeUndefined();
  });
});
