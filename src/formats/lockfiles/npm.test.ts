import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';
import {
  npmLsPackages,
  pnpmLsPackages,
  readFixtureText,
  truncationSweep,
} from '../../../test/fixtures/lockfiles/expectations.js';
import { CountersignError } from '../../core/errors.js';
import { locateJsonError } from './json-error.js';
import { MAX_V1_NESTING, parseNpmLockfile } from './npm.js';

// yarn's classic parser, loaded the CommonJS way it is published (its ESM interop varies by loader).
const yarnLockfile = createRequire(import.meta.url)(
  '@yarnpkg/lockfile',
) as typeof import('@yarnpkg/lockfile');

const NPM_FIXTURES = [
  'npm/v1/package-lock.json',
  'npm/v2/package-lock.json',
  'npm/v3/package-lock.json',
  'npm/shrinkwrap/npm-shrinkwrap.json',
] as const;

/** Integrity per `name@version`, read from the yarn v1 lockfile by yarn's own classic parser. */
function yarnIntegrities(): Map<string, string> {
  const parsed = yarnLockfile.parse(readFixtureText('yarn/v1/yarn.lock'));
  const map = new Map<string, string>();
  for (const [descriptor, entry] of Object.entries(
    parsed.object as unknown as Record<string, Record<string, string>>,
  )) {
    const at = descriptor.indexOf('@', 1);
    let name = descriptor.slice(0, at);
    const range = descriptor.slice(at + 1);
    if (range.startsWith('npm:')) name = range.slice(4, range.indexOf('@', 5));
    if (entry.integrity) map.set(`${name}@${entry.version}`, entry.integrity);
  }
  return map;
}

function errorOf(run: () => unknown): CountersignError {
  try {
    run();
  } catch (error) {
    if (error instanceof CountersignError) return error;
    throw error;
  }
  throw new Error('expected a CountersignError, got a result');
}

describe.each(NPM_FIXTURES)('when %s (made by npm 11) is parsed', (fixture) => {
  const parsed = parseNpmLockfile(readFixtureText(fixture));

  it('lists exactly the packages npm ls shows, under their installed names', () => {
    const expected = npmLsPackages();
    const got = new Set(parsed.packages.map((pkg) => `${pkg.alias ?? pkg.name}@${pkg.version}`));
    expect(got).toEqual(new Set(expected.keys()));
    expect(parsed.skipped).toEqual([]);
  });

  it('keeps the resolved URL npm ls reports for each package', () => {
    const expected = npmLsPackages();
    for (const pkg of parsed.packages) {
      const url = expected.get(`${pkg.alias ?? pkg.name}@${pkg.version}`);
      if (url !== undefined) expect(pkg.resolved, pkg.path).toBe(url);
    }
  });

  it('gives each package the dependency kind pnpm derives for the same project', () => {
    const expected = pnpmLsPackages();
    for (const pkg of parsed.packages) {
      expect(pkg.kind, `${pkg.name}@${pkg.version}`).toBe(expected.get(`${pkg.name}@${pkg.version}`)?.kind);
    }
  });

  it('agrees with yarn on every integrity both tools recorded', () => {
    const integrities = yarnIntegrities();
    let compared = 0;
    for (const pkg of parsed.packages) {
      const theirs = integrities.get(`${pkg.name}@${pkg.version}`);
      if (theirs === undefined) continue;
      expect(pkg.integrity, pkg.path).toBe(theirs);
      compared++;
    }
    expect(compared).toBeGreaterThanOrEqual(10);
  });

  it('resolves the alias to the real package and names both', () => {
    const alias = parsed.packages.find((pkg) => pkg.alias === 'old-ms');
    expect(alias).toMatchObject({ name: 'ms', version: '2.0.0', purl: 'pkg:npm/ms@2.0.0' });
  });

  it('marks the root peer dependency as peer and the dev one as dev', () => {
    expect(parsed.packages.find((pkg) => pkg.name === 'is-number' && pkg.version === '7.0.0')?.peer).toBe(
      true,
    );
    expect(parsed.packages.filter((pkg) => pkg.kind === 'dev').map((pkg) => pkg.name)).toEqual(['@types/ms']);
  });

  it('records the workspace as an importer and keeps its own node_modules path', () => {
    expect(parsed.importers).toContain('packages/tool');
    const nested = parsed.packages.find((pkg) => pkg.name === 'kind-of' && pkg.version === '6.0.3');
    expect(nested?.path).toMatch(/(packages\/tool|node_modules\/tool)\/node_modules\/kind-of$/);
  });

  it('writes a percent-encoded purl for the scoped package', () => {
    const scoped = parsed.packages.find((pkg) => pkg.name === '@sindresorhus/merge-streams');
    expect(scoped?.purl).toBe('pkg:npm/%40sindresorhus/merge-streams@4.0.0');
  });
});

