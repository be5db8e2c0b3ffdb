import { spawnSync } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
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

/** `scan <folder> --deep --strict --json`: the exit code and the rule ids of the findings. */
function scanDeepStrict(folder: string) {
  const run = countersign('scan', folder, '--deep', '--strict', '--json', '-q', '--no-intel');
  const report = JSON.parse(run.stdout) as { findings: Array<{ ruleId: string }> };
  return { code: run.code, ruleIds: report.findings.map((item) => item.ruleId) };
}

const MISMATCH = 'npm.lockfile.installed-mismatch';

describe('when a pnpm or yarn project folder is scanned with --deep', () => {
  const scratch = mkdtempSync(join(tmpdir(), 'countersign-scan-deep-'));
  afterAll(() => rmSync(scratch, { recursive: true, force: true }));

  it('pnpm: passes --strict when installed as locked, reports an edited version, fails on a missing package', () => {
    expect(scanDeepStrict(project('pnpm-match'))).toEqual({ code: EXIT.ok, ruleIds: [] });
    const edited = scanDeepStrict(project('pnpm-version-mismatch'));
    expect(edited).toEqual({ code: EXIT.ok, ruleIds: [MISMATCH] });
    const missing = countersign(
      'scan',
      project('pnpm-not-installed'),
      '--deep',
      '--strict',
      '-q',
      '--no-intel',
    );
    expect(missing.code).toBe(EXIT.incomplete);
    expect(missing.stdout).toContain('1 of 5 locked packages are not installed: not analysed');
  });

  it("pnpm: a store filled from another lockfile (pnpm's record of the install says another integrity) is reported", () => {
    const copy = join(scratch, 'pnpm-integrity');
    cpSync(project('pnpm-match'), copy, { recursive: true, verbatimSymlinks: true });
    const record = join(copy, 'node_modules/.pnpm/lock.yaml');
    const other =
      'sha512-AAAAzubTLZG3J2a/NVCAleEhjzq5oxgHyaCU9yYXvcLsvoVaHJq/s5xXI6/XXP6tz7R9xAOtHnSO/tXtF3WRTlA==';
    writeFileSync(record, readFileSync(record, 'utf8').replace(/sha512-6Flz[^}]+/, other));
    const run = countersign('scan', copy, '--deep', '--strict', '--json', '-q', '--no-intel');
    const report = JSON.parse(run.stdout) as {
      findings: Array<{ ruleId: string; path: string; message: string; evidence: Array<{ node: string }> }>;
    };
    expect(run.code).toBe(EXIT.ok);
    expect(report.findings.map((finding) => finding.ruleId)).toEqual([MISMATCH]);
    const [finding] = report.findings;
    expect(finding!.path).toMatch(/node_modules\/\.pnpm\/ms@2\.1\.3\/node_modules\/ms\/package\.json$/);
    expect(finding!.message).toMatch(/integrity/);
    expect(finding!.evidence.some((item) => item.node.endsWith('node_modules/.pnpm/lock.yaml'))).toBe(true);
  });

  it('yarn classic: reports an installed version the lockfile does not pin, and nothing when it matches', () => {
    expect(scanDeepStrict(project('yarn-classic-match'))).toEqual({ code: EXIT.ok, ruleIds: [] });
    expect(scanDeepStrict(project('yarn-classic-version-mismatch'))).toEqual({
      code: EXIT.ok,
      ruleIds: [MISMATCH],
    });
  });

  it('yarn: a production install (dev packages left out) passes --strict; a missing production package fails it', () => {
    // yarn.lock records no dev flag: the kinds come from package.json through the lockfile's graph.
    for (const name of ['yarn-classic-match', 'yarn-berry-node-modules']) {
      const production = join(scratch, `${name}-production`);
      cpSync(project(name), production, { recursive: true, verbatimSymlinks: true });
      rmSync(join(production, 'node_modules/is-odd'), { recursive: true });
      const omitted = countersign('scan', production, '--deep', '--strict', '-q', '--no-intel');
      expect(omitted.code, name).toBe(EXIT.ok);
      expect(omitted.stdout, name).toMatch(/2 of \d+ locked packages \(development or optional/);
      const broken = join(scratch, `${name}-broken`);
      cpSync(project(name), broken, { recursive: true, verbatimSymlinks: true });
      rmSync(join(broken, 'node_modules/ms'), { recursive: true });
      const missing = countersign('scan', broken, '--deep', '--strict', '-q', '--no-intel');
      expect(missing.code, name).toBe(EXIT.incomplete);
      expect(missing.stdout, name).toMatch(
        /1 of \d+ locked packages are not installed: not analysed \(ms@2\.1\.3\)/,
      );
    }
  });

  it('yarn berry: a PnP cache and a node_modules install pass --strict; an edited copy is reported', () => {
    // .pnp.cjs, yarn's runtime, decodes base64 (an informational capability finding).
    expect(scanDeepStrict(project('yarn-berry-pnp'))).toEqual({
      code: EXIT.ok,
      ruleIds: ['js.capability.decode'],
    });
    expect(scanDeepStrict(project('yarn-berry-node-modules'))).toEqual({ code: EXIT.ok, ruleIds: [] });
    // A copy with ms's installed version edited (the fixtures are never edited in place).
    const copy = join(scratch, 'yarn-berry-node-modules');
    cpSync(project('yarn-berry-node-modules'), copy, { recursive: true, verbatimSymlinks: true });
    const manifest = join(copy, 'node_modules/ms/package.json');
    writeFileSync(
      manifest,
      readFileSync(manifest, 'utf8').replace('"version": "2.1.3"', '"version": "2.1.2"'),
    );
    expect(scanDeepStrict(copy)).toEqual({ code: EXIT.ok, ruleIds: [MISMATCH] });
  });
});
