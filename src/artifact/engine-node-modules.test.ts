import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_LIMITS } from '../core/limits.js';
import { buildTree } from './engine.js';

/**
 * `skipNodeModules` (scan without --deep): node_modules folders are left out, each with a gap that
 * counts what was left; an input inside node_modules is walked in full.
 */
describe('when a folder walk skips node_modules', () => {
  let project: string;
  const options = {
    limits: DEFAULT_LIMITS,
    unpackers: [],
    analyzers: [],
    digestAlgorithms: ['sha256'] as const,
  };

  beforeAll(async () => {
    project = await mkdtemp(join(tmpdir(), 'countersign-engine-nm-'));
    const files: Record<string, string> = {
      'package.json': '{"name":"app"}',
      'index.js': 'module.exports = 1;',
      'node_modules/left-pad/package.json': '{"name":"left-pad","version":"1.0.0"}',
      'node_modules/@scope/a/package.json': '{"name":"@scope/a","version":"1.0.0"}',
      'node_modules/@scope/b/package.json': '{"name":"@scope/b","version":"1.0.0"}',
      'node_modules/.package-lock.json': '{}',
      'packages/tool/node_modules/x/package.json': '{"name":"x","version":"1.0.0"}',
    };
    for (const [name, text] of Object.entries(files)) {
      await mkdir(join(project, name, '..'), { recursive: true });
      await writeFile(join(project, name), text);
    }
  });
  afterAll(() => rm(project, { recursive: true, force: true }));

  it('lists the project files and one E_SCAN_NOT_DEEP gap per node_modules folder, with its package count', async () => {
    const tree = await buildTree([project], { ...options, skipNodeModules: true });
    const root = tree.subjects[0]!.name;
    expect(tree.nodes.map((node) => node.path.slice(root.length + 1)).sort()).toEqual([
      'index.js',
      'package.json',
    ]);
    expect(tree.gaps.map((gap) => [gap.node.slice(root.length + 1), gap.code, gap.stage])).toEqual([
      ['node_modules', 'E_SCAN_NOT_DEEP', 'limit'],
      ['packages/tool/node_modules', 'E_SCAN_NOT_DEEP', 'limit'],
    ]);
    expect(tree.gaps[0]!.message).toMatch(/^not walked: 3 installed packages not analysed .*--deep/);
    expect(tree.gaps[1]!.message).toMatch(/^not walked: 1 installed package not analysed/);
  });

  it('walks everything when not asked to skip', async () => {
    const tree = await buildTree([project], options);
    expect(tree.gaps).toEqual([]);
    expect(tree.nodes.filter((node) => node.path.includes('/node_modules/'))).toHaveLength(5);
  });

  it('walks a node_modules input in full, and a folder inside one', async () => {
    for (const input of [join(project, 'node_modules'), join(project, 'node_modules', '@scope')]) {
      const tree = await buildTree([input], { ...options, skipNodeModules: true });
      expect(tree.gaps).toEqual([]);
      expect(tree.nodes.length).toBeGreaterThan(0);
    }
  });
});
