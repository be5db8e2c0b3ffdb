import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdir, mkdtemp, readdir, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CountersignError } from '../core/errors.js';
import { DEFAULT_LIMITS, type Limits } from '../core/limits.js';
import type { ArchiveEntry, ContentView, NodeHead, Unpacker } from '../core/plugin.js';
import { buildTree } from './engine.js';

/**
 * A tiny container format for testing the engine alone: a JSON document
 * `{"testarc": [{ name, kind?, data?, declaredSize?, compressedSize?, linkTarget?, problem?, repeat? }]}`.
 * `repeat` streams `data` that many times (a cheap way to make a large entry), `failAfter`
 * makes the container throw after that many entries, as a corrupt archive would.
 */
interface TestEntry {
  name: string;
  kind?: ArchiveEntry['kind'];
  data?: string | TestArchive;
  repeat?: number;
  declaredSize?: number;
  compressedSize?: number;
  linkTarget?: string;
  problem?: 'E_ARCHIVE_ENCRYPTED' | 'E_ARCHIVE_UNSUPPORTED';
  /** Give the engine the range of `data` inside the container (plain ASCII data only). */
  stored?: boolean;
}
interface TestArchive {
  testarc: TestEntry[];
  failAfter?: number;
}

const testUnpacker: Unpacker = {
  id: 'unpacker/test',
  version: 1,
  accepts: (node: NodeHead) => Buffer.from(node.head.subarray(0, 11)).toString() === '{"testarc":',
  async *unpack(node: ContentView): AsyncIterable<ArchiveEntry> {
    const raw = Buffer.from(await node.read()).toString('latin1');
    const archive = JSON.parse(raw) as TestArchive;
    for (const [index, entry] of archive.testarc.entries()) {
      if (archive.failAfter === index)
        throw new CountersignError('E_ARCHIVE_TRUNCATED', 'unexpected end of test archive');
      const data = typeof entry.data === 'object' ? JSON.stringify(entry.data) : (entry.data ?? '');
      const chunk = Buffer.from(data);
      const marker = `"data":${JSON.stringify(data)}`;
      const storedAt = entry.stored ? raw.indexOf(marker) + marker.length - data.length - 1 : -1;
      if (entry.stored && raw.indexOf(marker) < 0)
        throw new Error(`test archive: cannot locate ${entry.name}`);
      yield {
        name: entry.name,
        kind: entry.kind ?? 'file',
        ...(storedAt >= 0 ? { storedRange: { offset: storedAt, length: data.length } } : {}),
        ...(entry.linkTarget !== undefined ? { linkTarget: entry.linkTarget } : {}),
        ...(entry.declaredSize !== undefined ? { declaredSize: entry.declaredSize } : {}),
        ...(entry.compressedSize !== undefined ? { compressedSize: entry.compressedSize } : {}),
        ...(entry.problem
          ? { problem: new CountersignError(entry.problem, `entry ${entry.name}: ${entry.problem}`) }
          : {}),
        ...(entry.problem
          ? {}
          : {
              open: async () =>
                Readable.from(
                  (function* () {
                    for (let i = 0; i < (entry.repeat ?? 1); i++) yield chunk;
                  })(),
                ),
            }),
      };
    }
  },
};

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'countersign-engine-test-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function writeArchive(name: string, archive: TestArchive): Promise<string> {
  const path = join(dir, name);
  await writeFile(path, JSON.stringify(archive));
  return path;
}

function treeOf(inputs: string[], limits: Partial<Limits> = {}) {
  return buildTree(inputs, {
    limits: { ...DEFAULT_LIMITS, ...limits },
    unpackers: [testUnpacker],
    analyzers: [],
    digestAlgorithms: ['sha256', 'sha1', 'md5'],
    scratchParent: dir,
  });
}

const sha256 = (data: string | Buffer) => createHash('sha256').update(data).digest('hex');

