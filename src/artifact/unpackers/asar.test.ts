import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { byName, collect, fixtureNode } from '../../../test/fixtures/archives/harness.js';
import { isCountersignError } from '../../core/errors.js';
import { memoryNode } from '../memory-node.js';
import { type AsarArchiveEntry, asarUnpacker } from './asar.js';

/** Builds an asar byte for byte as @electron/asar lays it out (pickle preamble, JSON, data). */
function buildAsar(header: unknown, data: Buffer): Uint8Array {
  const json = Buffer.from(JSON.stringify(header));
  const padded = Buffer.concat([json, Buffer.alloc((4 - (json.length % 4)) % 4)]);
  const preamble = Buffer.alloc(16);
  preamble.writeUInt32LE(4, 0);
  preamble.writeUInt32LE(padded.length + 8, 4);
  preamble.writeUInt32LE(padded.length + 4, 8);
  preamble.writeUInt32LE(json.length, 12);
  return new Uint8Array(Buffer.concat([preamble, padded, data]));
}

describe('when an asar made by @electron/asar is unpacked', () => {
  it('yields files with content, directories and links, parents first', async () => {
    const result = await collect(asarUnpacker, fixtureNode('app.asar'));
    expect(result.error).toBeUndefined();
    expect(result.entries.map((item) => `${item.entry.kind} ${item.entry.name}`)).toEqual([
      'file index.js',
      'directory lib',
      'symlink main-link.js',
      'directory native',
      'file package.json',
      'file lib/main.js',
      'file native/addon.node',
    ]);
    expect(byName(result, 'lib/main.js')?.content?.bytes.toString()).toBe('module.exports = "main";\n');
    expect(byName(result, 'main-link.js')?.entry.linkTarget).toBe('lib/main.js');
  });

  it('exposes the header integrity records, which match the content', async () => {
    const result = await collect(asarUnpacker, fixtureNode('app.asar'));
    const packed = result.entries.filter((item) => item.content);
    expect(packed.length).toBe(3);
    for (const item of packed) {
      const integrity = (item.entry as AsarArchiveEntry).integrity;
      expect(integrity?.algorithm).toBe('SHA256');
      expect(integrity?.hash).toBe(createHash('sha256').update(item.content!.bytes).digest('hex'));
    }
  });

  it('records unpacked files as content stored outside the archive', async () => {
    const result = await collect(asarUnpacker, fixtureNode('app.asar'));
    const native = byName(result, 'native/addon.node')?.entry;
    expect(native?.problem?.code).toBe('E_ARCHIVE_EXTERNAL_CONTENT');
    expect(native?.problem?.details).toEqual({ externalPath: 'app.asar.unpacked/native/addon.node' });
    expect(native?.declaredSize).toBe(27);
    expect(native?.open).toBeUndefined();
  });
});

describe('when an entry points beyond the end of the archive', () => {
  it('gives that entry E_ARCHIVE_TRUNCATED and keeps the others readable', async () => {
    const bytes = buildAsar(
      {
        files: {
          'ok.txt': { size: 3, offset: '0' },
          'far.txt': { size: 10, offset: '999999' },
          'bad-offset.txt': { size: 1, offset: '-1' },
        },
      },
      Buffer.from('abc'),
    );
    const result = await collect(asarUnpacker, memoryNode(bytes, { name: 'x.asar' }));
    expect(byName(result, 'ok.txt')?.content?.bytes.toString()).toBe('abc');
    expect(byName(result, 'far.txt')?.entry.problem?.code).toBe('E_ARCHIVE_TRUNCATED');
    expect(byName(result, 'bad-offset.txt')?.entry.problem?.code).toBe('E_ARCHIVE_CORRUPT');
  });
});

describe('when the header is hostile', () => {
  it('refuses a header larger than the limit before reading it', async () => {
    const bytes = new Uint8Array(32);
    const view = Buffer.from(bytes.buffer);
    view.writeUInt32LE(4, 0);
    view.writeUInt32LE(0x7ffffff0, 4);
    view.writeUInt32LE(0x7fffffe0, 8);
    view.writeUInt32LE(0x7fffff00, 12);
    const result = await collect(asarUnpacker, memoryNode(bytes, { name: 'huge.asar' }));
    expect(isCountersignError(result.error) && result.error.code).toBe('E_ARCHIVE_CORRUPT');
  });

  it('walks a deeply nested directory tree without recursion', async () => {
    let files: Record<string, unknown> = { 'leaf.txt': { size: 1, offset: '0' } };
    for (let i = 0; i < 2000; i++) files = { d: { files } };
    const bytes = buildAsar({ files }, Buffer.from('x'));
    const result = await collect(asarUnpacker, memoryNode(bytes, { name: 'deep.asar' }));
    expect(result.error).toBeUndefined();
    const leaf = result.entries.at(-1);
    expect(leaf?.entry.name).toBe(`${'d/'.repeat(2000)}leaf.txt`);
    expect(leaf?.content?.bytes.toString()).toBe('x');
  });

  it('reports a header that is not JSON as E_ARCHIVE_CORRUPT', async () => {
    const bytes = buildAsar({ files: {} }, Buffer.alloc(0));
    bytes[20] = 0x7b; // break the JSON: '{"fi{es"...'
    const result = await collect(asarUnpacker, memoryNode(bytes, { name: 'bad.asar' }));
    expect(isCountersignError(result.error) && result.error.code).toBe('E_ARCHIVE_CORRUPT');
  });
});
