import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../../test/support/run-cli.js';
import { EXIT } from './exit-codes.js';

const root = fileURLToPath(new URL('../..', import.meta.url));
const fixture = (name: string) => join(root, 'test/fixtures/npm/data', name);
const pair = (name: string) => join(root, 'test/fixtures/vet/data/pairs', name);

let home: string;
beforeAll(async () => {
  home = await mkdtemp(join(tmpdir(), 'countersign-packument-test-'));
});
afterAll(async () => {
  await rm(home, { recursive: true, force: true });
});

const countersign = (...args: string[]) => runCli(home, args);

describe('scan --packument', () => {
  it('judges the tarball against the registry manifest of the same name', () => {
    const run = countersign(
      'scan',
      fixture('confusion'),
      '--packument',
      fixture('confusion.packument.json'),
      '--json',
    );
    expect(run.code).toBe(EXIT.ok);
    const report = JSON.parse(run.stdout) as {
      findings: { ruleId: string }[];
      nodes: { facts: { kind: string }[] }[];
    };
    expect(report.findings.map((finding) => finding.ruleId)).toContain('npm.manifest-confusion');
    expect(report.nodes.flatMap((node) => node.facts.map((fact) => fact.kind))).toContain('npm.registry');
  });

  it('without it, says nothing about the registry', () => {
    const run = countersign('scan', fixture('confusion'), '--json');
    expect(run.code).toBe(EXIT.ok);
    expect(run.stdout).not.toContain('npm.manifest-confusion');
    expect(run.stdout).not.toContain('npm.registry');
  });

  it('exits 3 with a typed error when the file is missing or is no packument', () => {
    const missing = countersign('scan', fixture('plain'), '--packument', join(home, 'absent.json'));
    expect(missing.code).toBe(EXIT.input);
    expect(missing.stderr).toContain('E_INPUT_NOT_FOUND');
    const wrong = countersign('scan', fixture('plain'), '--packument', fixture('plain/package/package.json'));
    expect(wrong.code).toBe(EXIT.input);
    expect(wrong.stderr).toMatch(/not an npm packument.*E_INPUT_UNREADABLE/);
  });
});

describe('vet and diff --packument', () => {
  it('vet names the lost provenance from the registry metadata of both versions', () => {
    const run = countersign(
      'vet',
      join(pair('npm-provenance-lost'), 'candidate'),
      '--baseline',
      join(pair('npm-provenance-lost'), 'baseline'),
      '--packument',
      join(pair('npm-provenance-lost'), 'packument.json'),
      '--fail-on',
      'review',
      '--no-cache',
    );
    expect(run.code).toBe(EXIT.findings);
    expect(run.stdout).toMatch(/REVIEW/);
    expect(run.stdout).toContain('npm.provenance.lost');
  });

  it('diff without it stays quiet on the same pair (nothing in the files changed but the version)', () => {
    const run = countersign(
      'diff',
      join(pair('npm-provenance-lost'), 'baseline'),
      join(pair('npm-provenance-lost'), 'candidate'),
      '--fail-on',
      'review',
      '--no-cache',
    );
    expect(run.code).toBe(EXIT.ok);
    expect(run.stdout).not.toContain('npm.provenance.lost');
  });

  it('vet says a new dependency is not imported by any file (module references are extracted)', () => {
    const run = countersign(
      'vet',
      join(pair('npm-dependency-added-unused'), 'candidate'),
      '--baseline',
      join(pair('npm-dependency-added-unused'), 'baseline'),
      '--no-cache',
    );
    expect(run.code).toBe(EXIT.ok);
    expect(run.stdout).toContain('npm.dependency.added-unused');
    expect(run.stdout).toContain('not imported by any of its 1 script file(s)');
  });
});