describe('when a container holds files and nested containers', () => {
  it('records every node with nested paths, digests, type, entropy and lines', async () => {
    const input = await writeArchive('outer.testarc', {
      testarc: [
        { name: 'readme.txt', data: 'hello\nworld\n' },
        { name: 'inner.testarc', data: { testarc: [{ name: 'lib/index.js', data: 'module.exports = 1;' }] } },
      ],
    });
    const tree = await treeOf([input]);
    expect(tree.nodes.map((node) => node.path)).toEqual([
      'outer.testarc',
      'outer.testarc!/readme.txt',
      'outer.testarc!/inner.testarc',
      'outer.testarc!/inner.testarc!/lib/index.js',
    ]);
    const readme = tree.nodes[1]!;
    expect(readme.digests).toEqual({
      sha256: sha256('hello\nworld\n'),
      sha1: createHash('sha1').update('hello\nworld\n').digest('hex'),
      md5: createHash('md5').update('hello\nworld\n').digest('hex'),
    });
    expect(readme).toMatchObject({ type: 'text', lines: 2, size: 12, depth: 1, parent: 'outer.testarc' });
    expect(tree.nodes[3]).toMatchObject({ type: 'javascript', lines: 1, depth: 2 });
    expect(tree.nodes[0]!.unpackedBy).toBe('unpacker/test');
    expect(tree.gaps).toEqual([]);
    expect(tree.subjects).toHaveLength(1);
    expect(tree.subjects[0]!.digests.sha256).toBe(
      sha256(JSON.stringify(JSON.parse(await readArchiveText(input)))),
    );
  });

  it('computes entropy as Shannon bits per byte', async () => {
    const input = await writeArchive('entropy.testarc', {
      testarc: [
        { name: 'zeros.bin', data: 'aaaa', repeat: 1000 },
        { name: 'two.bin', data: 'ab', repeat: 1000 },
      ],
    });
    const tree = await treeOf([input]);
    expect(tree.nodes.find((node) => node.name === 'zeros.bin')!.entropy).toBe(0);
    expect(tree.nodes.find((node) => node.name === 'two.bin')!.entropy).toBe(1);
  });
});

async function readArchiveText(path: string): Promise<string> {
  const { readFile } = await import('node:fs/promises');
  return readFile(path, 'utf8');
}

describe('when entries are stored verbatim in their container', () => {
  it('reads them in place, in files and in memory, with the same digests', async () => {
    const input = await writeArchive('stored.testarc', {
      testarc: [
        { name: 'a.txt', data: 'stored bytes', stored: true },
        { name: 'inner.testarc', data: { testarc: [{ name: 'b.txt', data: 'deeper', stored: true }] } },
      ],
    });
    const tree = await treeOf([input]);
    expect(tree.nodes.find((node) => node.name === 'a.txt')!.digests!.sha256).toBe(sha256('stored bytes'));
    expect(tree.nodes.find((node) => node.name === 'b.txt')!.digests!.sha256).toBe(sha256('deeper'));
    expect(tree.gaps).toEqual([]);
  });
});