describe('when the v1 lockfile records a tarball URL as the version', () => {
  it('takes the version from the URL and keeps the URL as download_url', () => {
    const parsed = parseNpmLockfile(readFixtureText('npm/v1/package-lock.json'));
    const tarball = parsed.packages.find((pkg) => pkg.name === 'is-odd' && pkg.source === 'tarball');
    expect(tarball?.version).toBe('3.0.1');
    expect(tarball?.purl).toBe(
      'pkg:npm/is-odd@3.0.1?download_url=https%3A%2F%2Fregistry.npmjs.org%2Fis-odd%2F-%2Fis-odd-3.0.1.tgz',
    );
  });
});

describe('when registry URLs were omitted (omit-lockfile-registry-resolved)', () => {
  it('still lists the package as a registry package, without a resolved URL', () => {
    const lock = {
      lockfileVersion: 3,
      packages: { '': { name: 'x' }, 'node_modules/ms': { version: '2.1.3', integrity: 'sha512-AAAA' } },
    };
    const parsed = parseNpmLockfile(JSON.stringify(lock));
    expect(parsed.packages).toEqual([
      expect.objectContaining({ name: 'ms', version: '2.1.3', source: 'registry', integrity: 'sha512-AAAA' }),
    ]);
    expect(parsed.packages[0]?.resolved).toBeUndefined();
  });
});

describe('when a git dependency is locked (hand-written v3 entry in npm 11 shape)', () => {
  it('is a git source with the commit URL as vcs_url', () => {
    const resolved = 'git+ssh://git@example.invalid/acme/widget.git#0123456789abcdef0123456789abcdef01234567';
    const lock = { lockfileVersion: 3, packages: { 'node_modules/widget': { version: '1.2.3', resolved } } };
    const [pkg] = parseNpmLockfile(JSON.stringify(lock)).packages;
    expect(pkg?.source).toBe('git');
    expect(pkg?.purl).toBe(`pkg:npm/widget@1.2.3?vcs_url=${encodeURIComponent(resolved)}`);
  });
});

describe('when a link entry has no node_modules in its key (hand-written, npm 7 shape)', () => {
  it('is neither a package nor an importer', () => {
    const lock = {
      lockfileVersion: 2,
      packages: { '': {}, 'node_modules/wrappy': { version: '1.0.2', dev: true }, wrappy: { link: true } },
    };
    const parsed = parseNpmLockfile(JSON.stringify(lock));
    expect(parsed.importers).toEqual(['.']);
    expect(parsed.packages.map((pkg) => [pkg.name, pkg.kind])).toEqual([['wrappy', 'dev']]);
  });
});

describe('when an entry was removed from a real lockfile', () => {
  it('reports each dependency left without an entry, so the listing is not taken as complete', () => {
    const lock = JSON.parse(readFixtureText('npm/v3/package-lock.json')) as {
      packages: Record<string, unknown>;
    };
    delete lock.packages['node_modules/kind-of'];
    delete lock.packages['node_modules/ms'];
    const parsed = parseNpmLockfile(JSON.stringify(lock));
    expect(parsed.skipped.map((entry) => entry.key).sort()).toEqual([
      '(root) -> ms',
      'node_modules/is-even/node_modules/is-number -> kind-of',
      'packages/tool -> ms',
    ]);
  });
});

