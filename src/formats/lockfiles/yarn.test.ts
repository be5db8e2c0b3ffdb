import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import {
  pnpmLsPackages,
  readFixtureText,
  truncationSweep,
} from '../../../test/fixtures/lockfiles/expectations.js';
import { CountersignError } from '../../core/errors.js';
import { parseYarnLockfile } from './yarn.js';

// yarn's classic parser, loaded the CommonJS way it is published: the independent reading of v1.
const yarnLockfile = createRequire(import.meta.url)(
  '@yarnpkg/lockfile',
) as typeof import('@yarnpkg/lockfile');

function errorOf(run: () => unknown): CountersignError {
  try {
    run();
  } catch (error) {
    if (error instanceof CountersignError) return error;
    throw error;
  }
  throw new Error('expected a CountersignError, got a result');
}

/** The project's packages as pnpm lists them; yarn does not install the root's peer. */
function expectedPackages(): Set<string> {
  const expected = new Set(pnpmLsPackages().keys());
  expected.delete('is-number@7.0.0');
  return expected;
}

describe('when a yarn 1 lockfile is parsed', () => {
  const text = readFixtureText('yarn/v1/yarn.lock');
  const parsed = parseYarnLockfile(text);

  it('is yarn-classic v1, with no entry skipped', () => {
    expect(parsed).toMatchObject({ format: 'yarn-classic', lockfileVersion: 'v1', skipped: [] });
  });

  it('lists the packages pnpm list shows for the same project', () => {
    expect(new Set(parsed.packages.map((pkg) => `${pkg.name}@${pkg.version}`))).toEqual(expectedPackages());
  });

  it('agrees with @yarnpkg/lockfile on version, resolved and integrity of every descriptor', () => {
    const theirs = yarnLockfile.parse(text).object as unknown as Record<string, Record<string, string>>;
    for (const [descriptor, entry] of Object.entries(theirs)) {
      const ours = parsed.packages.find((pkg) => pkg.path.split(', ').includes(descriptor));
      expect(ours, descriptor).toBeDefined();
      expect([ours?.version, ours?.resolved, ours?.integrity], descriptor).toEqual([
        entry.version,
        entry.resolved,
        entry.integrity,
      ]);
    }
  });

  it('resolves the alias and the tarball dependency', () => {
    expect(parsed.packages.find((pkg) => pkg.alias === 'old-ms')).toMatchObject({
      name: 'ms',
      version: '2.0.0',
    });
    const tarball = parsed.packages.find((pkg) => pkg.source === 'tarball');
    expect(tarball).toMatchObject({ name: 'is-odd', version: '3.0.1' });
    // yarn's `#<sha1>` fragment is a checksum, not part of the download URL.
    expect(tarball?.purl).toBe(
      'pkg:npm/is-odd@3.0.1?download_url=https%3A%2F%2Fregistry.npmjs.org%2Fis-odd%2F-%2Fis-odd-3.0.1.tgz',
    );
  });

  it('says the dependency kind is unknown: yarn 1 does not record it', () => {
    expect(new Set(parsed.packages.map((pkg) => pkg.kind))).toEqual(new Set(['unknown']));
  });
});

