import { describe, expect, it } from 'vitest';
import { classifySpec, versionFromTarballUrl } from './source.js';

describe('when a dependency spec or resolution is classified', () => {
  it.each([
    ['^1.2.0', 'registry'],
    ['npm:ms@2.0.0', 'registry'],
    ['https://registry.npmjs.org/is-odd/-/is-odd-3.0.1.tgz', 'tarball'],
    ['git+ssh://git@example.invalid/acme/widget.git#0123abc', 'git'],
    ['github:acme/widget#main', 'git'],
    ['acme/widget#main', 'git'],
    ['https://codeload.github.com/acme/widget/tar.gz/0123abc', 'git'],
    ['https://example.invalid/acme/widget.git#0123abc', 'git'],
    ['https://github.com/acme/widget#0123abc', 'git'],
    ['file:../vendor/x-1.0.0.tgz', 'file'],
    ['file:../vendor/x', 'directory'],
    ['link:../x', 'directory'],
    ['workspace:packages/a', 'directory'],
  ])('%s is %s', (spec, source) => {
    expect(classifySpec(spec)).toBe(source);
  });
});

describe('when a version is read from a registry tarball URL', () => {
  it.each([
    ['is-odd', 'https://registry.npmjs.org/is-odd/-/is-odd-3.0.1.tgz', '3.0.1'],
    ['@types/ms', 'https://registry.npmjs.org/@types/ms/-/ms-2.1.0.tgz', '2.1.0'],
    ['x', 'https://registry.yarnpkg.com/x/-/x-1.0.0-beta.2.tgz#abc', '1.0.0-beta.2'],
    ['x', 'https://example.invalid/downloads/x.tgz', undefined],
    ['x', 'https://registry.npmjs.org/y/-/y-1.0.0.tgz', undefined],
  ])('%s from %s is %s', (name, url, version) => {
    expect(versionFromTarballUrl(name, url)).toBe(version);
  });
});