describe('when the JSON is broken', () => {
  it('gives E_LOCKFILE_MALFORMED with the line of the fault', () => {
    const lines = readFixtureText('npm/v3/package-lock.json').split('\n');
    lines[41] = `${lines[41]} oops`;
    const error = errorOf(() => parseNpmLockfile(lines.join('\n')));
    expect(error.code).toBe('E_LOCKFILE_MALFORMED');
    expect(error.details?.line).toBe(42);
    expect(error.message).toContain('line 42');
  });

  it('locates the fault exactly where JSON.parse disagrees, at every cut of a real lockfile', () => {
    const text = readFixtureText('npm/v2/package-lock.json');
    for (let cut = 0; cut < text.length; cut += 7) {
      const prefix = text.slice(0, cut);
      let valid = true;
      try {
        JSON.parse(prefix);
      } catch {
        valid = false;
      }
      expect(locateJsonError(prefix) === undefined, `cut ${cut}`).toBe(valid);
    }
  });
});

describe('when the lockfile version is unknown', () => {
  it.each([[4], ['3'], [null], [0]])('lockfileVersion %j gives E_LOCKFILE_UNSUPPORTED', (version) => {
    const text = JSON.stringify({ lockfileVersion: version, packages: {} });
    expect(errorOf(() => parseNpmLockfile(text)).code).toBe('E_LOCKFILE_UNSUPPORTED');
  });
});

describe('when some entries cannot be read', () => {
  it('returns the readable ones and names each skipped entry with a reason', () => {
    const lock = {
      lockfileVersion: 3,
      packages: {
        '': {},
        'node_modules/ok': { version: '1.0.0' },
        'node_modules/no-version': { resolved: 'https://example.invalid/x.tgz' },
        'node_modules/not-object': 7,
        'node_modules/a/b/c': { version: '1.0.0' },
      },
    };
    const parsed = parseNpmLockfile(JSON.stringify(lock));
    expect(parsed.packages.map((pkg) => pkg.name)).toEqual(['ok']);
    expect(parsed.skipped.map((entry) => entry.key).sort()).toEqual([
      'node_modules/a/b/c',
      'node_modules/no-version',
      'node_modules/not-object',
    ]);
  });

  it('stops a v1 tree nested far deeper than the call stack at the nesting limit, and says so', () => {
    let tree: Record<string, unknown> = { leaf: { version: '1.0.0' } };
    for (let depth = 0; depth < 20_000; depth++)
      tree = { [`d${depth}`]: { version: '1.0.0', dependencies: tree } };
    // Built as text: JSON.stringify itself recurses and would overflow on this depth.
    const parsed = parseNpmLockfile(`{"lockfileVersion":1,"dependencies":${serialiseDeep(tree)}}`);
    expect(parsed.packages).toHaveLength(MAX_V1_NESTING);
    expect(parsed.skipped).toEqual([
      expect.objectContaining({ reason: `nested deeper than ${MAX_V1_NESTING} levels` }),
    ]);
  });
});

function serialiseDeep(tree: Record<string, unknown>): string {
  const open: string[] = [];
  const close: string[] = [];
  let node: Record<string, unknown> | undefined = tree;
  while (node !== undefined) {
    const [name, entry] = Object.entries(node)[0] as [
      string,
      { version: string; dependencies?: Record<string, unknown> },
    ];
    if (entry.dependencies === undefined) {
      open.push(`{${JSON.stringify(name)}:{"version":"${entry.version}"}}`);
      node = undefined;
    } else {
      open.push(`{${JSON.stringify(name)}:{"version":"${entry.version}","dependencies":`);
      close.push('}}');
      node = entry.dependencies;
    }
  }
  return open.join('') + close.reverse().join('');
}

describe.each(['npm/v1/package-lock.json', 'npm/v3/package-lock.json'])('when %s is truncated', (fixture) => {
  it('gives a result or a typed error at every offset', () => {
    const text = readFixtureText(fixture);
    const sweep = truncationSweep(text, parseNpmLockfile);
    expect(sweep.others).toEqual([]);
    expect(sweep.results + sweep.typedErrors).toBe(text.length + 1);
    expect(sweep.typedErrors).toBeGreaterThan(0);
  });
});
