import { readFileSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import yazl from 'yazl';
import { collect } from '../../../test/fixtures/archives/harness.js';
import { isCountersignError } from '../../core/errors.js';
import { DEFAULT_LIMITS } from '../../core/limits.js';
import { buildTree } from '../engine.js';
import { memoryNode } from '../memory-node.js';
import { defaultUnpackers } from './index.js';
import { peEmbeddedZipUnpacker } from './pe-zip.js';

/** A real PE made by mingw-w64 (see test/fixtures/pe/README.md). */
const pe = new Uint8Array(readFileSync(new URL('../../../test/fixtures/pe/bin/plain.dll', import.meta.url)));

function makeZip(
  entries: Record<string, string | Buffer>,
  options: { store?: boolean } = {},
): Promise<Buffer> {
  const zip = new yazl.ZipFile();
  for (const [name, data] of Object.entries(entries)) {
    zip.addBuffer(Buffer.isBuffer(data) ? data : Buffer.from(data), name, { compress: !options.store });
  }
  zip.end();
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    zip.outputStream.on('data', (chunk: Buffer) => chunks.push(chunk));
    zip.outputStream.on('end', () => resolve(Buffer.concat(chunks)));
    zip.outputStream.on('error', reject);
  });
}

/** What `zip -A` does to a zip appended to a stub: offsets then count from the start of the file. */
function hostRelative(zip: Buffer, prefix: number): Buffer {
  const out = Buffer.from(zip);
  const eocd = out.lastIndexOf(Buffer.from([0x50, 0x4b, 0x05, 0x06]));
  let at = out.readUInt32LE(eocd + 16);
  out.writeUInt32LE(at + prefix, eocd + 16);
  for (let index = 0; index < out.readUInt16LE(eocd + 10); index++) {
    out.writeUInt32LE(out.readUInt32LE(at + 42) + prefix, at + 42);
    at += 46 + out.readUInt16LE(at + 28) + out.readUInt16LE(at + 30) + out.readUInt16LE(at + 32);
  }
  return out;
}

describe('when a zip is appended to a PE (self-extracting archive)', () => {
  it('yields the zip as one entry, read in place', async () => {
    const zip = await makeZip({ 'payload/readme.txt': 'inert\n' });
    const host = Buffer.concat([pe, zip]);
    const result = await collect(peEmbeddedZipUnpacker, memoryNode(host, { name: 'setup.exe' }));
    expect(result.entries.map((item) => item.entry.name)).toEqual([
      `embedded-zip@0x${pe.length.toString(16)}.zip`,
    ]);
    expect(result.entries[0]?.entry.storedRange).toEqual({ offset: pe.length, length: zip.length });
    expect(result.entries[0]?.content?.bytes.equals(zip)).toBe(true);
  });

  it('rebases a zip whose offsets count from the start of the PE (zip -A) into an ordinary zip', async () => {
    const zip = await makeZip({ 'a.txt': 'alpha', 'b/c.txt': 'gamma' });
    const host = Buffer.concat([pe, hostRelative(zip, pe.length)]);
    const result = await collect(peEmbeddedZipUnpacker, memoryNode(host, { name: 'sfx.exe' }));
    expect(result.entries).toHaveLength(1);
    expect(result.entries[0]?.content?.bytes.equals(zip)).toBe(true);
  });
});

describe('when a zip is embedded in the middle of a PE (a Squirrel .nupkg resource)', () => {
  it('finds it between other bytes, and not a zip stored inside it', async () => {
    const inner = await makeZip({ 'inner.txt': 'nested' });
    const nupkg = await makeZip({ 'lib/net45/App.exe': 'inert', 'nested.zip': inner }, { store: true });
    const host = Buffer.concat([pe, nupkg, Buffer.alloc(4096, 0x90)]);
    const result = await collect(peEmbeddedZipUnpacker, memoryNode(host, { name: 'Setup.exe' }));
    expect(result.entries.map((item) => item.entry.storedRange)).toEqual([
      { offset: pe.length, length: nupkg.length },
    ]);
  });
});

describe('when a PE carries no zip', () => {
  it('yields nothing', async () => {
    const result = await collect(peEmbeddedZipUnpacker, memoryNode(pe, { name: 'plain.dll' }));
    expect(result).toEqual({ entries: [] });
  });

  it('ignores a stray end-of-central-directory signature that leads nowhere', async () => {
    const stray = Buffer.alloc(64);
    stray.writeUInt32LE(0x06054b50, 0);
    stray.writeUInt16LE(1, 10);
    stray.writeUInt32LE(40, 12);
    const result = await collect(
      peEmbeddedZipUnpacker,
      memoryNode(Buffer.concat([pe, stray]), { name: 'x.dll' }),
    );
    expect(result.entries).toEqual([]);
  });
});

describe('when a scan meets a self-extracting PE', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'countersign-pe-zip-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('puts the zip and its files in the tree under the PE', async () => {
    const zip = await makeZip({ 'app/update.js': 'fetch("https://c2.example.invalid/")\n' });
    const path = join(dir, 'setup.exe');
    await writeFile(path, Buffer.concat([pe, zip]));
    const tree = await buildTree([path], {
      limits: DEFAULT_LIMITS,
      unpackers: defaultUnpackers(),
      analyzers: [],
      digestAlgorithms: ['sha256'],
      scratchParent: dir,
    });
    const zipName = `embedded-zip@0x${pe.length.toString(16)}.zip`;
    expect(tree.nodes.map((node) => node.path)).toContain(`setup.exe!/${zipName}!/app/update.js`);
    expect(tree.nodes.find((node) => node.path === `setup.exe!/${zipName}`)?.type).toBe('zip');
  });
});

describe('when the embedded zip is damaged (sweep)', () => {
  it('gives entries or typed errors for every cut and every flipped byte of the zip part', async () => {
    const zip = await makeZip({ 'a.txt': 'alpha', 'b/c.txt': 'gamma' });
    for (const relative of [false, true]) {
      const host = Buffer.concat([pe, relative ? hostRelative(zip, pe.length) : zip]);
      for (let at = pe.length; at < host.length; at++) {
        const flipped = Buffer.from(host);
        flipped[at] = (flipped[at] ?? 0) ^ 0xff;
        for (const bytes of [host.subarray(0, at), flipped]) {
          const result = await collect(peEmbeddedZipUnpacker, memoryNode(bytes, { name: 'damaged.exe' }));
          const errors = [
            result.error,
            ...result.entries.flatMap((item) => [item.openError, item.content?.error]),
          ];
          for (const error of errors)
            if (error !== undefined) expect(isCountersignError(error), String(error)).toBe(true);
        }
      }
    }
  });
});
