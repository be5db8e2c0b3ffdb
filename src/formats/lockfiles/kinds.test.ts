import { describe, expect, it } from 'vitest';
import { readFixtureText } from '../../../test/fixtures/lockfiles/expectations.js';
import { parseNpmLockfile } from './npm.js';
import { parsePnpmLockfile } from './pnpm.js';

/**
 * Two tools, two ways of saying how a package is used: npm writes flags per package, pnpm 9
 * records only the graph. For the same project (test/fixtures/lockfiles/kinds) both readings
 * must agree on every package.
 */
describe('when npm flags and the pnpm graph describe the same project', () => {
  const npm = parseNpmLockfile(readFixtureText('kinds/package-lock.json'));
  const pnpm = parsePnpmLockfile(readFixtureText('kinds/pnpm-lock.yaml'));
  const npmKinds = new Map(npm.packages.map((pkg) => [`${pkg.name}@${pkg.version}`, pkg.kind]));

  it('they list the same packages', () => {
    expect(new Set(pnpm.packages.map((pkg) => `${pkg.name}@${pkg.version}`))).toEqual(
      new Set(npmKinds.keys()),
    );
  });

  it('the kind computed from the pnpm graph is the kind npm flagged, for every package', () => {
    const disagreements = pnpm.packages
      .map((pkg) => [`${pkg.name}@${pkg.version}`, pkg.kind, npmKinds.get(`${pkg.name}@${pkg.version}`)])
      .filter(([, ours, theirs]) => ours !== theirs);
    expect(disagreements).toEqual([]);
  });

  it('covers the three non-production kinds the project was built to show', () => {
    const kindOf = (key: string) => npmKinds.get(key);
    // Root optional dependency also reached from a dev dependency: npm's devOptional.
    expect(kindOf('is-number@7.0.0')).toBe('dev-optional');
    expect(kindOf('to-regex-range@5.0.1')).toBe('dev');
    // An optional platform package of a dev dependency is still dev-only.
    expect(kindOf('@esbuild/linux-x64@0.25.0')).toBe('dev');
  });
});
