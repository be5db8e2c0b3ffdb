import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_LIMITS } from '../core/limits.js';
import { buildTree } from './engine.js';
import { defaultUnpackers } from './unpackers/index.js';

/**
 * A large zip on disk is not counted byte by byte for its entropy: its stored entries lend it
 * their counts and only the rest of it (headers, central directory, deflated entries) is counted
 * after unpacking. Its entropy must be exactly what counting every byte gives.
 */

let dir: string;
let release: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'countersign-borrowed-counts-'));
  const build = join(dir, 'build');
  await mkdir(join(build, 'inner'), { recursive: true });
  await writeFile(join(build, 'payload.bin'), randomBytes(20 * 1024 * 1024));
  const notes = Array.from(
    { length: 100_000 },
    (_, i) => `line ${i} of the release notes: ${(i * 7919) % 100_003}\n`,
  );
  await writeFile(join(build, 'notes.txt'), notes.join(''));
  await writeFile(join(build, 'inner', 'blob.bin'), randomBytes(12 * 1024 * 1024));
  await writeFile(
    join(build, 'inner', 'readme.md'),
    Array.from({ length: 5000 }, (_, i) => `# part ${i}\n`).join(''),
  );
  execFileSync('zip', ['-qr', join(build, 'inner.zip'), 'inner'], { cwd: build });
  release = join(dir, 'release.zip');
  // Stored entries (which lend their counts) and a deflated one (counted with the headers).
  execFileSync('zip', ['-q0', release, 'payload.bin', 'inner.zip'], { cwd: build });
  execFileSync('zip', ['-q', release, 'notes.txt'], { cwd: build });
  expect(execFileSync('unzip', ['-v', release], { encoding: 'utf8' })).toMatch(/Defl:N.*notes\.txt/);
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** Shannon entropy in bits per byte, to four places, counted the plain way. */
function entropyOf(bytes: Uint8Array): number {
  const counts = new Array<number>(256).fill(0);
  for (const byte of bytes) counts[byte]!++;
  let entropy = 0;
  for (const n of counts) {
    if (n === 0) continue;
    const p = n / bytes.length;
    entropy -= p * Math.log2(p);
  }
  return Math.round(entropy * 10_000) / 10_000;
}

describe('a large zip whose stored entries lend it their byte counts', () => {
  it('has the entropy of all its bytes, as do its entries and theirs', async () => {
    const bytes = await readFile(release);
    expect(bytes.length).toBeGreaterThan(32 * 1024 * 1024);
    const tree = await buildTree([release], {
      limits: DEFAULT_LIMITS,
      unpackers: defaultUnpackers(),
      analyzers: [],
      digestAlgorithms: ['sha256'],
      scratchParent: dir,
    });
    expect(tree.gaps).toEqual([]);
    const byPath = new Map(tree.nodes.map((node) => [node.path as string, node]));
    expect(byPath.get('release.zip')?.entropy).toBe(entropyOf(bytes));
    const build = join(dir, 'build');
    for (const [path, file] of [
      ['release.zip!/payload.bin', 'payload.bin'],
      ['release.zip!/notes.txt', 'notes.txt'],
      ['release.zip!/inner.zip', 'inner.zip'],
      ['release.zip!/inner.zip!/inner/blob.bin', 'inner/blob.bin'],
    ] as const) {
      expect(byPath.get(path)?.entropy, path).toBe(entropyOf(await readFile(join(build, file))));
    }
    expect(byPath.get('release.zip!/notes.txt')?.lines).toBe(100_000);
  });
});
