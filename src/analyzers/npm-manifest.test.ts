import { describe, expect, it } from 'vitest';
import { memoryNode } from '../artifact/memory-node.js';
import { factsOfKind } from '../core/facts.js';
import { DEFAULT_LIMITS } from '../core/limits.js';
import type { NodePath } from '../core/node-path.js';
import { readPackument } from '../formats/npm/packument.js';
import { withNpmAnalyzers } from './npm/index.js';
import { createNpmManifestAnalyzer, npmManifestAnalyzer } from './npm-manifest.js';

const ctx = { limits: DEFAULT_LIMITS };
const json = (value: unknown) => new TextEncoder().encode(JSON.stringify(value));

function manifestNode(value: unknown, path = 'x.tgz!/package/package.json') {
  return memoryNode(value instanceof Uint8Array ? value : json(value), {
    name: 'package.json',
    path: path as NodePath,
    type: 'json',
  });
}

const tarballManifest = {
  name: 'example-colors',
  version: '1.0.1',
  scripts: { postinstall: 'node setup.js', test: 'vitest' },
  bin: 'cli.js',
  dependencies: { 'ui-styles': 'https://example.invalid/ui.tgz' },
};

describe('analyzer/npm-manifest', () => {
  describe('when a package root holds a package.json', () => {
    it('gives one npm.manifest fact with the install scripts analysed', async () => {
      const node = manifestNode(tarballManifest);
      expect(npmManifestAnalyzer.accepts(node)).toBe(true);
      const { facts, gaps } = await npmManifestAnalyzer.analyze(node, ctx);
      expect(gaps).toEqual([]);
      const [manifest] = factsOfKind(facts, 'npm.manifest');
      expect(manifest).toMatchObject({
        name: 'example-colors',
        lifecycleScripts: { postinstall: 'node setup.js' },
        bin: { 'example-colors': 'cli.js' },
        dependencies: [{ name: 'ui-styles', type: 'tarball-url', target: 'example.invalid' }],
      });
      expect(manifest!.installScripts![0]!.analysis.nodeScripts).toEqual(['setup.js']);
      expect(factsOfKind(facts, 'npm.registry')).toEqual([]);
    });
  });

  describe('when the package.json is not JSON', () => {
    it('records a coverage gap, not a crash', async () => {
      const { facts, gaps } = await npmManifestAnalyzer.analyze(
        manifestNode(new TextEncoder().encode('{"name":')),
        ctx,
      );
      expect(facts).toEqual([]);
      expect(gaps[0]).toMatchObject({ code: 'E_FORMAT_MALFORMED' });
    });
  });

  describe('when a packument of the same name is given', () => {
    const packument = readPackument({
      name: 'example-colors',
      time: {
        '1.0.0': '2025-01-01T00:00:00.000Z',
        '2.0.0': '2025-02-01T00:00:00.000Z',
        '1.0.1': '2025-03-01T00:00:00.000Z',
      },
      versions: {
        '1.0.0': { name: 'example-colors', version: '1.0.0' },
        '2.0.0': { name: 'example-colors', version: '2.0.0' },
        '1.0.1': {
          ...tarballManifest,
          scripts: { test: 'vitest' },
          _npmUser: { name: 'mallory' },
          maintainers: [{ name: 'mallory' }, { name: 'alice' }],
          dist: { attestations: { url: 'https://registry.example.invalid/a' } },
        },
      },
    });
    const analyzer = createNpmManifestAnalyzer({ packuments: [packument] });

    it('adds the registry facts of this version and the manifest confusion', async () => {
      const { facts } = await analyzer.analyze(manifestNode(tarballManifest), ctx);
      expect(factsOfKind(facts, 'npm.registry')[0]).toEqual({
        kind: 'npm.registry',
        name: 'example-colors',
        version: '1.0.1',
        isListed: true,
        publishedAt: '2025-03-01T00:00:00.000Z',
        publisher: 'mallory',
        maintainers: ['alice', 'mallory'],
        hasProvenance: true,
        hasSignatures: false,
        higherVersionsPublishedBefore: ['2.0.0'],
        versionCount: 3,
      });
      expect(factsOfKind(facts, 'npm.manifest-confusion')[0]!.differences).toEqual([
        { field: 'script', key: 'scripts.postinstall', tarball: 'node setup.js' },
      ]);
    });

    it('says when the tarball version was never published', async () => {
      const { facts } = await analyzer.analyze(manifestNode({ ...tarballManifest, version: '9.9.9' }), ctx);
      expect(factsOfKind(facts, 'npm.registry')[0]).toMatchObject({ isListed: false, maintainers: [] });
      expect(factsOfKind(facts, 'npm.manifest-confusion')).toEqual([]);
    });

    it('keys its cache entries by the packument, so other metadata is never served from the cache', () => {
      expect(analyzer.cacheKey?.()).toMatch(/^[0-9a-f]{64}$/);
      expect(npmManifestAnalyzer.cacheKey?.()).toBe('');
    });
  });
});

describe('withNpmAnalyzers', () => {
  it('replaces the manifest analyzer and adds the JavaScript analyzer (module references) once', () => {
    const list = withNpmAnalyzers([npmManifestAnalyzer], {});
    expect(list.map((analyzer) => analyzer.id)).toEqual([
      'analyzer/npm-manifest',
      'analyzer/js-capabilities',
    ]);
    expect(list[0]).not.toBe(npmManifestAnalyzer);
    const again = withNpmAnalyzers(list).filter((analyzer) => analyzer.id === 'analyzer/js-capabilities');
    expect(again).toHaveLength(1);
  });
});
