import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../../test/support/run-cli.js';
import { EXIT } from './exit-codes.js';

const root = fileURLToPath(new URL('../..', import.meta.url));
const home = mkdtempSync(join(tmpdir(), 'countersign-vet-home-'));
const release = (version: string) =>
  join(root, 'test/fixtures/vet/data/releases', `ExampleDesk-${version}.zip`);
const pair = (name: string, side: 'baseline' | 'candidate') =>
  join(root, 'test/fixtures/vet/data/pairs', name, side);

const countersign = (...args: string[]) => runCli(home, args);

interface VetJson {
  kind: string;
  schemaVersion: string;
  subjects: Array<{ name: string }>;
  nodes: Array<{ path: string }>;
  verdict: {
    decision: string;
    reasons: string[];
    score: { total: number; lines: Array<{ points: number }> };
  };
  findings: Array<{
    ruleId: string;
    severity: string;
    confidence: string;
    path: string;
    message: string;
    origin: string;
    evidence: Array<{ role: string; node: string }>;
  }>;
  baseline: { subjects: Array<{ name: string }> };
  diff: { counts: Record<string, number>; pairs: Array<{ status: string; candidate?: string }> };
}

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'countersign-vet-test-'));
});
afterAll(async () => {
  rmSync(home, { recursive: true, force: true });
  await rm(dir, { recursive: true, force: true });
});

describe('when the trojanized 3CX-style release 1.0.2 is vetted against 1.0.1', () => {
  it('blocks, citing both planted tamperings with their nested node paths', async () => {
    const output = join(dir, 'vet.json');
    const run = countersign(
      'vet',
      release('1.0.2'),
      '--baseline',
      release('1.0.1'),
      '--json',
      '-o',
      output,
      '-q',
    );
    expect(run.code).toBe(EXIT.ok);
    const report = JSON.parse(await readFile(output, 'utf8')) as VetJson;
    expect(report.kind).toBe('countersign/vet');
    expect(report.verdict.decision).toBe('block');
    expect(report.subjects[0]!.name).toBe('ExampleDesk-1.0.2.zip');
    expect(report.baseline.subjects[0]!.name).toBe('ExampleDesk-1.0.1.zip');
    const cited = report.findings.map((finding) => `${finding.ruleId} ${finding.path}`);
    expect(cited).toContain('component.stock-changed ExampleDesk-1.0.2.zip!/ExampleDesk/ffmpeg.dll');
    expect(cited).toContain('pe.capability.added ExampleDesk-1.0.2.zip!/ExampleDesk/ffmpeg.dll');
    expect(cited).toContain(
      'pe.authenticode.anomaly.added ExampleDesk-1.0.2.zip!/ExampleDesk/d3dcompiler_47.dll',
    );
    for (const finding of report.findings) {
      expect(report.nodes.some((node) => node.path === finding.path)).toBe(true);
      expect(finding.evidence.some((item) => item.role === 'primary')).toBe(true);
    }
    expect(report.verdict.reasons.some((reason) => reason.includes('d3dcompiler_47.dll'))).toBe(true);
    const sum = report.verdict.score.lines.reduce((total, line) => total + line.points, 0);
    expect(report.verdict.score.total).toBeCloseTo(sum, 5);
  });

  it('exits 1 with --fail-on block and prints the evidence first in text', () => {
    const run = countersign('vet', release('1.0.2'), '--baseline', release('1.0.1'), '--fail-on', 'block');
    expect(run.code).toBe(EXIT.findings);
    expect(run.stdout.split('\n')[0]).toMatch(/^BLOCK {2}ExampleDesk-1\.0\.2\.zip/);
    const finding = run.stdout.indexOf('pe.authenticode.anomaly.added');
    const evidence = run.stdout.indexOf(
      'primary  ExampleDesk-1.0.2.zip!/ExampleDesk/d3dcompiler_47.dll@',
      finding,
    );
    const message = run.stdout.indexOf('bytes after the PKCS#7 end', finding);
    expect(finding).toBeGreaterThan(0);
    expect(evidence).toBeGreaterThan(finding);
    expect(message).toBeGreaterThan(evidence);
    expect(run.stderr).toBe('');
  });
});