describe('when entries are hostile', () => {
  it('records traversal, absolute and drive-letter names as flags without touching the file system', async () => {
    const input = await writeArchive('slip.testarc', {
      testarc: [
        { name: '../../evil.sh', data: 'echo owned' },
        { name: '/etc/cron.d/x', data: 'x' },
        { name: 'C:\\Windows\\x.dll', data: 'x' },
      ],
    });
    const before = await readdir(dir);
    const tree = await treeOf([input]);
    expect(tree.nodes.find((node) => node.name === '../../evil.sh')!.flags).toContain('path-traversal');
    expect(tree.nodes.find((node) => node.name === '/etc/cron.d/x')!.flags).toContain('absolute-path');
    expect(tree.nodes.find((node) => node.name === 'C:\\Windows\\x.dll')!.flags).toContain('drive-letter');
    expect(await readdir(dir)).toEqual(before);
  });

  it('keeps duplicate names apart', async () => {
    const input = await writeArchive('dup.testarc', {
      testarc: [
        { name: 'a.txt', data: 'first' },
        { name: 'a.txt', data: 'second' },
      ],
    });
    const tree = await treeOf([input]);
    const paths = tree.nodes.map((node) => node.path);
    expect(paths).toContain('dup.testarc!/a.txt');
    expect(paths).toContain('dup.testarc!/a.txt#2');
    expect(tree.nodes.find((node) => node.path === 'dup.testarc!/a.txt#2')!.flags).toContain(
      'duplicate-name',
    );
    expect(tree.nodes.find((node) => node.path === 'dup.testarc!/a.txt#2')!.digests!.sha256).toBe(
      sha256('second'),
    );
  });

  it('records links without following them', async () => {
    const input = await writeArchive('links.testarc', {
      testarc: [
        { name: 'passwd', kind: 'symlink', linkTarget: '/etc/passwd' },
        { name: 'hard', kind: 'hardlink', linkTarget: 'passwd' },
      ],
    });
    const tree = await treeOf([input]);
    const link = tree.nodes.find((node) => node.name === 'passwd')!;
    expect(link).toMatchObject({ entryKind: 'symlink', type: 'symlink', linkTarget: '/etc/passwd', size: 0 });
    expect(link.flags).toContain('not-followed');
    expect(link.digests).toBeUndefined();
    expect(tree.nodes.find((node) => node.name === 'hard')!.entryKind).toBe('hardlink');
  });

  it('turns an encrypted entry into a node and a coverage gap', async () => {
    const input = await writeArchive('enc.testarc', {
      testarc: [
        { name: 'secret.bin', problem: 'E_ARCHIVE_ENCRYPTED', declaredSize: 100 },
        { name: 'plain.txt', data: 'ok' },
      ],
    });
    const tree = await treeOf([input]);
    expect(tree.nodes.find((node) => node.name === 'secret.bin')!.flags).toContain('encrypted');
    expect(tree.gaps).toEqual([
      expect.objectContaining({
        node: 'enc.testarc!/secret.bin',
        code: 'E_ARCHIVE_ENCRYPTED',
        stage: 'unpack',
      }),
    ]);
    expect(tree.nodes.find((node) => node.name === 'plain.txt')!.digests?.sha256).toBe(sha256('ok'));
  });

  it('keeps the entries before a corrupt point and records the rest as a gap', async () => {
    const input = await writeArchive('cut.testarc', {
      testarc: [
        { name: 'one.txt', data: '1' },
        { name: 'two.txt', data: '2' },
      ],
      failAfter: 1,
    });
    const tree = await treeOf([input]);
    expect(tree.nodes.map((node) => node.name)).toEqual(['cut.testarc', 'one.txt']);
    expect(tree.gaps).toEqual([
      expect.objectContaining({ node: 'cut.testarc', code: 'E_ARCHIVE_TRUNCATED' }),
    ]);
  });
});

