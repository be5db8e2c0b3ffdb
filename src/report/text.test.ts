import { describe, expect, it } from 'vitest';
import type { NodePath } from '../core/node-path.js';
import {
  FIXED_VOLATILE,
  folderResult,
  hostileNamesResult,
  normaliseVolatile,
  releaseZipResult,
  singleFileResult,
  twoSubjectsResult,
} from './test-results.js';
import { renderText } from './text.js';

const ESCAPE = '\u001b';

function lineIndex(text: string, pattern: RegExp): number {
  return text.split('\n').findIndex((line) => pattern.test(line));
}

describe('when a scan with coverage gaps is rendered as text', () => {
  const result = releaseZipResult({ withFinding: true });
  const text = renderText(result);

  it('says how many parts were not looked at, with their codes and node paths', () => {
    const parts = new Set(result.gaps.map((gap) => gap.node)).size;
    expect(text).toContain(`!! ${parts} parts were not looked at`);
    for (const gap of result.gaps) {
      expect(text).toContain(gap.code);
      expect(text).toContain(gap.node);
      expect(text).toContain(gap.message);
    }
  });

  it('puts the gaps before the counts, right after the inputs', () => {
    const gaps = lineIndex(text, /not looked at/);
    expect(gaps).toBeGreaterThan(lineIndex(text, /^ +sha256 /));
    expect(gaps).toBeLessThan(lineIndex(text, /^Contents/));
  });

  it('starts with the inputs, their size and full digests', () => {
    const [subject] = result.subjects;
    expect(lineIndex(text, /^Input /)).toBeLessThan(4);
    expect(text).toContain(`${subject!.name}  zip, 3.0 KiB (${subject!.size} bytes)`);
    expect(text).toContain(`sha256 ${subject!.digests.sha256}`);
    expect(text).toContain(`sha1   ${subject!.digests.sha1}`);
    expect(text).toContain(`md5    ${subject!.digests.md5}`);
  });

  it('counts nodes, files, containers and bytes from the stats', () => {
    const { stats } = result;
    expect(text).toContain(
      `Contents  ${stats.nodes} nodes: ${stats.files} files, ${stats.containers} containers unpacked`,
    );
    expect(text).toContain(`(${stats.bytes} bytes)`);
  });

  it('breaks the nodes down by type, most frequent first', () => {
    const typesLine = text.split('\n').find((line) => line.startsWith('Types'))!;
    const counts = typesLine
      .slice('Types'.length)
      .trim()
      .split(', ')
      .map((entry) => Number(entry.split(' ')[1]));
    expect(counts).toEqual(counts.toSorted((a, b) => b - a));
    const gzips = result.nodes.filter((node) => node.type === 'gzip').length;
    expect(typesLine).toContain(`gzip ${gzips}`);
    expect(counts.reduce((sum, n) => sum + n, 0)).toBe(result.nodes.length);
  });

  it('lists flagged nodes by flag', () => {
    const traversal = result.nodes.find((node) => node.flags.includes('path-traversal'))!;
    expect(text).toMatch(new RegExp(`path-traversal +${traversal.path.replaceAll('.', '\\.')}`));
  });

  it('lists findings by severity with their rule and message', () => {
    const [finding] = result.findings;
    expect(text).toContain('Findings  1 (1 medium)');
    expect(text).toContain(`MEDIUM   ${finding!.ruleId}  ${finding!.path}`);
    expect(text).toContain(finding!.message);
  });

  it('leaves the tree out unless asked', () => {
    expect(text).not.toMatch(/^Tree$/m);
    expect(renderText(result, { tree: true })).toMatch(/^Tree$/m);
  });
});

describe('when the tree is requested', () => {
  const result = releaseZipResult();
  const lines = renderText(result, { tree: true }).split('\n');
  const treeLines = lines.slice(lines.indexOf('Tree') + 1).filter((line) => line !== '');

  it('has one line per node, in pre-order', () => {
    expect(treeLines).toHaveLength(result.nodes.length);
    for (const [index, node] of result.nodes.entries()) {
      expect(treeLines[index]!.trimStart().startsWith(node.depth === 0 ? node.path : node.name)).toBe(true);
    }
  });

  it('indents by depth', () => {
    for (const [index, node] of result.nodes.entries()) {
      const indent = treeLines[index]!.length - treeLines[index]!.trimStart().length;
      expect(indent).toBe(node.depth * 2);
    }
  });

  it('shows size, type and a short sha256 of each file', () => {
    const main = result.nodes.find((node) => node.name === 'app/main.js')!;
    const line = treeLines.find((l) => l.trimStart().startsWith('app/main.js'))!;
    expect(line).toMatch(new RegExp(`${main.size} B +javascript +${main.digests!.sha256.slice(0, 12)}$`));
  });

  it('shows link targets, flags and gaps on the node they concern', () => {
    const link = treeLines.find((l) => l.includes('app/current'))!;
    expect(link).toContain('-> ../../etc');
    expect(link).toContain('[not-followed]');
    expect(link).toContain('!! E_ARTIFACT_LINK_NOT_FOLLOWED');
    expect(treeLines.find((l) => l.includes('cron.d'))).toContain('[path-traversal]');
    expect(treeLines.find((l) => l.includes('secret.bin'))).toMatch(
      / - +\[encrypted\] +!! E_ARCHIVE_ENCRYPTED$/,
    );
  });
});

