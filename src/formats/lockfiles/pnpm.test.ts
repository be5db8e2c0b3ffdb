import { describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import {
  pnpmLsPackages,
  readFixtureText,
  truncationSweep,
} from '../../../test/fixtures/lockfiles/expectations.js';
import { CountersignError } from '../../core/errors.js';
import { parsePnpmLockfile } from './pnpm.js';

function errorOf(run: () => unknown): CountersignError {
  try {
    run();
  } catch (error) {
    if (error instanceof CountersignError) return error;
    throw error;
  }
  throw new Error('expected a CountersignError, got a result');
}

/** pnpm 7 and yarn do not auto-install peers: their lockfiles have no `is-number@7`. */
const PEER = 'is-number@7.0.0';

describe.each([
  ['pnpm/v5.4/pnpm-lock.yaml', '5.4', false],
  ['pnpm/v6/pnpm-lock.yaml', '6.0', true],
  ['pnpm/v9/pnpm-lock.yaml', '9.0', true],
  ['pnpm/v9-pnpm10/pnpm-lock.yaml', '9.0', true],
])('when %s is parsed', (fixture, version, hasPeer) => {
  const parsed = parsePnpmLockfile(readFixtureText(fixture));
  const expected = pnpmLsPackages();
  if (!hasPeer) expected.delete(PEER);

  it(`reads lockfileVersion ${version} and both importers`, () => {
    expect(parsed.lockfileVersion).toBe(version);
    expect([...parsed.importers].sort()).toEqual(['.', 'packages/tool']);
    expect(parsed.skipped).toEqual([]);
  });

  it('lists exactly the packages pnpm list shows', () => {
    expect(new Set(parsed.packages.map((pkg) => `${pkg.name}@${pkg.version}`))).toEqual(
      new Set(expected.keys()),
    );
  });

  it('gives each package the kind and the importers pnpm list shows', () => {
    for (const pkg of parsed.packages) {
      const want = expected.get(`${pkg.name}@${pkg.version}`);
      expect({ kind: pkg.kind, importers: pkg.importers }, `${pkg.name}@${pkg.version}`).toEqual(want);
    }
  });

  it('names the alias under which the real package is installed', () => {
    expect(
      parsed.packages
        .filter((pkg) => pkg.alias !== undefined)
        .map((pkg) => [pkg.alias, pkg.name, pkg.version]),
    ).toEqual([['old-ms', 'ms', '2.0.0']]);
  });

  it('keeps an sha512 integrity and a registry purl for every package', () => {
    for (const pkg of parsed.packages) {
      expect(pkg.integrity).toMatch(/^sha512-[A-Za-z0-9+/]+=*$/);
      expect(pkg.purl).toBe(`pkg:npm/${pkg.name.replace(/^@/, '%40')}@${pkg.version}`);
    }
  });
});

describe('when a pnpm 8 lockfile states dev and optional flags', () => {
  it('computes from the graph the same kinds the flags state', () => {
    const text = readFixtureText('pnpm/v6/pnpm-lock.yaml');
    // The flags, read straight from the YAML: dev false = prod, dev true = dev, no dev flag = both.
    const raw = parseYaml(text) as { packages: Record<string, { dev?: boolean; optional?: boolean }> };
    const parsed = parsePnpmLockfile(text);
    for (const [key, entry] of Object.entries(raw.packages)) {
      const flagged =
        entry.dev === true ? (entry.optional ? 'dev-optional' : 'dev') : entry.optional ? 'optional' : 'prod';
      expect(parsed.packages.find((pkg) => pkg.path === key)?.kind, key).toBe(flagged);
    }
  });
});

describe('when pnpm 11 wrote a two-document lockfile (env lockfile first)', () => {
  const parsed = parsePnpmLockfile(readFixtureText('pnpm/v9-multidoc/pnpm-lock.yaml'));

  it('reads the config dependency of the env document as kind config', () => {
    const config = parsed.packages.filter((pkg) => pkg.kind === 'config');
    expect(config.map((pkg) => `${pkg.name}@${pkg.version}`)).toEqual(['is-number@7.0.0']);
  });

  it('reads the project document like the single-document pnpm 9 lockfile', () => {
    const single = parsePnpmLockfile(readFixtureText('pnpm/v9/pnpm-lock.yaml'));
    const project = parsed.packages.filter((pkg) => pkg.kind !== 'config');
    const strip = (pkg: { path: string }) => ({ ...pkg, path: pkg.path.replace(/^document 2: /, '') });
    expect(project.map(strip)).toEqual(single.packages.map(strip));
  });
});

describe('when packages come from git, a tarball or carry peer suffixes (hand-written, pnpm 9 shape)', () => {
  const text = `lockfileVersion: '9.0'
importers:
  .:
    dependencies:
      widget:
        specifier: github:acme/widget
        version: https://codeload.github.com/acme/widget/tar.gz/0123456789abcdef
      plugin:
        specifier: ^1.0.0
        version: 1.0.0(host@2.0.0)
      blob:
        specifier: https://example.invalid/blob-3.0.0.tgz
        version: '@example.invalid/blob-3.0.0.tgz'
packages:
  widget@https://codeload.github.com/acme/widget/tar.gz/0123456789abcdef:
    resolution: {tarball: https://codeload.github.com/acme/widget/tar.gz/0123456789abcdef}
    version: 1.4.0
  plugin@1.0.0:
    resolution: {integrity: sha512-AAAA}
    peerDependencies:
      host: ^2
  host@2.0.0:
    resolution: {integrity: sha512-BBBB}
  blob@3.0.0:
    resolution: {tarball: https://example.invalid/blob-3.0.0.tgz, integrity: sha512-CCCC}
    version: 3.0.0
  gitdep@git+https://example.invalid/acme/gitdep.git#abcdef:
    resolution: {type: git, repo: https://example.invalid/acme/gitdep.git, commit: abcdef}
    version: 0.1.0
snapshots:
  widget@https://codeload.github.com/acme/widget/tar.gz/0123456789abcdef: {}
  plugin@1.0.0(host@2.0.0):
    dependencies:
      host: 2.0.0
  host@2.0.0: {}
  blob@3.0.0: {}
  gitdep@git+https://example.invalid/acme/gitdep.git#abcdef: {}
`;
  const parsed = parsePnpmLockfile(text);
  const byName = new Map(parsed.packages.map((pkg) => [pkg.name, pkg]));

  it('takes the real version of a git tarball from the entry, with a vcs_url', () => {
    expect(byName.get('widget')).toMatchObject({ version: '1.4.0', source: 'git', kind: 'prod' });
    expect(byName.get('widget')?.purl).toMatch(/^pkg:npm\/widget@1\.4\.0\?vcs_url=https%3A%2F%2Fcodeload/);
  });

  it('follows a peer-suffixed snapshot to its dependencies', () => {
    expect(byName.get('plugin')).toMatchObject({ version: '1.0.0', kind: 'prod' });
    expect(byName.get('host')).toMatchObject({ version: '2.0.0', kind: 'prod', importers: ['.'] });
  });

  it('reads a git resolution and reports an unreachable entry as kind unknown', () => {
    expect(byName.get('gitdep')).toMatchObject({
      version: '0.1.0',
      source: 'git',
      resolved: 'git+https://example.invalid/acme/gitdep.git#abcdef',
      kind: 'unknown',
    });
  });

  it('reports an importer dependency with no entry as skipped, not as silence', () => {
    expect(parsed.skipped).toEqual([
      expect.objectContaining({ key: 'importers/. -> blob@@example.invalid/blob-3.0.0.tgz' }),
    ]);
    expect(byName.get('blob')).toMatchObject({ source: 'tarball', integrity: 'sha512-CCCC' });
  });
});

describe('when a pnpm 7 (v5.4) lockfile has peer variants and underscores in names (hand-written)', () => {
  const text = `lockfileVersion: 5.4
importers:
  .:
    specifiers:
      my_pkg: ^1.0.0
      react: ^18.0.0
    dependencies:
      my_pkg: 1.0.0_react@18.2.0
      react: 18.2.0
packages:
  /my_pkg/1.0.0_react@18.2.0:
    resolution: {integrity: sha512-AAAA}
    peerDependencies:
      react: '*'
    dependencies:
      react: 18.2.0
    dev: false
  /react/18.2.0:
    resolution: {integrity: sha512-BBBB}
    dev: false
`;
  it('keeps the underscore of the name and cuts only the peer suffix of the version', () => {
    const parsed = parsePnpmLockfile(text);
    expect(parsed.packages.map((pkg) => [pkg.name, pkg.version, pkg.path, pkg.kind])).toEqual([
      ['my_pkg', '1.0.0', '/my_pkg/1.0.0', 'prod'],
      ['react', '18.2.0', '/react/18.2.0', 'prod'],
    ]);
    expect(parsed.skipped).toEqual([]);
  });
});

describe('when packages come from another registry or from git (hand-written, pnpm 7 shape)', () => {
  const text = `lockfileVersion: 5.3
specifiers:
  foo: ^1.1.0
dependencies:
  foo: registry.example.invalid/foo/1.1.0
  '@s/bar': registry.example.invalid/@s/bar/2.0.0_baz@1.0.0
  is-positive: github.com/kevva/is-positive/97edff6
packages:
  registry.example.invalid/foo/1.1.0:
    resolution: {integrity: sha512-AAAA, tarball: https://registry.example.invalid/foo/-/foo-1.1.0.tgz}
  registry.example.invalid/@s/bar/2.0.0_baz@1.0.0:
    resolution: {integrity: sha512-BBBB, tarball: https://registry.example.invalid/@s/bar/-/bar-2.0.0.tgz}
  github.com/kevva/is-positive/97edff6:
    resolution: {tarball: https://codeload.github.com/kevva/is-positive/tar.gz/97edff6}
    name: is-positive
    version: 3.1.0
`;
  it('drops the registry host from the key, and takes a git package name from its entry', () => {
    const parsed = parsePnpmLockfile(text);
    expect(parsed.packages.map((pkg) => [pkg.name, pkg.version, pkg.source, pkg.kind])).toEqual([
      ['foo', '1.1.0', 'tarball', 'prod'],
      ['@s/bar', '2.0.0', 'tarball', 'prod'],
      ['is-positive', '3.1.0', 'git', 'prod'],
    ]);
    expect(parsed.skipped).toEqual([]);
  });
});

describe('when the YAML is broken', () => {
  it('gives E_LOCKFILE_MALFORMED with the line of the fault', () => {
    const lines = readFixtureText('pnpm/v9/pnpm-lock.yaml').split('\n');
    lines[20] = '\tms: 2.1.3'; // a tab as indentation, on line 21
    const error = errorOf(() => parsePnpmLockfile(lines.join('\n')));
    expect(error.code).toBe('E_LOCKFILE_MALFORMED');
    expect(error.details?.line).toBe(21);
    expect(error.message).toContain('line 21');
  });

  it('names a duplicated package key and its line', () => {
    const text =
      "lockfileVersion: '9.0'\npackages:\n  ms@2.1.3:\n    resolution: {integrity: sha512-A}\n  ms@2.1.3:\n    resolution: {integrity: sha512-B}\n";
    const error = errorOf(() => parsePnpmLockfile(text));
    expect(error.code).toBe('E_LOCKFILE_MALFORMED');
    expect(error.details?.line).toBe(5);
    expect(error.message).toContain('ms@2.1.3');
  });

  it('stops an alias bomb instead of expanding it', () => {
    const rows = ['lockfileVersion: "9.0"', 'a0: &a0 [x, x, x, x, x, x, x, x, x, x]'];
    for (let i = 1; i < 12; i++)
      rows.push(
        `a${i}: &a${i} [${Array(10)
          .fill(`*a${i - 1}`)
          .join(', ')}]`,
      );
    const error = errorOf(() => parsePnpmLockfile(rows.join('\n')));
    expect(error.code).toBe('E_LOCKFILE_MALFORMED');
  });
});

describe('when the lockfile version is unknown', () => {
  it.each(["'7.0'", "'10.0'", '4', "'banana'"])(
    'lockfileVersion %s gives E_LOCKFILE_UNSUPPORTED',
    (version) => {
      const error = errorOf(() => parsePnpmLockfile(`lockfileVersion: ${version}\npackages: {}\n`));
      expect(error.code).toBe('E_LOCKFILE_UNSUPPORTED');
    },
  );

  it('also when only the second document has an unknown version', () => {
    const text = `---\nlockfileVersion: '9.0'\n---\nlockfileVersion: '99.0'\n`;
    expect(errorOf(() => parsePnpmLockfile(text)).code).toBe('E_LOCKFILE_UNSUPPORTED');
  });
});

// Every offset of the current format; every 4th for the others (YAML parsing costs ~4 ms a cut).
describe.each([
  ['pnpm/v9/pnpm-lock.yaml', 1],
  ['pnpm/v6/pnpm-lock.yaml', 4],
  ['pnpm/v9-multidoc/pnpm-lock.yaml', 4],
] as const)('when %s is truncated (every %i bytes)', (fixture, step) => {
  it('gives a result or a typed error at every cut', () => {
    const text = readFixtureText(fixture);
    const sweep = truncationSweep(text, parsePnpmLockfile, step);
    expect(sweep.others).toEqual([]);
    expect(sweep.results + sweep.typedErrors).toBe(Math.floor(text.length / step) + 1);
    expect(sweep.typedErrors).toBeGreaterThan(0);
  });
});
