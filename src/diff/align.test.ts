import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import type { Fact } from '../core/facts.js';
import type { NodePath } from '../core/node-path.js';
import type { ScanNode, ScanSubject } from '../core/scan-result.js';
import { alignTrees } from './align.js';
import { diffFacts } from './fact-diff.js';
import { tlshDistance, tlshOf } from './tlsh.js';

function node(path: string, sha256: string, facts: Fact[] = [], size = 100): ScanNode {
  return {
    path: path as NodePath,
    depth: path.split('!/').length - 1,
    name: path.slice(path.lastIndexOf('/') + 1),
    entryKind: 'file',
    size,
    digests: { sha256 },
    type: 'javascript',
    flags: [],
    facts,
  };
}
const subject = (name: string): ScanSubject => ({
  path: `/in/${name}`,
  name,
  size: 1,
  digests: { sha256: 'x' },
  type: 'zip',
});
const capability = (name: string, line: number, detail?: string): Fact =>
  ({
    kind: 'js.capability',
    capability: name,
    line,
    column: 1,
    offset: 0,
    length: 1,
    snippet: '',
    scope: 0,
    ...(detail ? { detail } : {}),
  }) as Fact;

describe('when two releases of one archive are aligned', () => {
  const baseline = {
    subjects: [subject('app-1.0.1.zip')],
    nodes: [
      node('app-1.0.1.zip', 'r1'),
      node('app-1.0.1.zip!/lib/a.js', 'a1', [capability('network.outbound', 3, 'https.get')]),
      node('app-1.0.1.zip!/lib/same.js', 's'),
      node('app-1.0.1.zip!/old/place.js', 'p'),
      node('app-1.0.1.zip!/gone.js', 'g'),
    ],
  };
  const candidate = {
    subjects: [subject('app-1.0.2.zip')],
    nodes: [
      node('app-1.0.2.zip', 'r2'),
      node('app-1.0.2.zip!/lib/a.js', 'a2', [
        capability('network.outbound', 9, 'https.get'),
        capability('code.eval', 2),
      ]),
      node('app-1.0.2.zip!/lib/same.js', 's'),
      node('app-1.0.2.zip!/new/place.js', 'p'),
      node('app-1.0.2.zip!/fresh.js', 'f'),
    ],
  };

  it('pairs by path, then by digest, and lists what came and went', async () => {
    const diff = await alignTrees(baseline, candidate);
    const status = Object.fromEntries(diff.pairs.map((pair) => [pair.key, pair.status]));
    expect(status).toEqual({
      '<root>': 'modified',
      '<root>!/lib/a.js': 'modified',
      '<root>!/lib/same.js': 'unchanged',
      '<root>!/new/place.js': 'moved',
      '<root>!/fresh.js': 'added',
      '<root>!/gone.js': 'removed',
    });
    expect(diff.counts).toMatchObject({
      modified: 2,
      unchanged: 1,
      moved: 1,
      added: 1,
      removed: 1,
      renamed: 0,
    });
  });

  it('reports a capability that appeared, and not one that only moved lines', async () => {
    const diff = await alignTrees(baseline, candidate);
    const changed = diff.pairs.find((pair) => pair.key === '<root>!/lib/a.js')!;
    expect(changed.facts.map((fact) => `${fact.change} ${fact.key}`)).toEqual(['added code.eval:']);
  });

  it('pairs a renamed file by fuzzy distance when a distance is given, within budget', async () => {
    const calls: string[] = [];
    const diff = await alignTrees(baseline, candidate, {
      distance: async (base, cand) => {
        calls.push(`${base.path}>${cand.path}`);
        return base.path.endsWith('gone.js') ? 12 : 300;
      },
    });
    const renamed = diff.pairs.find((pair) => pair.status === 'renamed');
    expect(renamed?.baseline?.path).toBe('app-1.0.1.zip!/gone.js');
    expect(renamed?.candidate?.path).toBe('app-1.0.2.zip!/fresh.js');
    expect(renamed?.distance).toBe(12);
    expect(calls).toEqual(['app-1.0.1.zip!/gone.js>app-1.0.2.zip!/fresh.js']);
    const none = await alignTrees(baseline, candidate, { distance: async () => 12, maxComparisons: 0 });
    expect(none.counts.renamed).toBe(0);
  });
});

describe('when facts are diffed', () => {
  it('tells added, removed and changed facts apart by kind and identity', () => {
    const before = [
      {
        kind: 'pe.capability',
        capability: 'network',
        strength: 'weak',
        identifies: 'capability.network',
        evidence: [],
      },
      {
        kind: 'pe.capability',
        capability: 'crypto',
        strength: 'weak',
        identifies: 'capability.crypto',
        evidence: [],
      },
    ] as unknown as Fact[];
    const after = [
      {
        kind: 'pe.capability',
        capability: 'network',
        strength: 'strong',
        identifies: 'capability.network',
        evidence: [],
      },
      {
        kind: 'pe.capability',
        capability: 'memory-execution',
        strength: 'strong',
        identifies: 'capability.x',
        evidence: [],
      },
    ] as unknown as Fact[];
    expect(diffFacts(before, after).map((change) => `${change.change} ${change.kind} ${change.key}`)).toEqual(
      [
        'changed pe.capability network',
        'added pe.capability memory-execution',
        'removed pe.capability crypto',
      ],
    );
    expect(diffFacts(after, after)).toEqual([]);
  });
});

describe('when TLSH compares contents', () => {
  it('finds a small edit near and unrelated bytes far, and has no digest for tiny input', () => {
    const text = Buffer.from(randomBytes(3000).toString('base64'));
    const edited = Buffer.from(text);
    edited.write('EDITED', 100);
    const a = tlshOf(text)!;
    const b = tlshOf(edited)!;
    const c = tlshOf(Buffer.from(randomBytes(3000).toString('base64')))!;
    expect(tlshDistance(a, a)).toBe(0);
    expect(tlshDistance(a, b)).toBeLessThan(60);
    expect(tlshDistance(a, c)).toBeGreaterThan(tlshDistance(a, b));
    expect(tlshOf(new Uint8Array(100))).toBeUndefined();
    expect(tlshOf(new Uint8Array(4096))).toBeUndefined();
  });
});

describe('when a release adds and removes many files', () => {
  it('aligns 20000 files per side and spends no more than the comparison budget', async () => {
    const make = (root: string, prefix: string) => ({
      subjects: [subject(root)],
      nodes: Array.from({ length: 20_000 }, (_, index) =>
        node(`${root}!/${prefix}/f${index}.js`, `${prefix}${index}`),
      ),
    });
    let calls = 0;
    const diff = await alignTrees(make('a-1.0.0.zip', 'old'), make('a-1.0.1.zip', 'new'), {
      distance: async () => {
        calls += 1;
        return undefined;
      },
      maxComparisons: 100,
    });
    expect(calls).toBe(100);
    expect(diff.counts).toMatchObject({ added: 20_000, removed: 20_000 });
  });
});
