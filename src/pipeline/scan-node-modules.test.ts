import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import type { LockfilePackagesFact } from '../analyzers/lockfile.js';
import type { ScanResult } from '../core/scan-result.js';
import { isChosenOmission, scan } from './scan.js';

const project = (name: string) =>
  fileURLToPath(new URL(`../../test/fixtures/projects/data/${name}`, import.meta.url));

const relative = (result: ScanResult, path: string) => path.slice(result.subjects[0]!.name.length + 1);

function lockedPaths(result: ScanResult): string[] {
  const lockfile = result.nodes.find((node) => relative(result, node.path) === 'package-lock.json');
  const fact = lockfile?.facts.find((item) => item.kind === 'lockfile.packages') as
    | LockfilePackagesFact
    | undefined;
  return (fact?.packages ?? []).map((entry) => entry.path).sort();
}

describe('when a project folder is scanned without --deep', () => {
  it('lists its own files and every locked package, and says node_modules was left out', async () => {
    const result = await scan([project('installed-match')], { digests: ['sha256'], nodeModules: 'skip' });
    expect(result.nodes.map((node) => relative(result, node.path)).sort()).toEqual([
      'index.js',
      'package-lock.json',
      'package.json',
    ]);
    expect(lockedPaths(result)).toHaveLength(5);
    expect(result.gaps.map((gap) => [relative(result, gap.node), gap.code])).toEqual([
      ['node_modules', 'E_SCAN_NOT_DEEP'],
    ]);
    expect(result.gaps[0]!.message).toMatch(/3 installed packages not analysed.*--deep/);
    expect(result.gaps.every(isChosenOmission)).toBe(true);
    expect(result.findings.filter((finding) => finding.ruleId === 'npm.lockfile.installed-mismatch')).toEqual(
      [],
    );
  });

  it('still walks a node_modules folder given as the input', async () => {
    const result = await scan([`${project('installed-match')}/node_modules`], {
      digests: ['sha256'],
      nodeModules: 'skip',
    });
    expect(result.gaps).toEqual([]);
    expect(result.nodes.some((node) => node.path.endsWith('example-util/package.json'))).toBe(true);
  });
});

describe('when a project folder is scanned with --deep', () => {
  it('analyses node_modules and notes only the optional package npm left out for another platform', async () => {
    const result = await scan([project('installed-match')], { digests: ['sha256'], nodeModules: 'analyse' });
    expect(result.nodes.some((node) => node.path.endsWith('example-util/index.js'))).toBe(true);
    expect(result.gaps.map((gap) => [gap.code, gap.details?.missing, isChosenOmission(gap)])).toEqual([
      ['E_LOCKFILE_NOT_INSTALLED', 1, true],
    ]);
    expect(result.gaps[0]!.message).toContain('node_modules/@example/native-darwin-arm64@1.0.0');
  });

  it('counts locked packages that are not installed, production apart from development and optional', async () => {
    const result = await scan([project('not-installed')], { digests: ['sha256'], nodeModules: 'analyse' });
    const gaps = result.gaps.map((gap) => ({
      node: relative(result, gap.node),
      missing: gap.details?.missing,
      isChosen: isChosenOmission(gap),
      message: gap.message,
    }));
    expect(gaps).toEqual([
      {
        node: 'package-lock.json',
        missing: 1,
        isChosen: false,
        message: expect.stringMatching(
          /^1 of 5 locked packages are not installed: not analysed \(node_modules\/example-colors\/node_modules\/example-util@2\.0\.0\)$/,
        ),
      },
      {
        node: 'package-lock.json',
        missing: 2,
        isChosen: true,
        message: expect.stringMatching(/^2 of 5 locked packages \(development or optional/),
      },
    ]);
  });

  it('reports an installed version other than the locked one, with both sides as evidence', async () => {
    const result = await scan([project('installed-version-mismatch')], {
      digests: ['sha256'],
      nodeModules: 'analyse',
    });
    const hits = result.findings.filter((finding) => finding.ruleId === 'npm.lockfile.installed-mismatch');
    expect(hits.map((hit) => [relative(result, hit.path), hit.message])).toEqual([
      [
        'node_modules/example-colors/package.json',
        'node_modules/example-colors: the lockfile pins example-colors@1.0.0, the install holds version 1.0.1 (locked: 1.0.0)',
      ],
    ]);
    expect(hits[0]!.evidence.map((item) => [item.role, relative(result, item.node)])).toEqual([
      ['primary', 'node_modules/example-colors/package.json'],
      ['supporting', 'package-lock.json'],
    ]);
  });

  it('reports a package npm installed from other tarball bytes than the lockfile pins', async () => {
    const result = await scan([project('installed-integrity-mismatch')], {
      digests: ['sha256'],
      nodeModules: 'analyse',
    });
    const hits = result.findings.filter((finding) => finding.ruleId === 'npm.lockfile.installed-mismatch');
    expect(hits).toHaveLength(1);
    expect(hits[0]!.message).toMatch(/example-colors@1\.0\.0, the install holds integrity sha512-/);
    expect(hits[0]!.evidence.map((item) => relative(result, item.node))).toEqual([
      'node_modules/example-colors/package.json',
      'node_modules/.package-lock.json',
      'package-lock.json',
    ]);
  });
});