describe('when a yarn 4 (berry) lockfile is parsed', () => {
  const text = readFixtureText('yarn/berry/yarn.lock');
  const parsed = parseYarnLockfile(text);
  // The same file read by a different YAML parser than the one under test.
  const raw = parseYaml(text) as Record<string, Record<string, unknown>>;

  it('reads the berry metadata version and the workspaces as importers', () => {
    expect(parsed).toMatchObject({ format: 'yarn-berry', lockfileVersion: '10', skipped: [] });
    expect([...parsed.importers].sort()).toEqual(['.', 'packages/tool']);
  });

  it('lists the packages pnpm list shows for the same project', () => {
    expect(new Set(parsed.packages.map((pkg) => `${pkg.name}@${pkg.version}`))).toEqual(expectedPackages());
  });

  it('keeps each entry checksum as written', () => {
    for (const pkg of parsed.packages) expect(pkg.checksum, pkg.path).toBe(raw[pkg.path]?.checksum);
    expect(parsed.packages.every((pkg) => /^10c0\/[0-9a-f]{128}$/.test(pkg.checksum ?? ''))).toBe(true);
  });

  it('gives each package the importers pnpm list shows', () => {
    const pnpm = pnpmLsPackages();
    for (const pkg of parsed.packages) {
      expect(pkg.importers, pkg.path).toEqual(pnpm.get(`${pkg.name}@${pkg.version}`)?.importers);
    }
  });

  it('resolves the alias to the real package', () => {
    expect(parsed.packages.find((pkg) => pkg.alias === 'old-ms')).toMatchObject({
      name: 'ms',
      version: '2.0.0',
      source: 'registry',
    });
  });
});

describe('when yarn 1 locked a git dependency by its https URL (hand-written, yarn 1 shape)', () => {
  it('is a git source whose vcs_url keeps the commit', () => {
    const text = `# yarn lockfile v1

"widget@https://example.invalid/acme/widget.git#0123abc":
  version "2.1.6+git"
  resolved "git+ssh://git@example.invalid/acme/widget.git#0123abc"
`;
    const [pkg] = parseYarnLockfile(text).packages;
    expect(pkg).toMatchObject({ name: 'widget', version: '2.1.6+git', source: 'git' });
    expect(pkg?.purl).toBe(
      `pkg:npm/widget@2.1.6%2Bgit?vcs_url=${encodeURIComponent('git+ssh://git@example.invalid/acme/widget.git#0123abc')}`,
    );
  });
});

describe('when a berry alias points at a scoped package (hand-written, yarn 4 shape)', () => {
  it('names the scoped package and keeps the alias, reached from the workspace', () => {
    const text = `__metadata:
  version: 8
  cacheKey: 10c0

"hvi@npm:@babel/helper-validator-identifier@^7.0.0":
  version: 7.22.20
  resolution: "@babel/helper-validator-identifier@npm:7.22.20"
  checksum: 10c0/00
  languageName: node
  linkType: hard

"app@workspace:.":
  version: 0.0.0-use.local
  resolution: "app@workspace:."
  dependencies:
    hvi: "npm:@babel/helper-validator-identifier@^7.0.0"
  languageName: unknown
  linkType: soft
`;
    const parsed = parseYarnLockfile(text);
    expect(parsed.packages).toEqual([
      expect.objectContaining({
        name: '@babel/helper-validator-identifier',
        alias: 'hvi',
        version: '7.22.20',
        importers: ['.'],
        purl: 'pkg:npm/%40babel/helper-validator-identifier@7.22.20',
      }),
    ]);
    expect(parsed.skipped).toEqual([]);
  });
});

describe('when a berry lockfile uses the patch protocol (hand-written, yarn 4 shape)', () => {
  it('reads the patched package as its registry package', () => {
    const text = `__metadata:
  version: 8
  cacheKey: 10c0

"ms@patch:ms@npm%3A2.1.3#~/.yarn/patches/ms.patch::version=2.1.3&hash=abc":
  version: 2.1.3
  resolution: "ms@patch:ms@npm%3A2.1.3#~/.yarn/patches/ms.patch::version=2.1.3&hash=abc"
  checksum: 10c0/00
  languageName: node
  linkType: hard
`;
    const [pkg] = parseYarnLockfile(text).packages;
    expect(pkg).toMatchObject({ name: 'ms', version: '2.1.3', source: 'registry', purl: 'pkg:npm/ms@2.1.3' });
  });
});

