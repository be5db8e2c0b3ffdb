import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import type { LockfilePackagesFact } from '../../analyzers/lockfile.js';
import type { NpmManifestFact } from '../../analyzers/npm-manifest.js';
import type { Fact } from '../../core/facts.js';
import type { NodePath } from '../../core/node-path.js';
import type { ScanNode } from '../../core/scan-result.js';
import { scan } from '../../pipeline/scan.js';
import { compareInstalled, type InstalledComparison } from './installed-packages.js';

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
      lockfile('app/node_modules/dep/yarn.lock', packages, 'yarn-classic'), // a package's own
      lockfile('app/node_modules/dep/pnpm-lock.yaml', packages, 'pnpm'),
      lockfile('app.zip!/app/yarn.lock', packages, 'yarn-berry'),
    ];
    expect(compareInstalled(nodes)).toEqual([]);
  });
});

describe('when a pnpm install (isolated layout) is compared with pnpm-lock.yaml', () => {
  const pnpmLockfile = (packages: Locked[]) => lockfile('app/pnpm-lock.yaml', packages, 'pnpm');

  it('finds a package under a peer suffix, and a hashed dir by its manifest', () => {
    const nodes = [
      pnpmLockfile([
        locked('@s/a@1.0.0(peer@2.0.0)', '@s/a', '1.0.0'),
        locked('b@1.0.0', 'b', '1.0.0'),
        locked('c@1.0.0', 'c', '1.0.0'),
        locked('c@1.0.0-beta', 'c', '1.0.0-beta'),
      ]),
      manifest(
        'app/node_modules/.pnpm/@s+a@1.0.0_peer@2.0.0/node_modules/@s/a/package.json',
        '@s/a',
        '1.0.0',
      ),
      manifest('app/node_modules/.pnpm/b@1.0.0_0123456789abcdef/node_modules/b/package.json', 'b', '1.0.0'),
      manifest('app/node_modules/.pnpm/long-name-cut_d41d8cd98f00/node_modules/c/package.json', 'c', '1.0.0'),
    ];
    const [project] = compareInstalled(nodes);
    expect(project!.differences).toEqual([]);
    // `c@1.0.0` (a dir whose name starts like `c@1.0.0-beta`) does not stand for the beta.
    expect(project!.missing.map((item) => item.path)).toEqual(['c@1.0.0-beta']);
  });

  it("reports a manifest in the package's own dir that names another package or version", () => {
    const nodes = [
      pnpmLockfile([locked('a@1.0.0', 'a', '1.0.0')]),
      manifest('app/node_modules/.pnpm/a@1.0.0/node_modules/a/package.json', 'evil', '6.6.6'),
    ];
    expect(compareInstalled(nodes)[0]!.differences.map((item) => item.fields.map((f) => f.field))).toEqual([
      ['name', 'version'],
    ]);
  });

  it('finds a git dependency (no version to match a dir with) by the name of its manifest', () => {
    const spec = 'https://codeload.example.invalid/o/g/tar.gz/0123abc';
    const nodes = [
      pnpmLockfile([locked(`g@${spec}`, 'g', spec, { source: 'git' })]),
      manifest(
        'app/node_modules/.pnpm/g@https+++codeload.example.invalid+o+g+tar.gz+0123abc/node_modules/g/package.json',
        'g',
        '1.0.0',
      ),
    ];
    expect(compareInstalled(nodes)[0]!.missing).toEqual([]);
  });

  it('compares a hoisted pnpm install (no .pnpm folder) as a set', () => {
    const nodes = [
      pnpmLockfile([locked('a@1.0.0', 'a', '1.0.0'), locked('b@1.0.0', 'b', '1.0.0')]),
      manifest('app/node_modules/x/node_modules/a/package.json', 'a', '1.0.0'),
    ];
    expect(compareInstalled(nodes)[0]!.missing.map((item) => item.path)).toEqual(['b@1.0.0']);
  });
});

describe('when a yarn install is compared with yarn.lock', () => {
  const yarnLockfile = (packages: Locked[]) => lockfile('app/yarn.lock', packages, 'yarn-berry');

  it('judges package roots only, not package.json files deeper inside a package or tool folders', () => {
    const nodes = [
      yarnLockfile([locked('a@npm:^1.0.0', 'a', '1.0.0'), locked('@s/b@npm:^2.0.0', '@s/b', '2.0.0')]),
      manifest('app/node_modules/a/package.json', 'a', '1.0.0'),
      manifest('app/node_modules/a/node_modules/@s/b/package.json', '@s/b', '2.0.0'),
      manifest('app/node_modules/a/test/fixture/package.json', '@s/b', '0.0.1'),
      manifest('app/node_modules/.cache/b/package.json', '@s/b', '0.0.2'),
    ];
    const [project] = compareInstalled(nodes);
    expect(project!.differences).toEqual([]);
    expect(project!.missing).toEqual([]);
  });

  it('skips workspace packages, which are linked, not copied', () => {
    const nodes = [
      yarnLockfile([
        locked('tool@workspace:packages/tool', 'tool', '0.0.0-use.local', { source: 'directory' }),
        locked('local@file:../local', 'local', '1.0.0', { source: 'file' }),
      ]),
    ];
    expect(compareInstalled(nodes)[0]!.missing).toEqual([]);
  });

  it("with Plug'n'Play and a global cache, reports every package as missing (none was analysed)", () => {
    const nodes = [
      yarnLockfile([locked('a@npm:^1.0.0', 'a', '1.0.0')]),
      node('app/.pnp.cjs'),
      // With PnP, a node_modules folder is not what runs: not taken as the install.
      manifest('app/node_modules/a/package.json', 'a', '1.0.0'),
    ];
    expect(compareInstalled(nodes)[0]!.missing.map((item) => item.path)).toEqual(['a@npm:^1.0.0']);
  });
});

