import { describe, expect, it } from 'vitest';
import { classifySpecifier } from './specifier.js';

describe('classifySpecifier', () => {
  it.each([
    ['^1.2.3', 'range', undefined],
    ['1.x || >=2.5.0', 'range', undefined],
    ['*', 'range', undefined],
    ['', 'range', undefined],
    ['latest', 'tag', undefined],
    ['next', 'tag', undefined],
    ['npm:string-width@^4.2.0', 'alias', 'string-width'],
    ['npm:@scope/real@1', 'alias', '@scope/real'],
    ['git+https://github.com/u/r.git#v1', 'git', 'github.com'],
    ['git+ssh://git@example.invalid/u/r.git', 'git', 'example.invalid'],
    ['git@github.com:u/r.git', 'git', 'github.com'],
    ['https://example.invalid/u/r.git', 'git', 'example.invalid'],
    ['github:u/r', 'hosted-git', 'github'],
    ['u/r#main', 'hosted-git', 'github'],
    ['gitlab:u/r', 'hosted-git', 'gitlab'],
    ['https://example.invalid/pkg-1.0.0.tgz', 'tarball-url', 'example.invalid'],
    ['file:../local', 'file', undefined],
    ['./vendor/x.tgz', 'file', undefined],
    ['.', 'file', undefined],
    ['C:\\vendor\\x', 'file', undefined],
    ['link:../x', 'link', undefined],
    ['workspace:*', 'workspace', undefined],
    ['%%%', 'unknown', undefined],
  ])('%s is %s', (spec, type, target) => {
    const classified = classifySpecifier(spec);
    expect(classified.type).toBe(type);
    expect(classified.target).toBe(target);
  });
});
