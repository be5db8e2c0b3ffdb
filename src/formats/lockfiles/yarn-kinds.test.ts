import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseYarnLockfile } from './yarn.js';
import { type DeclaredDependency, yarnKindsFromManifest } from './yarn-kinds.js';

const project = (name: string, file: string) =>
  readFileSync(new URL(`../../../test/fixtures/projects/data/${name}/${file}`, import.meta.url), 'utf8');

/** The dependencies of a package.json, as the manifest analyzer lists them. */
function declared(manifestText: string): DeclaredDependency[] {
  const manifest = JSON.parse(manifestText) as Record<string, Record<string, string> | undefined>;
  return ['dependencies', 'optionalDependencies', 'devDependencies', 'peerDependencies'].flatMap((group) =>
    Object.entries(manifest[group] ?? {}).map(([name, spec]) => ({ name, spec, group })),
  );
}

/** name@version -> kind, for readable expectations. */
function kindsByPackage(lockfileText: string, manifestText: string): Record<string, string | undefined> {
  const parsed = parseYarnLockfile(lockfileText);
  const kinds = yarnKindsFromManifest(parsed.packages, declared(manifestText));
  return Object.fromEntries(
    parsed.packages.map((locked) => [`${locked.name}@${locked.version}`, kinds.get(locked.path)]),
  );
}

// is-odd is a dev dependency; the is-number@6 it needs is reached from it alone.
const EXPECTED = {
  'is-number@7.0.0': 'prod',
  'is-number@6.0.0': 'dev',
  'is-odd@3.0.1': 'dev',
  'ms@2.1.3': 'prod',
  'to-regex-range@5.0.1': 'prod',
};

describe('when yarn.lock (which records no dev flags) is read with the project package.json', () => {
  it('yarn classic: kinds follow the declared groups through the lockfile graph', () => {
    const kinds = kindsByPackage(
      project('yarn-classic-match', 'yarn.lock'),
      project('yarn-classic-match', 'package.json'),
    );
    expect(kinds).toEqual(EXPECTED);
  });

  it('yarn berry: the same, though its workspace entry merges dev and production dependencies', () => {
    const kinds = kindsByPackage(
      project('yarn-berry-node-modules', 'yarn.lock'),
      project('yarn-berry-node-modules', 'package.json'),
    );
    expect(kinds).toEqual(EXPECTED);
  });

  it('marks what only optional edges reach as optional, and leaves what nothing declares unknown', () => {
    const lockfile = [
      '# yarn lockfile v1',
      '',
      'a@^1.0.0:',
      '  version "1.0.0"',
      '  optionalDependencies:',
      '    fsevents "^2.0.0"',
      '',
      'fsevents@^2.0.0:',
      '  version "2.3.3"',
      '',
      'stray@^1.0.0:',
      '  version "1.0.0"',
      '',
    ].join('\n');
    const kinds = kindsByPackage(lockfile, JSON.stringify({ dependencies: { a: '^1.0.0' } }));
    expect(kinds).toEqual({ 'a@1.0.0': 'prod', 'fsevents@2.3.3': 'optional', 'stray@1.0.0': 'unknown' });
    // Without a package.json that declares anything, nothing is reached: every kind stays unknown.
    expect(Object.values(kindsByPackage(lockfile, '{}'))).toEqual(['unknown', 'unknown', 'unknown']);
  });
});
