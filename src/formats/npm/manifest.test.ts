import { describe, expect, it } from 'vitest';
import { isCountersignError } from '../../core/errors.js';
import { compareManifests } from './compare-manifests.js';
import { readManifest } from './manifest.js';
import { moduleRefsOf } from './module-refs.js';
import { higherVersionsPublishedBefore, parsePackument } from './packument.js';

const base = {
  name: '@acme/tool',
  version: '2.0.0',
  license: 'MIT',
  bin: './cli.js',
  scripts: { test: 'vitest', postinstall: 'node-gyp rebuild' },
  dependencies: { a: '^1.0.0', b: 'github:u/b' },
  optionalDependencies: { c: 'https://example.invalid/c.tgz' },
  devDependencies: { d: 'file:../d' },
  peerDependencies: { e: 'npm:f@1' },
  bundledDependencies: ['a'],
  gypfile: true,
  os: ['linux'],
  cpu: ['x64', 42],
  publishConfig: { access: 'public', provenance: true },
  repository: { type: 'git', url: 'git+https://example.invalid/u/tool.git' },
};

describe('readManifest', () => {
  it('reads every field a reviewer needs', () => {
    const manifest = readManifest(base)!;
    expect(manifest.bin).toEqual({ tool: './cli.js' });
    expect(manifest.installScripts.map((script) => [script.hook, script.analysis.knownTools])).toEqual([
      ['postinstall', ['node-gyp']],
    ]);
    expect(
      manifest.dependencies.map((dependency) => `${dependency.group}:${dependency.name}:${dependency.type}`),
    ).toEqual([
      'dependencies:a:range',
      'dependencies:b:hosted-git',
      'optionalDependencies:c:tarball-url',
      'peerDependencies:e:alias',
      'devDependencies:d:file',
      'bundleDependencies:a:bundled',
    ]);
    expect(manifest).toMatchObject({
      gypfile: true,
      os: ['linux'],
      cpu: ['x64'],
      publishConfig: { access: 'public', provenance: 'true' },
      repository: 'git+https://example.invalid/u/tool.git',
    });
  });

  it('is no package without a name and a version, and ignores fields of the wrong type', () => {
    expect(readManifest({ private: true, workspaces: ['a'] })).toBeUndefined();
    expect(readManifest([1, 2])).toBeUndefined();
    const manifest = readManifest({
      name: 'x',
      version: '1.0.0',
      scripts: 'nope',
      bin: 7,
      dependencies: [],
    })!;
    expect(manifest).toMatchObject({ installScripts: [], bin: {}, dependencies: [] });
  });
});

describe('compareManifests (manifest confusion)', () => {
  it('sees scripts, dependencies and bin that the registry does not show', () => {
    const registry = readManifest({ ...base, scripts: { test: 'vitest' }, hasInstallScript: false })!;
    const tarball = readManifest({
      ...base,
      dependencies: { ...base.dependencies, evil: 'https://example.invalid/e.tgz' },
    })!;
    const keys = compareManifests(registry, tarball).map((difference) => difference.key);
    expect(keys).toEqual(['scripts.postinstall', 'dependencies.evil', 'hasInstallScript']);
  });

  it("does not count npm's own normalisation (implied node-gyp, ./ in bin paths) as a difference", () => {
    const tarball = readManifest({ ...base, scripts: {} })!;
    const registry = readManifest({
      ...base,
      bin: { tool: 'cli.js' },
      scripts: { install: 'node-gyp rebuild' },
    })!;
    expect(compareManifests(registry, tarball)).toEqual([]);
  });
});

describe('parsePackument', () => {
  const packument = {
    name: 'example-colors',
    'dist-tags': { latest: '2.0.0' },
    time: {
      created: '2020-01-01T00:00:00.000Z',
      '1.0.0': '2020-01-01T00:00:00.000Z',
      '2.0.0': '2021-01-01T00:00:00.000Z',
      '1.0.1': '2022-01-01T00:00:00.000Z',
    },
    versions: {
      '1.0.0': {
        name: 'example-colors',
        version: '1.0.0',
        _npmUser: { name: 'alice' },
        maintainers: ['alice <a@example.invalid>'],
      },
      '2.0.0': {
        name: 'example-colors',
        version: '2.0.0',
        _npmUser: { name: 'alice', email: 'a@example.invalid' },
        maintainers: [{ name: 'alice' }],
        dist: { attestations: { url: 'https://registry.example.invalid/att' }, signatures: [{ sig: 'x' }] },
      },
      '1.0.1': { name: 'example-colors', version: '1.0.1', _npmUser: { name: 'mallory' } },
    },
  };

  it('reads publishers, maintainers, provenance and signatures per version', () => {
    const read = parsePackument(JSON.stringify(packument));
    expect(read.versions.get('1.0.0')).toMatchObject({
      publisher: { name: 'alice' },
      maintainers: [{ name: 'alice', email: 'a@example.invalid' }],
      hasProvenance: false,
    });
    expect(read.versions.get('2.0.0')).toMatchObject({ hasProvenance: true, hasSignatures: true });
  });

  it('finds the higher versions published before a version', () => {
    const read = parsePackument(JSON.stringify(packument));
    expect(higherVersionsPublishedBefore(read, '1.0.1')).toEqual(['2.0.0']);
    expect(higherVersionsPublishedBefore(read, '2.0.0')).toEqual([]);
  });

  it('throws E_FORMAT_MALFORMED for what is not a packument, on every prefix', () => {
    const text = JSON.stringify(packument);
    for (let cut = 0; cut < text.length; cut += 7) {
      try {
        parsePackument(text.slice(0, cut));
      } catch (error) {
        expect(isCountersignError(error) && error.code === 'E_FORMAT_MALFORMED').toBe(true);
      }
    }
    expect(() => parsePackument('{"name":"x"}')).toThrow(/not an npm packument/);
  });
});

describe('moduleRefsOf', () => {
  it('names packages of require, import and import(), not paths or built-ins', () => {
    const source = [
      "const a = require('lodash/fp');",
      "import b from '@scope/pkg/sub';",
      "import 'side-effect';",
      'export { c } from "re-export";',
      "const d = await import('dynamic');",
      "require('./local'); require('node:fs'); require.resolve('resolved')",
    ].join('\n');
    expect(moduleRefsOf(source)).toEqual([
      '@scope/pkg',
      'dynamic',
      'lodash',
      're-export',
      'resolved',
      'side-effect',
    ]);
  });

  it('reads each form wherever the others stand, on one line or in one minified run', () => {
    const source =
      'var a=require(`tpl`),b=require("x"+y);import"side";import c from"d";export*from"e";import("f").then(g=>require.resolve("h"))';
    expect(moduleRefsOf(source)).toEqual(['d', 'e', 'f', 'h', 'side', 'tpl']);
  });
});