describe('when nothing was skipped', () => {
  const text = renderText(singleFileResult());

  it('says coverage is complete, and shows no gap warning', () => {
    expect(text).toContain('Coverage  complete: every part was looked at');
    expect(text).not.toContain('not looked at');
    expect(text).toContain('Flags     none');
    expect(text).toContain('Findings  none');
  });

  it('uses the singular for one of a kind', () => {
    expect(text).toContain('Scanned 1 input at');
    expect(text).toContain('1 node: 1 file, 0 containers unpacked');
  });
});

describe('when one part was not looked at', () => {
  it('says "1 part was"', () => {
    const result = releaseZipResult();
    const one = { ...result, gaps: result.gaps.slice(0, 1) };
    expect(renderText(one)).toContain('!! 1 part was not looked at (E_ARCHIVE_ENCRYPTED 1):');
  });
});

describe('when there are more gaps than fit', () => {
  const result = releaseZipResult();
  const gap = result.gaps[0]!;
  const many = {
    ...result,
    gaps: Array.from({ length: 75 }, (_, i) => ({ ...gap, node: `${gap.node}-${i}` as typeof gap.node })),
  };
  const text = renderText(many);

  it('states the cause of same-cause gaps once, with their nodes under it', () => {
    expect(text).toContain('!! 75 parts were not looked at (E_ARCHIVE_ENCRYPTED 75):');
    expect(text.split(gap.message).length - 1).toBe(1);
  });

  it('lists the first fifty nodes and counts the rest', () => {
    const listed = many.gaps.filter((g) => text.includes(`      ${g.node}\n`));
    expect(listed.map((g) => g.node)).toEqual(many.gaps.slice(0, 50).map((g) => g.node));
    expect(text).toContain('… and 25 more (all are in the JSON report)');
  });
});

describe('when several inputs or a folder were scanned', () => {
  it('describes every input', () => {
    const result = twoSubjectsResult();
    const text = renderText(result);
    expect(text).toContain('Scanned 2 inputs');
    for (const subject of result.subjects) expect(text).toContain(`sha256 ${subject.digests.sha256}`);
  });

  it('says what a folder digest is taken over, and shows folder files by path in the tree', () => {
    const result = folderResult();
    const text = renderText(result, { tree: true });
    expect(text).toContain(
      `sha256 ${result.subjects[0]!.digests.sha256} (over its files' paths and digests)`,
    );
    expect(text).toMatch(/^app\/node_modules\/left-pad\/package\.json /m);
  });
});

describe('when entry names carry terminal escapes or bidi overrides', () => {
  const text = renderText(hostileNamesResult(), { tree: true });

  it('never prints them raw', () => {
    expect(text).not.toContain(ESCAPE);
    expect(text).not.toContain('\u202E');
    expect(text.split('\n').filter((line) => line.startsWith('break.txt'))).toEqual([]);
  });

  it('shows them escaped, so the real name can be read', () => {
    expect(text).toContain('ok\\u{001B}[2J\\u{001B}[31mFAKE.txt');
    expect(text).toContain('invoice\\u{202E}fdp.exe');
    expect(text).toContain('line\\u{000A}break.txt');
  });
});

describe('when colour is asked for', () => {
  const result = releaseZipResult({ withFinding: true });

  it('paints the gap warning and nothing else changes', () => {
    const colored = renderText(result, { color: true, tree: true });
    expect(colored).toMatch(new RegExp(`${ESCAPE}\\[31m[^\\n]*not looked at`));
    expect(colored.replace(/\u001b\[\d+m/g, '')).toBe(renderText(result, { tree: true }));
  });

  it('prints no escape at all without it', () => {
    expect(renderText(result, { tree: true })).not.toContain(ESCAPE);
  });
});

describe('when compared with the golden files', () => {
  const other = {
    startedAt: '2031-05-06T07:08:09.010Z',
    durationMs: 187_000,
    inputDir: '/var/tmp/cs-run-42',
  };

  it.each([
    ['summary', false, 'scan-report.txt'],
    ['summary and tree', true, 'scan-report-tree.txt'],
  ])('matches for the %s once volatile fields are normalised', async (_name, tree, file) => {
    const runs = [FIXED_VOLATILE, other].map((volatile) => {
      const result = releaseZipResult({ withFinding: true, volatile });
      return normaliseVolatile(renderText(result, { tree }), result);
    });
    expect(runs[1]).toBe(runs[0]);
    expect(runs[0]).toContain('took <duration>');
    await expect(runs[0]).toMatchFileSnapshot(`../../test/golden/${file}`);
  });
});

describe('when the tree is as large as the default file limit allows', () => {
  it('renders 200 000 nodes without overflowing the stack', () => {
    const base = releaseZipResult();
    const [root, , entry] = base.nodes;
    const count = 200_000;
    const nodes = [
      root!,
      ...Array.from({ length: count }, (_, i) => ({
        ...entry!,
        path: `${root!.path}!/d/${i}.js` as NodePath,
        name: `d/${i}.js`,
      })),
    ];
    const text = renderText({ ...base, nodes, gaps: [] }, { tree: true });
    expect(text.split('\n').filter((line) => /^ {2}d\/\d+\.js /.test(line))).toHaveLength(count);
  });
});