describe('when the file is broken', () => {
  it('gives E_LOCKFILE_MALFORMED with the line of the fault (yarn 1)', () => {
    const lines = readFixtureText('yarn/v1/yarn.lock').split('\n');
    const at = lines.findIndex((line) => line.startsWith('  version "1.0.0"'));
    lines[at] = '  version "1.0.0'; // unterminated string
    const error = errorOf(() => parseYarnLockfile(lines.join('\n')));
    expect(error.code).toBe('E_LOCKFILE_MALFORMED');
    expect(error.details?.line).toBe(at + 1);
  });

  it('gives E_LOCKFILE_MALFORMED with the line of the fault (berry)', () => {
    const lines = readFixtureText('yarn/berry/yarn.lock').split('\n');
    const at = lines.indexOf('  version: 4.0.0');
    lines[at] = '  version: [4.0.0';
    const error = errorOf(() => parseYarnLockfile(lines.join('\n')));
    expect(error.code).toBe('E_LOCKFILE_MALFORMED');
    expect(error.details?.line).toBeGreaterThanOrEqual(at + 1);
    expect(error.details?.line).toBeLessThanOrEqual(at + 2);
  });

  it('names a merge conflict left in a yarn 1 lockfile as malformed, with its line', () => {
    const text =
      '# yarn lockfile v1\n\n<<<<<<< HEAD\nms@^2:\n  version "2.1.3"\n=======\nms@^2:\n  version "2.1.2"\n>>>>>>> x\n';
    const error = errorOf(() => parseYarnLockfile(text));
    expect(error.code).toBe('E_LOCKFILE_MALFORMED');
    expect(error.details?.line).toBe(3);
  });
});

describe('when the berry lockfile version is unknown, or the file is no yarn lockfile', () => {
  it('gives E_LOCKFILE_UNSUPPORTED for __metadata version 99', () => {
    const text = '__metadata:\n  version: 99\n  cacheKey: 10c0\n';
    expect(errorOf(() => parseYarnLockfile(text)).code).toBe('E_LOCKFILE_UNSUPPORTED');
  });

  it('gives E_LOCKFILE_UNSUPPORTED for YAML with neither header nor metadata', () => {
    expect(errorOf(() => parseYarnLockfile('foo:\n  bar: baz\n')).code).toBe('E_LOCKFILE_UNSUPPORTED');
  });
});

describe('when some entries cannot be read', () => {
  it('returns the readable ones and names the skipped entry', () => {
    const text =
      '# yarn lockfile v1\n\nms@^2:\n  version "2.1.3"\n\nbroken@^1:\n  resolved "https://example.invalid/x.tgz"\n';
    const parsed = parseYarnLockfile(text);
    expect(parsed.packages.map((pkg) => pkg.name)).toEqual(['ms']);
    expect(parsed.skipped).toEqual([{ key: 'broken@^1', reason: 'no version' }]);
  });
});

describe.each([
  ['yarn/v1/yarn.lock', 'is-number@^3.0.0:'],
  ['yarn/berry/yarn.lock', '"is-number@npm:^3.0.0":'],
])('when %s is cut cleanly between two entries', (fixture, firstLost) => {
  it('reports the dependencies left pointing at nothing, so the listing is not taken as complete', () => {
    const text = readFixtureText(fixture);
    const parsed = parseYarnLockfile(text.slice(0, text.indexOf(firstLost)));
    expect(parsed.skipped.length).toBeGreaterThan(0);
    expect(parsed.skipped.every((entry) => entry.reason === 'the dependency has no entry')).toBe(true);
    expect(parsed.skipped.map((entry) => entry.key)).toContainEqual(
      expect.stringMatching(/-> is-odd@(npm:)?\^0.1.2$/),
    );
  });
});

describe.each(['yarn/v1/yarn.lock', 'yarn/berry/yarn.lock'])('when %s is truncated', (fixture) => {
  it('gives a result or a typed error at every offset', () => {
    const text = readFixtureText(fixture);
    const sweep = truncationSweep(text, parseYarnLockfile);
    expect(sweep.others).toEqual([]);
    expect(sweep.results + sweep.typedErrors).toBe(text.length + 1);
  });
});