const projectPath = (name: string) =>
  fileURLToPath(new URL(`../../../test/fixtures/projects/data/${name}`, import.meta.url));

/** A deep scan of a fixture made by the real package manager (make-pm-projects.sh). */
async function compareFixture(name: string): Promise<InstalledComparison> {
  const result = await scan([projectPath(name)], { digests: ['sha256'], nodeModules: 'analyse' });
  const projects = compareInstalled(result.nodes);
  expect(projects).toHaveLength(1);
  return projects[0]!;
}

const differencesOf = (project: InstalledComparison) =>
  project.differences.map((item) => [
    item.locked.path,
    item.installed.path.slice(project.root.length),
    item.fields,
  ]);
const MS_EDITED = [{ field: 'version', expected: '2.1.3', actual: '2.1.2' }];

describe('when real pnpm and yarn installs are scanned deep', () => {
  it('pnpm: a faithful install matches its lockfile', async () => {
    const project = await compareFixture('pnpm-match');
    expect([project.locked, project.differences, project.missing]).toEqual([5, [], []]);
  });

  it('pnpm: an installed package.json with another version is exactly that difference', async () => {
    const project = await compareFixture('pnpm-version-mismatch');
    expect(differencesOf(project)).toEqual([
      ['ms@2.1.3', 'node_modules/.pnpm/ms@2.1.3/node_modules/ms/package.json', MS_EDITED],
    ]);
    expect(project.missing).toEqual([]);
  });

  it('pnpm: a removed package is exactly the missing one', async () => {
    const project = await compareFixture('pnpm-not-installed');
    expect(project.differences).toEqual([]);
    expect(project.missing.map((item) => [item.path, item.kind])).toEqual([['ms@2.1.3', 'prod']]);
  });

  it('yarn classic: a faithful hoisted install, with a nested second version, matches', async () => {
    const project = await compareFixture('yarn-classic-match');
    expect([project.locked, project.differences, project.missing]).toEqual([5, [], []]);
  });

  it('yarn classic: an installed package.json with another version is exactly that difference', async () => {
    const project = await compareFixture('yarn-classic-version-mismatch');
    expect(differencesOf(project)).toEqual([['ms@2.1.3', 'node_modules/ms/package.json', MS_EDITED]]);
    expect(project.missing).toEqual([]);
  });

  it('yarn berry with node_modules: a faithful install matches, and a removed package is missing', async () => {
    const project = await compareFixture('yarn-berry-node-modules');
    expect([project.locked, project.differences, project.missing]).toEqual([5, [], []]);
    const result = await scan([projectPath('yarn-berry-node-modules')], {
      digests: ['sha256'],
      nodeModules: 'analyse',
    });
    const [pruned] = compareInstalled(
      result.nodes.filter((item) => !item.path.includes('/node_modules/is-odd/node_modules/is-number/')),
    );
    expect(pruned!.missing.map((item) => item.path)).toEqual(['is-number@npm:^6.0.0']);
  });

  it("yarn berry Plug'n'Play: the manifests inside the cache zips are compared", async () => {
    const project = await compareFixture('yarn-berry-pnp');
    expect([project.locked, project.differences, project.missing]).toEqual([5, [], []]);
    const result = await scan([projectPath('yarn-berry-pnp')], {
      digests: ['sha256'],
      nodeModules: 'analyse',
    });
    // A zip holding another version of ms than yarn.lock pins (as a swapped cache file would).
    const swapped = result.nodes.map((item) => {
      if (!/ms-npm-2\.1\.3-[^/]+\.zip!\/node_modules\/ms\/package\.json$/.test(item.path)) return item;
      const facts = item.facts.map((fact) =>
        fact.kind === 'npm.manifest' ? { ...fact, version: '2.1.2' } : fact,
      );
      return { ...item, facts };
    });
    const [changed] = compareInstalled(swapped);
    expect(
      changed!.differences.map((item) => [item.locked.path, item.installed.path.split('!/')[1], item.fields]),
    ).toEqual([['ms@npm:2.1.3', 'node_modules/ms/package.json', MS_EDITED]]);
    expect(changed!.missing).toEqual([]);
  });
});