describe('when the same releases are shipped as signed MSIs', () => {
  const msi = (version: string) =>
    join(root, 'test/fixtures/vet/data/releases', `ExampleDesk-${version}.msi`);

  it('blocks 1.0.2 against 1.0.1, naming both tampered DLLs under their installed paths', () => {
    const run = countersign('vet', msi('1.0.2'), '--baseline', msi('1.0.1'), '--json', '--no-intel', '-q');
    expect(run.code).toBe(EXIT.ok);
    const report = JSON.parse(run.stdout) as VetJson;
    expect(report.verdict.decision).toBe('block');
    const cited = report.findings.map((finding) => `${finding.ruleId} ${finding.path}`);
    const installed = 'ExampleDesk-1.0.2.msi!/ProgramFilesFolder/ExampleDesk';
    expect(cited).toContain(`component.stock-changed ${installed}/ffmpeg.dll`);
    expect(cited).toContain(`pe.capability.added ${installed}/ffmpeg.dll`);
    expect(cited).toContain(`pe.authenticode.anomaly.added ${installed}/d3dcompiler_47.dll`);
  });

  it('passes 1.0.1 against 1.0.0 with nothing above low', () => {
    const run = countersign('vet', msi('1.0.1'), '--baseline', msi('1.0.0'), '--json', '--no-intel', '-q');
    const report = JSON.parse(run.stdout) as VetJson;
    expect(report.verdict.decision).toBe('pass');
    const ranks = ['info', 'low'];
    for (const finding of report.findings) expect(ranks, finding.ruleId).toContain(finding.severity);
  });
});

describe('when the benign update 1.0.1 is vetted against 1.0.0', () => {
  it('passes with nothing above low, and exits 0 even with --fail-on review', () => {
    const run = countersign(
      'vet',
      release('1.0.1'),
      '--baseline',
      release('1.0.0'),
      '--json',
      '--fail-on',
      'review',
    );
    expect(run.code).toBe(EXIT.ok);
    const report = JSON.parse(run.stdout) as VetJson;
    expect(report.verdict.decision).toBe('pass');
    expect(report.findings.filter((finding) => !['info', 'low'].includes(finding.severity))).toEqual([]);
    expect(report.diff.counts.modified).toBeGreaterThan(0);
  });
});

describe('when --fail-on meets a review verdict', () => {
  it('exits 1 for review and 0 for block', () => {
    const args = [
      'vet',
      pair('npm-native-added', 'candidate'),
      '--baseline',
      pair('npm-native-added', 'baseline'),
    ];
    const review = countersign(...args, '--fail-on', 'review', '--json');
    expect((JSON.parse(review.stdout) as VetJson).verdict.decision).toBe('review');
    expect(review.code).toBe(EXIT.findings);
    expect(countersign(...args, '--fail-on', 'block').code).toBe(EXIT.ok);
  });
});

describe('when a policy file sets the thresholds', () => {
  it('blocks a release the default policy only reviews, and names the policy', async () => {
    const policy = join(dir, 'strict.json');
    await writeFile(policy, JSON.stringify({ id: 'acme/strict', block: { severity: 'medium' } }));
    const args = [
      'vet',
      pair('npm-native-added', 'candidate'),
      '--baseline',
      pair('npm-native-added', 'baseline'),
    ];
    const run = countersign(...args, '--policy', policy, '--json', '--fail-on', 'block');
    expect(run.code).toBe(EXIT.findings);
    expect((JSON.parse(run.stdout) as VetJson).verdict.decision).toBe('block');
    await writeFile(policy, JSON.stringify({ block: { severity: 'extreme' } }));
    const bad = countersign(...args, '--policy', policy);
    expect(bad.code).toBe(EXIT.usage);
    expect(bad.stderr).toContain('block.severity');
  });
});

