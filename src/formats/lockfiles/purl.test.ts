import { describe, expect, it } from 'vitest';
import { npmPurl } from './purl.js';

// Expected strings follow the purl spec's npm examples and encoding rules, written out by hand.
describe('when a purl is made for an npm package', () => {
  it('puts the scope in the namespace, percent-encoded', () => {
    expect(npmPurl('@sindresorhus/merge-streams', '4.0.0')).toBe(
      'pkg:npm/%40sindresorhus/merge-streams@4.0.0',
    );
  });

  it('leaves an unscoped name as it is', () => {
    expect(npmPurl('ms', '2.1.3')).toBe('pkg:npm/ms@2.1.3');
  });

  it('lowercases the name, as the npm purl type requires', () => {
    expect(npmPurl('JSONStream', '1.3.5')).toBe('pkg:npm/jsonstream@1.3.5');
  });

  it('encodes build metadata in the version', () => {
    expect(npmPurl('x', '1.0.0+build.5')).toBe('pkg:npm/x@1.0.0%2Bbuild.5');
  });

  it('sorts and encodes qualifiers', () => {
    expect(npmPurl('w', '1.0.0', { vcs_url: 'git+https://example.invalid/w.git#abc' })).toBe(
      'pkg:npm/w@1.0.0?vcs_url=git%2Bhttps%3A%2F%2Fexample.invalid%2Fw.git%23abc',
    );
  });

  it('omits an empty version', () => {
    expect(npmPurl('w', '')).toBe('pkg:npm/w');
  });
});
