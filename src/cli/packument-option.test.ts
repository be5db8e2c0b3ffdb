import { spawnSync } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EXIT } from './exit-codes.js';

const root = fileURLToPath(new URL('../..', import.meta.url));
const fixture = (name: string) => join(root, 'test/fixtures/npm/data', name);

let home: string;
beforeAll(async () => {
  home = await mkdtemp(join(tmpdir(), 'countersign-packument-test-'));
});
afterAll(async () => {
  await rm(home, { recursive: true, force: true });
});

/** Runs the real CLI from the sources in a child process, with a home of its own (no intel). */
function countersign(...args: string[]) {
  const run = spawnSync(process.execPath, ['--import', 'tsx', join(root, 'src/cli/main.ts'), ...args], {
    cwd: root,
    encoding: 'utf8',
    timeout: 60_000,
    env: { ...process.env, COUNTERSIGN_HOME: home },
  });
  return { code: run.status, stdout: run.stdout, stderr: run.stderr };
}

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
