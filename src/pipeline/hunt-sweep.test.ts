import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { compileIocIndex } from '../intel/ioc/match.js';
import { parseIocText } from '../intel/ioc/parse-text.js';
import { compileYaraSources, readYaraSources } from '../intel/yara/compile.js';
import { huntFiles } from './hunt.js';
import { type SweptFile, sweepFiles } from './hunt-sweep.js';

const digest = (algorithm: string, bytes: string) => createHash(algorithm).update(bytes).digest('hex');

let root: string;
let tree: string;

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'countersign-sweep-'));
  tree = join(root, 'tree');
  await mkdir(join(tree, 'a/b'), { recursive: true });
  for (let i = 0; i < 40; i += 1) await writeFile(join(tree, 'a', `f${i}.txt`), `file ${i}\n`);
  await writeFile(join(tree, 'a/b/big.bin'), Buffer.alloc(3 * 1024 * 1024, 7));
  await writeFile(join(tree, 'a/b/empty'), '');
  await writeFile(join(root, 'outside.txt'), 'outside\n');
  await symlink(join(root, 'outside.txt'), join(tree, 'link-out.txt'));
  await symlink(join(root), join(tree, 'link-to-parent'));
  // A FIFO: opening it for reading would wait for a writer forever.
  execFileSync('mkfifo', [join(tree, 'a/pipe')]);
}, 30_000);

afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

describe('when a folder is swept', () => {
  it('reads every regular file once, computes only the asked digests, and skips links and FIFOs', async () => {
    const files: SweptFile[] = [];
    const result = await sweepFiles([tree], { algorithms: ['md5', 'sha512'] }, (file) => files.push(file), {
      workers: 2,
    });
    const names = files.map((file) => file.node).sort();
    expect(names).toHaveLength(42);
    expect(names).toContain('tree/a/b/big.bin');
    expect(names).toContain('tree/a/b/empty');
    expect(
      names.some((name) => name.includes('link') || name.includes('pipe') || name.includes('outside')),
    ).toBe(false);
    expect(result).toMatchObject({ files: 42, bytes: 3 * 1024 * 1024 + sizeOfSmall() });
    expect(result.gaps).toEqual([]);
    const first = files.find((file) => file.node === 'tree/a/f0.txt')!;
    expect(first.digests).toEqual({ md5: digest('md5', 'file 0\n'), sha512: digest('sha512', 'file 0\n') });
    expect(first.path).toBe(join(tree, 'a/f0.txt'));
  }, 30_000);

  it('passes on only the listed digests when told which ones matter', async () => {
    const files: SweptFile[] = [];
    const listed = digest('md5', 'file 3\n');
    await sweepFiles([tree], { algorithms: ['md5'], wanted: [listed] }, (file) => files.push(file));
    expect(files).toHaveLength(42);
    expect(files.filter((file) => Object.keys(file.digests).length > 0)).toEqual([
      { path: join(tree, 'a/f3.txt'), node: 'tree/a/f3.txt', digests: { md5: listed }, yara: [] },
    ]);
  });

  it('keeps only what the filter keeps, by path relative to the input', async () => {
    const files: string[] = [];
    await sweepFiles([tree], { algorithms: [] }, (file) => files.push(file.node), {
      keep: (path) => path.startsWith('a/b/'),
    });
    expect(files.sort()).toEqual(['tree/a/b/big.bin', 'tree/a/b/empty']);
  });

  it('hunts with sha512 indicators, which a scan does not compute', async () => {
    const iocs = compileIocIndex(
      parseIocText(`${digest('sha512', 'file 7\n')}\n`, { source: 'sha512-list' }).indicators,
    );
    expect([...iocs.hashTypes]).toEqual(['sha512']);
    const result = await huntFiles([tree], { iocs });
    expect(result.hits.map((hit) => hit.where.node)).toEqual(['tree/a/f7.txt']);
    expect(result.hits[0]?.indicator.type).toBe('sha512');
  });
});

function sizeOfSmall(): number {
  let total = 0;
  for (let i = 0; i < 40; i += 1) total += `file ${i}\n`.length;
  return total;
}

describe('when a file is larger than what is read whole', () => {
  it('streams the hashes and lets YARA read the file itself, with the same results', async () => {
    const samples = fileURLToPath(new URL('../../test/fixtures/hunt/yara-samples/', import.meta.url));
    const rules = compileYaraSources(
      await readYaraSources([fileURLToPath(new URL('../../test/fixtures/hunt/yara/', import.meta.url))]),
    );
    const sweep = async (wholeFileBytes?: number) => {
      const files: SweptFile[] = [];
      await sweepFiles(
        [samples],
        { algorithms: ['sha256'], yaraText: rules.text, ...(wholeFileBytes ? { wholeFileBytes } : {}) },
        (file) => files.push(file),
      );
      return files.sort((a, b) => a.node.localeCompare(b.node));
    };
    const whole = await sweep();
    const streamed = await sweep(16); // every sample is larger than 16 bytes
    expect(streamed).toEqual(whole);
    const matched = whole.filter((file) => file.yara.length > 0).map((file) => file.node);
    expect(matched).toEqual([
      'yara-samples/gopuram-marker.exe',
      'yara-samples/planted.TxR.0.regtrans-ms',
      'yara-samples/rc4-key.dll',
      'yara-samples/rc4-key.msi',
    ]);
    expect(whole.find((file) => file.node.endsWith('.exe'))?.yara[0]?.strings[0]?.hex).toMatch(/^[0-9a-f]+$/);
  });
});