describe('when limits are reached', () => {
  function nested(levels: number): TestArchive {
    let archive: TestArchive = { testarc: [{ name: 'core.txt', data: 'the bottom' }] };
    for (let level = levels - 1; level >= 1; level--) {
      archive = { testarc: [{ name: `level-${level}.testarc`, data: archive }] };
    }
    return archive;
  }

  it('unpacks 30 nested levels under the default depth limit', async () => {
    const input = await writeArchive('deep.testarc', nested(30));
    const tree = await treeOf([input]);
    const bottom = tree.nodes.find((node) => node.name === 'core.txt');
    expect(bottom?.depth).toBe(30);
    expect(tree.gaps).toEqual([]);
  });

  it('stops at the depth limit with a gap naming the node', async () => {
    const input = await writeArchive('deep10.testarc', nested(30));
    const tree = await treeOf([input], { maxDepth: 10 });
    expect(Math.max(...tree.nodes.map((node) => node.depth))).toBe(10);
    expect(tree.gaps).toEqual([expect.objectContaining({ code: 'E_ARTIFACT_TOO_DEEP', stage: 'limit' })]);
    expect(tree.gaps[0]!.node.split('!/')).toHaveLength(11);
  });

  it('refuses an entry whose declared compression ratio is a bomb, before reading it', async () => {
    const input = await writeArchive('bomb.testarc', {
      testarc: [{ name: 'zeros', data: 'x', declaredSize: 10 * 1024 ** 3, compressedSize: 10_000 }],
    });
    const tree = await treeOf([input]);
    expect(tree.gaps).toEqual([
      expect.objectContaining({ node: 'bomb.testarc!/zeros', code: 'E_ARTIFACT_FILE_TOO_LARGE' }),
    ]);
    const smaller = await writeArchive('bomb2.testarc', {
      testarc: [{ name: 'zeros', data: 'x', declaredSize: 100 * 1024 ** 2, compressedSize: 10_000 }],
    });
    const tree2 = await treeOf([smaller]);
    expect(tree2.gaps).toEqual([
      expect.objectContaining({ code: 'E_ARTIFACT_RATIO_EXCEEDED', stage: 'limit' }),
    ]);
  });

  it('stops an entry whose real ratio grows past the limit while streaming (lying sizes)', async () => {
    const input = await writeArchive('liar.testarc', {
      // 64 KiB chunks x 64 = 4 MiB from a "1 KiB" compressed entry, with no declared size.
      testarc: [{ name: 'zeros', data: 'z'.repeat(65_536), repeat: 64, compressedSize: 1024 }],
    });
    const tree = await treeOf([input]);
    expect(tree.gaps).toEqual([expect.objectContaining({ code: 'E_ARTIFACT_RATIO_EXCEEDED' })]);
    const node = tree.nodes.find((candidate) => candidate.name === 'zeros')!;
    expect(node.size).toBeLessThan(2 * 1024 ** 2);
    expect(node.digests).toBeUndefined();
  });

  it('stops at the file-count limit and says where', async () => {
    const input = await writeArchive('many.testarc', {
      testarc: Array.from({ length: 50 }, (_, index) => ({ name: `f${index}.txt`, data: String(index) })),
    });
    const tree = await treeOf([input], { maxFiles: 10 });
    expect(tree.nodes).toHaveLength(10);
    expect(tree.gaps).toEqual([
      expect.objectContaining({ code: 'E_ARTIFACT_TOO_MANY_FILES', node: 'many.testarc' }),
    ]);
  });

  it('stops at the total-bytes limit', async () => {
    const input = await writeArchive('total.testarc', {
      testarc: [
        { name: 'a', data: 'a'.repeat(1000), repeat: 10 },
        { name: 'b', data: 'b'.repeat(1000), repeat: 10 },
      ],
    });
    const tree = await treeOf([input], { maxTotalBytes: 15_000 });
    expect(tree.gaps).toEqual([
      expect.objectContaining({ node: 'total.testarc!/b', code: 'E_ARTIFACT_TOO_LARGE' }),
    ]);
    expect(tree.nodes.find((node) => node.name === 'a')!.digests).toBeDefined();
  });

  it('spills kept entries larger than the in-memory limit to scratch and still unpacks them', async () => {
    const inner: TestArchive = { testarc: [{ name: 'x.txt', data: 'y'.repeat(200_000) }] };
    const input = await writeArchive('spill.testarc', { testarc: [{ name: 'big.testarc', data: inner }] });
    const tree = await treeOf([input], { inMemoryBytes: 1024 });
    expect(tree.nodes.find((node) => node.name === 'x.txt')!.digests!.sha256).toBe(
      sha256('y'.repeat(200_000)),
    );
    expect(tree.nodes.find((node) => node.name === 'big.testarc')!.digests!.sha256).toBe(
      sha256(JSON.stringify(inner)),
    );
    // The scratch folder is removed at the end.
    expect((await readdir(dir)).filter((name) => name.startsWith('countersign-'))).toEqual([]);
  });
});

