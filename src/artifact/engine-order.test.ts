import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_LIMITS } from '../core/limits.js';
import type { Analyzer } from '../core/plugin.js';
import type { ScanNode } from '../core/scan-result.js';
import { buildTree } from './engine.js';
import { defaultUnpackers } from './unpackers/index.js';

/**
 * Entries stored in a zip on disk are walked beside each other (a .tgz's inflating on the main
 * thread overlaps a zip of small files hashed in the hashing threads). These tests hold the tree
 * to the order of a one-at-a-time walk, whatever finished first.
 */

let dir: string;
let release: string;

/** Names in the order `zip` writes them: the outer zip's entry order. */
const OUTER_ENTRIES = ['a-plugin.tgz', 'b-resources.zip', 'c-notes.txt', 'd-more.zip', 'e-last.tgz'];

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'countersign-engine-order-'));
  const build = join(dir, 'build');
  const files = async (folder: string, count: number, content: (i: number) => string | Buffer) => {
    await mkdir(join(build, folder), { recursive: true });
    for (let i = 0; i < count; i++) await writeFile(join(build, folder, `f${i}.txt`), content(i));
  };
  // Random bytes do not compress: the two big archives pass 1 MiB, the size from which the zip
  // unpacker gives stored entries as ranges (which are what is walked concurrently).
  await files('plugin/package', 300, () => randomBytes(5000));
  await files('resources', 300, () => randomBytes(5000));
  await files('more', 30, (i) => `more ${i}\n`.repeat(10 + i));
  await files('last/package', 5, (i) => `last ${i}\n`);
  const run = (command: string, args: string[], cwd: string) => execFileSync(command, args, { cwd });
  run('tar', ['czf', join(dir, 'a-plugin.tgz'), 'package'], join(build, 'plugin'));
  run('zip', ['-qr', join(dir, 'b-resources.zip'), 'resources'], build);
  await writeFile(join(dir, 'c-notes.txt'), 'release notes\n');
  run('zip', ['-qr', join(dir, 'd-more.zip'), 'more'], build);
  run('tar', ['czf', join(dir, 'e-last.tgz'), 'package'], join(build, 'last'));
  release = join(dir, 'release.zip');
  // -0: stored, so that the nested archives are ranges of the release read in place.
  run('zip', ['-q0', release, ...OUTER_ENTRIES], dir);
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function treeOf(input: string, analyzers: Analyzer[] = []) {
  return buildTree([input], {
    limits: DEFAULT_LIMITS,
    unpackers: defaultUnpackers(),
    analyzers,
    digestAlgorithms: ['sha256'],
    scratchParent: dir,
  });
}

describe('when a release zip stores several nested archives', () => {
  it('lists each container right before its whole subtree, in archive order', async () => {
    const { nodes, gaps } = await treeOf(release);
    expect(gaps).toEqual([]);
    expect(nodes).toHaveLength(1 + OUTER_ENTRIES.length + 300 + 300 + 30 + 5);
    // The outer entries, in the zip's order.
    expect(nodes.filter((node) => node.depth === 1).map((node) => node.name)).toEqual(OUTER_ENTRIES);
    // Depth first: everything between a container and its next sibling lies inside it.
    for (const [index, node] of nodes.entries()) {
      if (index === 0) continue;
      const previous = nodes[index - 1]!;
      expect(
        node.parent === previous.path || isUnder(previous, node.parent!),
        `${node.path} after ${previous.path}`,
      ).toBe(true);
    }
    // Inside each archive, entries keep the archive's own order.
    const resources = nodes.filter((node) => node.parent === 'release.zip!/b-resources.zip');
    expect(resources.map((node) => node.name)).toEqual(
      zipListing(join(dir, 'b-resources.zip')).filter((name) => !name.endsWith('/')),
    );
  });

  it("lists the gaps in their nodes' walk order, a node's own gaps in the order they came", async () => {
    // An analyzer that gives up twice on every text file, in every archive walked at once.
    const refusing: Analyzer = {
      id: 'analyzer/test-refuses',
      version: 1,
      accepts: (node) => node.name.endsWith('.txt'),
      analyze: async (node) => ({
        facts: [],
        gaps: ['first', 'second'].map((which) => ({
          code: 'E_PLUGIN_FAILED' as const,
          stage: 'analyze' as const,
          message: `${which} refusal of ${node.name}`,
        })),
      }),
    };
    const { nodes, gaps } = await treeOf(release, [refusing]);
    const textNodes = nodes.filter((node) => node.name.endsWith('.txt'));
    expect(textNodes).toHaveLength(1 + 300 + 300 + 30 + 5);
    // Two gaps per text file, in the nodes' own order, the first refusal before the second.
    expect(gaps.map((gap) => `${gap.node} ${gap.message.split(' ')[0]}`)).toEqual(
      textNodes.flatMap((node) => [`${node.path} first`, `${node.path} second`]),
    );
  });

  it('gives the same tree, in the same order, on every run', async () => {
    const first = await treeOf(release);
    const second = await treeOf(release);
    const shape = (nodes: ScanNode[]) => nodes.map((node) => `${node.path} ${node.digests?.sha256}`);
    expect(shape(second.nodes)).toEqual(shape(first.nodes));
  });
});

/** Whether `node` lies (at any depth) inside the container at `container`. */
function isUnder(node: ScanNode, container: string): boolean {
  return node.path.startsWith(`${container}!/`) || node.path.startsWith(`${container}/`);
}

/** Entry names of a zip, in its central directory's order (`unzip -Z1`). */
function zipListing(path: string): string[] {
  return execFileSync('unzip', ['-Z1', path], { encoding: 'utf8' }).trim().split('\n');
}
