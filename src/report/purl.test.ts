import { describe, expect, it } from 'vitest';
import { npmPurl, splitNpmName } from './purl.js';

describe('when an npm package gets a purl', () => {
  it.each([
    ['left-pad', '1.3.0', 'pkg:npm/left-pad@1.3.0'],
    ['@example/telemetry', '2.0.0-beta.1', 'pkg:npm/%40example/telemetry@2.0.0-beta.1'],
    ['@Scope/Name', '1.0.0', 'pkg:npm/%40scope/name@1.0.0'],
    ['pkg', '1.0.0+build.5', 'pkg:npm/pkg@1.0.0%2Bbuild.5'],
    ["it's(odd)!*", '1', 'pkg:npm/it%27s%28odd%29%21%2A@1'],
    ['a b', '1', 'pkg:npm/a%20b@1'],
    ['@a/b/c', '1', 'pkg:npm/%40a/b%2Fc@1'],
    ['no-version', '', 'pkg:npm/no-version'],
  ])('%s@%s is %s', (name, version, purl) => {
    expect(npmPurl(name, version)).toBe(purl);
  });

  it('gives none for a name that cannot make one', () => {
    expect(npmPurl('', '1.0.0')).toBeUndefined();
    expect(npmPurl('   ', '1.0.0')).toBeUndefined();
  });

  it('splits scoped names at the first slash only', () => {
    expect(splitNpmName('@s/n')).toEqual({ scope: '@s', name: 'n' });
    expect(splitNpmName('@s/')).toEqual({ name: '@s/' });
    expect(splitNpmName('@/n')).toEqual({ name: '@/n' });
    expect(splitNpmName('plain')).toEqual({ name: 'plain' });
  });
});
