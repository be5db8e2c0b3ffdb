import { copyFile, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { NodePath } from '../core/node-path.js';
import { type ScanOptions, scan } from './scan.js';
import { type Scanner, vet } from './vet.js';
import { DEFAULT_VET_POLICY, decide, type VetFinding } from './vet-verdict.js';

const pair = (name: string, side: 'baseline' | 'candidate') =>
  fileURLToPath(new URL(`../../test/fixtures/vet/data/pairs/${name}/${side}`, import.meta.url));

function finding(overrides: Partial<VetFinding>): VetFinding {
  return {
    ruleId: 'x.rule',
    ruleVersion: 1,
    identifies: 'threat.test',
    title: 't',
    severity: 'medium',
    confidence: 'medium',
    path: 'a!/b' as NodePath,
    message: 'm',
    evidence: [],
    references: [],
    fingerprint: '0'.repeat(32),
    origin: 'diff',
    ...overrides,
  };
}

describe('when findings are turned into a verdict', () => {
  it('passes with no findings and says so', () => {
    const verdict = decide([]);
    expect(verdict.decision).toBe('pass');
    expect(verdict.reasons).toEqual(['pass: no finding new in this release']);
    expect(verdict.policy).toEqual({ id: DEFAULT_VET_POLICY.id, version: DEFAULT_VET_POLICY.version });
  });

  it('blocks on a high finding of medium confidence, reviews a medium one, passes a low one', () => {
    expect(decide([finding({ severity: 'high' })]).decision).toBe('block');
    expect(decide([finding({ severity: 'high', confidence: 'low' })]).decision).toBe('review');
    expect(decide([finding({ severity: 'medium' })]).decision).toBe('review');
    expect(decide([finding({ severity: 'low' })]).decision).toBe('pass');
  });

  it('blocks when many medium findings add up past the block score', () => {
    const many = Array.from({ length: 5 }, (_, index) =>
      finding({ ruleId: `r${index}`, severity: 'medium' }),
    );
    const verdict = decide(many, {
      ...DEFAULT_VET_POLICY,
      review: { severity: 'critical', confidence: 'high' },
    });
    expect(verdict.score.total).toBe(40);
    expect(verdict.decision).toBe('block');
    expect(verdict.reasons[0]).toContain('score 40 reaches 40');
  });

  it('lists but does not count what the trusted baseline had too, unless the policy says so', () => {
    const inherited = finding({ severity: 'critical', origin: 'inherited' });
    const verdict = decide([inherited]);
    expect(verdict.decision).toBe('pass');
    expect(verdict.score.lines[0]!.excluded).toBeDefined();
    expect(decide([inherited], { ...DEFAULT_VET_POLICY, countInherited: true }).decision).toBe('block');
  });

  it('honours configured thresholds', () => {
    const strict = { ...DEFAULT_VET_POLICY, block: { severity: 'medium', confidence: 'low' } } as const;
    expect(decide([finding({ severity: 'medium' })], strict).decision).toBe('block');
  });
});

describe('when a release is vetted', () => {
  it('reuses a baseline scan given as a result instead of scanning it again', async () => {
    const baseline = await scan([pair('stock-rebuilt', 'baseline')]);
    const scanned: string[][] = [];
    const scanner: Scanner = (inputs: readonly string[], options: ScanOptions) => {
      scanned.push([...inputs]);
      return scan(inputs, options);
    };
    const result = await vet([pair('stock-rebuilt', 'candidate')], baseline, { scanner });
    expect(scanned).toEqual([[pair('stock-rebuilt', 'candidate')]]);
    expect(result.baseline).toBe(baseline);
    expect(result.verdict.decision).toBe('block');
  });

  it('marks a node finding the baseline had at the same place as inherited', async () => {
    const result = await vet([pair('pe-padding-kept', 'candidate')], [pair('pe-padding-kept', 'baseline')]);
    const padding = result.findings.find((item) => item.ruleId === 'pe.authenticode.data-after-signature');
    expect(padding?.origin).toBe('inherited');
    expect(result.verdict.decision).toBe('pass');
  });
});

describe('when the same tampering ships again in a later release', () => {
  it("keeps the diff findings' fingerprints, though the release names differ", async () => {
    const releases = fileURLToPath(new URL('../../test/fixtures/vet/data/releases/', import.meta.url));
    const dir = await mkdtemp(join(tmpdir(), 'countersign-vet-fingerprint-'));
    try {
      await copyFile(join(releases, 'ExampleDesk-1.0.2.zip'), join(dir, 'ExampleDesk-1.0.3.zip'));
      const baseline = await scan([join(releases, 'ExampleDesk-1.0.1.zip')]);
      const first = await vet([join(releases, 'ExampleDesk-1.0.2.zip')], baseline);
      const again = await vet([join(dir, 'ExampleDesk-1.0.3.zip')], baseline);
      const prints = (result: typeof first) =>
        result.findings.filter((item) => item.origin === 'diff').map((item) => item.fingerprint);
      expect(prints(first).length).toBeGreaterThan(0);
      expect(prints(again)).toEqual(prints(first));
      expect(again.findings[0]!.path).toContain('ExampleDesk-1.0.3.zip');
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe('when a file was renamed and edited between two folder releases', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'countersign-vet-rename-'));
    const lines = Array.from(
      { length: 80 },
      (_, index) => `export const value${index} = ${index * 7919} % 104729;`,
    );
    for (const side of ['baseline', 'candidate']) await mkdir(join(dir, side), { recursive: true });
    await writeFile(join(dir, 'baseline', 'util.js'), `${lines.join('\n')}\n`);
    await writeFile(join(dir, 'candidate', 'helpers.js'), `${lines.join('\n')}\nexport const extra = 1;\n`);
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('pairs them by TLSH distance, and not without fuzzy matching', async () => {
    const fuzzy = await vet([join(dir, 'candidate')], [join(dir, 'baseline')]);
    const renamed = fuzzy.diff.pairs.find((item) => item.status === 'renamed');
    expect(renamed?.baseline?.path).toBe('baseline/util.js');
    expect(renamed?.candidate?.path).toBe('candidate/helpers.js');
    expect(renamed?.distance).toBeLessThan(60);
    const exact = await vet([join(dir, 'candidate')], [join(dir, 'baseline')], { fuzzy: false });
    expect(exact.diff.counts).toMatchObject({ renamed: 0, added: 1, removed: 1 });
  });
});