describe('when part of a release cannot be looked at', () => {
  it('reports the gap, exits 0 by default and 4 with --strict', async () => {
    const truncated = join(dir, 'ExampleDesk-1.0.2.zip');
    const bytes = await readFile(release('1.0.2'));
    await writeFile(truncated, bytes.subarray(0, bytes.length - 100));
    const lenient = countersign('vet', truncated, '--baseline', release('1.0.1'), '--json');
    expect(lenient.code).toBe(EXIT.ok);
    expect((JSON.parse(lenient.stdout) as { gaps: unknown[] }).gaps.length).toBeGreaterThan(0);
    expect(countersign('vet', truncated, '--baseline', release('1.0.1'), '--strict', '-q').code).toBe(
      EXIT.incomplete,
    );
    expect(countersign('diff', release('1.0.1'), truncated, '--strict', '-q').code).toBe(EXIT.incomplete);
  });
});

describe('when diffing two releases', () => {
  it('lists the changed nodes with their new facts and the diff findings', () => {
    const run = countersign(
      'diff',
      pair('npm-install-script-added', 'baseline'),
      pair('npm-install-script-added', 'candidate'),
    );
    expect(run.code).toBe(EXIT.ok);
    expect(run.stdout).toContain('M candidate/package/package.json');
    expect(run.stdout).toContain('A candidate/package/setup.js');
    expect(run.stdout).toContain('~npm.manifest');
    expect(run.stdout).toContain('npm.install-script.added');
  });
});

describe('when the command line is wrong', () => {
  it('exits 2 without --baseline or with a bad --fail-on, and 3 for a missing baseline', () => {
    expect(countersign('vet', release('1.0.1')).code).toBe(EXIT.usage);
    expect(
      countersign('vet', release('1.0.1'), '--baseline', release('1.0.0'), '--fail-on', 'maybe').code,
    ).toBe(EXIT.usage);
    const missing = countersign('vet', release('1.0.1'), '--baseline', join(dir, 'nope.zip'), '-q');
    expect(missing.code).toBe(EXIT.input);
    expect(missing.stderr).toContain('E_INPUT_NOT_FOUND');
  });
});

describe('the analysis cache', () => {
  it('is kept under COUNTERSIGN_HOME by default, in --cache-dir on request, and not at all with --no-cache', () => {
    const first = countersign('vet', release('1.0.2'), '--baseline', release('1.0.1'), '--json', '-q');
    expect(first.code).toBe(EXIT.ok);
    const trees = () => readdirSync(join(home, 'cache', 'trees')).length;
    const kept = trees();
    expect(kept).toBeGreaterThanOrEqual(2);
    // Both releases were seen: vetting them again writes no new tree.
    countersign('vet', release('1.0.2'), '--baseline', release('1.0.1'), '-q');
    expect(trees()).toBe(kept);

    const elsewhere = join(dir, 'cache-elsewhere');
    const second = countersign(
      'diff',
      release('1.0.1'),
      release('1.0.2'),
      '--json',
      '--cache-dir',
      elsewhere,
    );
    expect(existsSync(join(elsewhere, 'analysis.sqlite'))).toBe(true);
    // The same verdict from a cold cache and from a warm one.
    const warm = countersign('diff', release('1.0.1'), release('1.0.2'), '--json', '--cache-dir', elsewhere);
    const decision = (run: { stdout: string }) => (JSON.parse(run.stdout) as VetJson).verdict.decision;
    expect(decision(warm)).toBe('block');
    expect(decision(second)).toBe(decision(warm));
    expect(decision(first)).toBe(decision(warm));

    const none = join(dir, 'cache-none');
    countersign(
      'vet',
      release('1.0.2'),
      '--baseline',
      release('1.0.1'),
      '--no-cache',
      '--cache-dir',
      none,
      '-q',
    );
    expect(existsSync(none)).toBe(false);
  });
});
