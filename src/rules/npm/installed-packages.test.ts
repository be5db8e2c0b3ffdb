import { describe, expect, it } from 'vitest';
import type { LockfilePackagesFact } from '../../analyzers/lockfile.js';
import type { NpmManifestFact } from '../../analyzers/npm-manifest.js';
import type { Fact } from '../../core/facts.js';
import type { NodePath } from '../../core/node-path.js';
import type { ScanNode } from '../../core/scan-result.js';
import { compareInstalled } from './installed-packages.js';

type Locked = LockfilePackagesFact['packages'][number];

function node(path: string, facts: Fact[] = [], entryKind: ScanNode['entryKind'] = 'file'): ScanNode {
  return {
    path: path as NodePath,
    depth: path.includes('!/') ? 1 : 0,
    name: path.slice(path.lastIndexOf('/') + 1),
    entryKind,
    size: 1,
    type: 'json',
    flags: [],
    facts,
  };
}

function locked(path: string, name: string, version: string, extra: Partial<Locked> = {}): Locked {
  return {
    name,
    version,
    path,
    source: 'registry',
    kind: 'prod',
    purl: `pkg:npm/${name}@${version}`,
    ...extra,
  };
}

function lockfile(
  path: string,
  packages: Locked[],
  format: LockfilePackagesFact['format'] = 'npm',
): ScanNode {
  const fact = {
    kind: 'lockfile.packages',
    format,
    lockfileVersion: '3',
    importers: ['.'],
    packages,
    skippedCount: 0,
  };
  return node(path, [fact as Fact]);
}

function manifest(path: string, name: string, version: string): ScanNode {
  const fact = { kind: 'npm.manifest', name, version, lifecycleScripts: {} } as NpmManifestFact & {
    kind: 'npm.manifest';
  };
  return node(path, [fact as Fact]);
}

describe('when installed packages are compared with their lockfile', () => {
  it('finds packages by install path, nested ones too, as npm v1 and v3 lockfiles key them', () => {
    const nodes = [
      lockfile('app/package-lock.json', [
        locked('node_modules/a', 'a', '1.0.0'),
        locked('node_modules/a/node_modules/b', 'b', '2.0.0'),
        locked('node_modules/c', 'c', '3.0.0'),
      ]),
      manifest('app/node_modules/a/package.json', 'a', '1.0.0'),
      manifest('app/node_modules/a/node_modules/b/package.json', 'b', '2.0.1'),
    ];
    const [project] = compareInstalled(nodes);
    expect(project!.root).toBe('app/');
    expect(project!.differences.map((item) => [item.locked.path, item.fields])).toEqual([
      ['node_modules/a/node_modules/b', [{ field: 'version', expected: '2.0.0', actual: '2.0.1' }]],
    ]);
    expect(project!.missing.map((item) => item.path)).toEqual(['node_modules/c']);
  });

  it('counts a link or a folder without a readable package.json as installed', () => {
    const nodes = [
      lockfile('app/package-lock.json', [
        locked('node_modules/linked', 'linked', '1.0.0'),
        locked('node_modules/odd', 'odd', '1.0.0'),
      ]),
      node('app/node_modules/linked', [], 'symlink'),
      node('app/node_modules/odd/lib/index.js'),
    ];
    expect(compareInstalled(nodes)[0]!.missing).toEqual([]);
  });

  it('does not compare git or file specs as versions', () => {
    const nodes = [
      lockfile('app/package-lock.json', [
        locked('node_modules/g', 'g', 'git+https://git.example.invalid/g.git#0123abc', { source: 'git' }),
      ]),
      manifest('app/node_modules/g/package.json', 'g', '1.2.3'),
    ];
    expect(compareInstalled(nodes)[0]!.differences).toEqual([]);
  });

  it('compares integrity only over a hash algorithm both sides record', () => {
    const pinned = 'sha1-AAAA sha512-BBBB';
    const nodes = [
      lockfile('app/package-lock.json', [
        locked('node_modules/a', 'a', '1.0.0', { integrity: pinned }),
        locked('node_modules/b', 'b', '1.0.0', { integrity: 'sha512-CCCC' }),
        locked('node_modules/c', 'c', '1.0.0', { integrity: 'sha512-DDDD' }),
      ]),
      lockfile('app/node_modules/.package-lock.json', [
        locked('node_modules/a', 'a', '1.0.0', { integrity: 'sha512-BBBB' }),
        locked('node_modules/b', 'b', '1.0.0', { integrity: 'sha1-EEEE' }),
        locked('node_modules/c', 'c', '1.0.0', { integrity: 'sha512-FFFF' }),
      ]),
      manifest('app/node_modules/a/package.json', 'a', '1.0.0'),
      manifest('app/node_modules/b/package.json', 'b', '1.0.0'),
      manifest('app/node_modules/c/package.json', 'c', '1.0.0'),
    ];
    const [project] = compareInstalled(nodes);
    expect(
      project!.differences.map((item) => [item.locked.path, item.hiddenLockfile?.path, item.fields]),
    ).toEqual([
      [
        'node_modules/c',
        'app/node_modules/.package-lock.json',
        [{ field: 'integrity', expected: 'sha512-DDDD', actual: 'sha512-FFFF' }],
      ],
    ]);
  });

  it('ignores lockfiles with no project folder around them on disk', () => {
    const packages = [locked('node_modules/a', 'a', '1.0.0')];
    const nodes = [
      lockfile('package-lock.json', packages), // a lockfile given alone
      lockfile('app/node_modules/dep/package-lock.json', packages), // a package's own lockfile
      lockfile('app.zip!/app/package-lock.json', packages), // inside an archive
      lockfile('app/node_modules/.package-lock.json', packages), // npm's record of the install
      lockfile('app/pnpm-lock.yaml', packages, 'pnpm'), // pnpm places packages elsewhere
    ];
    expect(compareInstalled(nodes)).toEqual([]);
  });
});
