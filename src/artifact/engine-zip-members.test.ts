import { createHash, randomBytes } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_LIMITS } from '../core/limits.js';
import type { ArchiveEntry, ContentView, NodeHead, Unpacker } from '../core/plugin.js';
import { buildTree } from './engine.js';
import { zipUnpacker } from './unpackers/zip.js';

/**
 * The small members of a zip on disk are decoded and hashed by a hashing thread, which sends
 * their content back only for the types some plugin takes (with no analyzers: only containers).
 * These tests hold the tree to what a scan that always took the content back gives.
 */

let dir: string;
let release: string;

async function zipOf(members: ReadonlyArray<{ name: string; bytes: Buffer; compress: boolean }>) {
  const { default: yazl } = await import('yazl');
  const zip = new yazl.ZipFile();
  for (const member of members) zip.addBuffer(member.bytes, member.name, { compress: member.compress });
  zip.end();
  const chunks: Buffer[] = [];
  for await (const chunk of zip.outputStream) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

const notes = Buffer.from('release notes\n'.repeat(50));
const inner = { name: 'lib/index.js', bytes: Buffer.from('module.exports = 42;\n'.repeat(20)) };
/**
 * A container that no type names: its unpacker goes by the head bytes. Longer than the head the
 * thread sends back, so an unpacker given only the head could not parse it.
 */
const headArchive = Buffer.from(
  JSON.stringify({ headarc: ['one.txt', 'two.txt'], pad: 'x'.repeat(64 * 1024) }),
);

/** Takes `{"headarc": [...names]}` documents, whatever their detected type: it reads the head. */
const headUnpacker: Unpacker = {
  id: 'unpacker/headarc',
  version: 1,
  accepts: (node: NodeHead) => Buffer.from(node.head.subarray(0, 11)).toString() === '{"headarc":',
  async *unpack(node: ContentView): AsyncIterable<ArchiveEntry> {
    const names = (JSON.parse(Buffer.from(await node.read()).toString()) as { headarc: string[] }).headarc;
    for (const name of names) {
      yield {
        name,
        kind: 'file',
        open: async () => (await import('node:stream')).Readable.from([Buffer.from(name)]),
      };
    }
  },
};

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'countersign-zip-members-'));
  const innerZip = await zipOf([{ ...inner, compress: true }]);
  // Random padding takes the zip past the size from which members go to the hashing threads.
  const outer = await zipOf([
    { name: 'notes.txt', bytes: notes, compress: true },
    { name: 'plugin.zip', bytes: innerZip, compress: false },
    { name: 'data.headarc', bytes: headArchive, compress: true },
    { name: 'padding.bin', bytes: randomBytes(1200 * 1024), compress: false },
  ]);
  release = join(dir, 'release.zip');
  await writeFile(release, outer);
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

const sha256 = (bytes: Buffer) => createHash('sha256').update(bytes).digest('hex');

function scan(unpackers: Unpacker[]) {
  return buildTree([release], {
    limits: DEFAULT_LIMITS,
    unpackers,
    analyzers: [],
    digestAlgorithms: ['sha256'],
    scratchParent: dir,
  });
}

describe('when a zip on disk is scanned without analyzers', () => {
  it('still opens the members an unpacker takes by type, and keeps size and digests of the rest', async () => {
    const tree = await scan([zipUnpacker]);
    const byPath = new Map(tree.nodes.map((node) => [node.path as string, node]));
    expect(byPath.get('release.zip!/plugin.zip')?.type).toBe('zip');
    const nested = byPath.get('release.zip!/plugin.zip!/lib/index.js');
    expect(nested?.digests?.sha256).toBe(sha256(inner.bytes));
    const text = byPath.get('release.zip!/notes.txt');
    expect(text?.size).toBe(notes.length);
    expect(text?.digests?.sha256).toBe(sha256(notes));
    expect(text?.lines).toBe(50);
    expect(byPath.get('release.zip!/data.headarc')?.size).toBe(headArchive.length);
    expect(tree.gaps).toEqual([]);
  });

  it('gets the content again for a member an unpacker takes by its head, not its type', async () => {
    const tree = await scan([zipUnpacker, headUnpacker]);
    const paths = tree.nodes.map((node) => node.path as string);
    expect(paths).toContain('release.zip!/data.headarc!/one.txt');
    expect(paths).toContain('release.zip!/data.headarc!/two.txt');
    expect(tree.nodes.find((node) => node.path === 'release.zip!/data.headarc')?.unpackedBy).toBe(
      'unpacker/headarc',
    );
    expect(tree.gaps).toEqual([]);
  });

  it('sends members without heads only when every plugin declares it does not read them', async () => {
    const seen = (declared: boolean) => {
      const heads = new Map<string, number>();
      const probe: Unpacker = {
        id: 'unpacker/probe',
        version: 1,
        ...(declared ? { acceptsWithoutHead: true } : {}),
        accepts: (node: NodeHead) => {
          heads.set(node.path as string, node.head.length);
          return false;
        },
        unpack: async function* () {},
      };
      return { probe, heads };
    };
    const declared = seen(true);
    await scan([zipUnpacker, declared.probe]);
    expect(declared.heads.get('release.zip!/notes.txt')).toBe(0);
    const undeclared = seen(false);
    await scan([zipUnpacker, undeclared.probe]);
    expect(undeclared.heads.get('release.zip!/notes.txt')).toBe(notes.length);
  });
});