describe('when the input is a folder', () => {
  it('walks it in sorted order, records symlinks unfollowed, and digests the folder as a manifest', async () => {
    const root = join(dir, 'project');
    await mkdir(join(root, 'lib'), { recursive: true });
    await writeFile(join(root, 'b.txt'), 'bee\n');
    await writeFile(join(root, 'lib', 'a.js'), 'export {};\n');
    await symlink('/etc/passwd', join(root, 'link'));
    const tree = await treeOf([root]);
    expect(tree.nodes.map((node) => node.path)).toEqual([
      'project/b.txt',
      'project/lib/a.js',
      'project/link',
    ]);
    expect(tree.nodes[2]).toMatchObject({ entryKind: 'symlink', linkTarget: '/etc/passwd' });
    // Same as `sha256sum` lines of the regular files, sorted (links contribute their target).
    const expected = [
      `${sha256('bee\n')}  b.txt\n`,
      `${sha256('export {};\n')}  lib/a.js\n`,
      '/etc/passwd  link\n',
    ]
      .sort()
      .join('');
    expect(tree.subjects[0]).toMatchObject({ type: 'directory', digests: { sha256: sha256(expected) } });
  });

  it('keeps inputs of the same name apart, files and folders alike', async () => {
    const release = (version: string) => ({ testarc: [{ name: 'notes.txt', data: `release ${version}\n` }] });
    await mkdir(join(dir, 'v1'), { recursive: true });
    await mkdir(join(dir, 'v2', 'app'), { recursive: true });
    await mkdir(join(dir, 'v1', 'app'), { recursive: true });
    const first = await writeArchive(join('v1', 'app.testarc'), release('1'));
    const second = await writeArchive(join('v2', 'app.testarc'), release('2'));
    await writeFile(join(dir, 'v1', 'app', 'a.txt'), 'one\n');
    await writeFile(join(dir, 'v2', 'app', 'a.txt'), 'two\n');
    const tree = await treeOf([first, second, join(dir, 'v1', 'app'), join(dir, 'v2', 'app')]);
    expect(tree.nodes.map((node) => node.path)).toEqual([
      'app.testarc',
      'app.testarc!/notes.txt',
      'app.testarc#2',
      'app.testarc#2!/notes.txt',
      'app/a.txt',
      'app#2/a.txt',
    ]);
    const byPath = new Map(tree.nodes.map((node) => [node.path as string, node]));
    expect(byPath.get('app.testarc!/notes.txt')?.digests?.sha256).toBe(sha256('release 1\n'));
    expect(byPath.get('app.testarc#2!/notes.txt')?.digests?.sha256).toBe(sha256('release 2\n'));
    expect(byPath.get('app#2/a.txt')?.digests?.sha256).toBe(sha256('two\n'));
    expect(tree.subjects.map((subject) => [subject.name, subject.path])).toEqual([
      ['app.testarc', first],
      ['app.testarc#2', second],
      ['app', join(dir, 'v1', 'app')],
      ['app#2', join(dir, 'v2', 'app')],
    ]);
  });

  it('fails clearly when an input does not exist', async () => {
    await expect(treeOf([join(dir, 'nope.zip')])).rejects.toMatchObject({ code: 'E_INPUT_NOT_FOUND' });
  });
});

describe('when a file is large', () => {
  it('hashes it from disk in a worker and agrees with sha256sum', async () => {
    const path = join(dir, 'large.bin');
    const block = createHash('sha512').update('seed').digest();
    await writeFile(path, Buffer.concat(Array.from({ length: 40_000 }, () => block)));
    const tree = await treeOf([path]);
    const reference = execFileSync('sha256sum', [path]).toString().split(' ')[0];
    expect(tree.nodes[0]!.digests!.sha256).toBe(reference);
    expect(tree.nodes[0]!.size).toBe(64 * 40_000);
  });
});
