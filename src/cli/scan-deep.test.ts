import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { EXIT } from './exit-codes.js';

const root = fileURLToPath(new URL('../..', import.meta.url));
const project = (name: string) => join(root, 'test/fixtures/projects/data', name);

/** Runs the real CLI from the sources in a child process, with no intel (a home of its own). */
function countersign(...args: string[]) {
  const run = spawnSync(process.execPath, ['--import', 'tsx', join(root, 'src/cli/main.ts'), ...args], {
    cwd: root,
    encoding: 'utf8',
    timeout: 60_000,
    env: { ...process.env, COUNTERSIGN_HOME: join(root, 'test/fixtures/projects/no-home') },
  });
  return { code: run.status, stdout: run.stdout, stderr: run.stderr };
}

describe('when a project folder is scanned from the command line', () => {
  it('without --deep, says node_modules was not walked, and --strict still passes', () => {
    const run = countersign('scan', project('installed-match'), '--strict', '-q', '--no-intel');
    expect(run.stderr).toBe('');
    expect(run.code).toBe(EXIT.ok);
    expect(run.stdout).toContain('E_SCAN_NOT_DEEP');
    expect(run.stdout).toMatch(/3 installed packages not analysed .*scan with --deep/);
  });

  it('with --deep, reports the mismatch and fails --strict when a production package is missing', () => {
    const mismatch = countersign('scan', project('installed-version-mismatch'), '--deep', '--json', '-q');
    const report = JSON.parse(mismatch.stdout) as { findings: Array<{ ruleId: string }> };
    expect(report.findings.map((finding) => finding.ruleId)).toContain('npm.lockfile.installed-mismatch');
    expect(countersign('scan', project('installed-match'), '--deep', '--strict', '-q').code).toBe(EXIT.ok);
    const missing = countersign('scan', project('not-installed'), '--deep', '--strict', '-q');
    expect(missing.code).toBe(EXIT.incomplete);
    expect(missing.stdout).toContain('1 of 5 locked packages are not installed: not analysed');
  });
});
