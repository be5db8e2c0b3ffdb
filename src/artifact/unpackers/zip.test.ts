import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import yazl from 'yazl';
import {
  byName,
  type Collected,
  collect,
  fixtureBytes,
  fixtureNode,
  readAll,
  text,
} from '../../../test/fixtures/archives/harness.js';
import { isCountersignError } from '../../core/errors.js';
import type { ContentView } from '../../core/plugin.js';
import { memoryNode } from '../memory-node.js';
import { SMALL_ENTRY_BYTES, zipUnpacker } from './zip.js';

const names = (collected: Collected) => collected.entries.map((item) => item.entry.name);

/** Builds a zip in memory with yazl (a real zip writer). */
async function makeZip(
  files: ReadonlyArray<{ name: string; data: Buffer; compress?: boolean }>,
): Promise<Buffer> {
  const zip = new yazl.ZipFile();
  for (const file of files) zip.addBuffer(file.data, file.name, { compress: file.compress ?? true });
  zip.end();
  return Buffer.concat(await Readable.from(zip.outputStream).toArray());
}

describe('when a zip made by Info-ZIP holds files, directories and a symlink', () => {
  it('lists every entry with its raw name, kind, sizes and content', async () => {
    const result = await collect(zipUnpacker, fixtureNode('basic.zip'));
    expect(result.error).toBeUndefined();
    expect(names(result)).toEqual([
      'app/',
      'app/empty-dir/',
      'app/index.js',
      'app/package.json',
      'app/lib/',
      'app/lib/util.js',
      'app/lib/data.bin',
      'app/lib/link-to-index',
    ]);
    expect(byName(result, 'app/empty-dir/')?.entry.kind).toBe('directory');
    expect(text(byName(result, 'app/index.js'))).toBe('console.log("hello from the fixture");\n');
    const util = byName(result, 'app/lib/util.js');
    expect(util?.entry.compressedSize).toBeLessThan(util?.entry.declaredSize ?? 0);
    expect(util?.content?.bytes.length).toBe(util?.entry.declaredSize);
    const stored = byName(result, 'app/lib/data.bin');
    expect(stored?.entry.compressedSize).toBe(stored?.entry.declaredSize);
    expect(text(stored)).toBe('A'.repeat(300));
    expect(byName(result, 'app/index.js')?.entry.mode).toBe(0o644);
  });

  it('records the symlink with its target and no content', async () => {
    const result = await collect(zipUnpacker, fixtureNode('basic.zip'));
    const link = byName(result, 'app/lib/link-to-index')?.entry;
    expect(link?.kind).toBe('symlink');
    expect(link?.linkTarget).toBe('../index.js');
    expect(link?.open).toBeUndefined();
  });
});

describe('when a zip was streamed through a pipe (data descriptors, zip64 local headers)', () => {
  it('reads the entry from the central directory sizes', async () => {
    const result = await collect(zipUnpacker, fixtureNode('stream.zip'));
    expect(result.error).toBeUndefined();
    const expected = `${Array.from({ length: 200 }, (_, i) => i + 1).join('\n')}\n`;
    expect(names(result)).toEqual(['-']);
    expect(text(result.entries[0])).toBe(expected);
    expect(result.entries[0]?.entry.declaredSize).toBe(expected.length);
  });
});

describe('when python forced zip64 records on small entries', () => {
  it('reads deflated and stored entries', async () => {
    const result = await collect(zipUnpacker, fixtureNode('zip64.zip'));
    expect(result.error).toBeUndefined();
    expect(text(byName(result, 'big-in-spirit.txt'))).toBe(
      'zip64 extra fields on a small entry\n'.repeat(20),
    );
    expect(text(byName(result, 'stored.txt'))).toBe('stored with zip64\n');
  });
});

describe('when entries are encrypted (zip -P)', () => {
  it('yields them with an E_ARCHIVE_ENCRYPTED problem and no content', async () => {
    const result = await collect(zipUnpacker, fixtureNode('encrypted.zip'));
    expect(result.error).toBeUndefined();
    expect(result.entries).toHaveLength(2);
    for (const { entry } of result.entries) {
      expect(entry.problem?.code).toBe('E_ARCHIVE_ENCRYPTED');
      expect(entry.open).toBeUndefined();
      expect(entry.declaredSize).toBeGreaterThan(0);
    }
  });
});

describe('when an entry uses a compression method we do not decode (LZMA)', () => {
  it('gives that entry E_ARCHIVE_UNSUPPORTED and still reads its neighbour', async () => {
    const result = await collect(zipUnpacker, fixtureNode('lzma.zip'));
    expect(byName(result, 'packed.txt')?.entry.problem?.code).toBe('E_ARCHIVE_UNSUPPORTED');
    expect(byName(result, 'packed.txt')?.entry.problem?.details).toEqual({ compressionMethod: 14 });
    expect(text(byName(result, 'plain.txt'))).toBe('deflated\n');
  });
});

describe('when entry names try to escape (zip-slip)', () => {
  it('hands the names over raw, for the engine to flag, instead of refusing the archive', async () => {
    const result = await collect(zipUnpacker, fixtureNode('slip.zip'));
    expect(result.error).toBeUndefined();
    expect(names(result)).toEqual([
      '../../evil.sh',
      '/etc/x',
      'C:\\x',
      'ok/../../../escape.txt',
      'normal.txt',
    ]);
    for (const item of result.entries) expect(text(item)).toContain('inert fixture');
  });
});

describe('when one zip holds two entries with the same name', () => {
  it('yields both, each with its own content', async () => {
    const result = await collect(zipUnpacker, fixtureNode('duplicates.zip'));
    const same = result.entries.filter((item) => item.entry.name === 'same.txt');
    expect(same.map(text)).toEqual(['first copy\n', 'second copy, different bytes\n']);
  });
});

describe('when an entry has a very high compression ratio (50 MB of zeros in ~50 KB)', () => {
  it('reports both sizes up front, so the engine can refuse it before inflating', async () => {
    const node = fixtureNode('ratio.zip');
    const iterator = zipUnpacker.unpack(node, { limits: {} as never })[Symbol.asyncIterator]();
    const first = await iterator.next();
    const entry = first.done ? undefined : first.value;
    expect(entry?.declaredSize).toBe(50_000_000);
    expect(entry?.compressedSize).toBeLessThan(node.size);
    expect((entry?.declaredSize ?? 0) / (entry?.compressedSize ?? 1)).toBeGreaterThan(200);
    await iterator.return?.();
  });

  it('lets a consumer stop reading early without leaking an error', async () => {
    const result = await collect(zipUnpacker, fixtureNode('ratio.zip'), { maxBytesPerEntry: 1024 * 1024 });
    expect(result.entries[0]?.content?.capped).toBe(true);
    expect(result.entries[0]?.content?.error).toBeUndefined();
  });
});

describe('when a nested zip bomb (42.zip in miniature) is listed', () => {
  it('exposes the multiplied declared size from the directories alone', async () => {
    // Walk only the nested zips (a few KB each); sum what the leaves declare without inflating them.
    let declaredLeafBytes = 0;
    let containers = 0;
    const walk = async (node: ContentView): Promise<void> => {
      containers++;
      for await (const entry of zipUnpacker.unpack(node, { limits: {} as never })) {
        if (!entry.name.endsWith('.zip')) {
          declaredLeafBytes += entry.declaredSize ?? 0;
          continue;
        }
        const content = await readAll(await entry.open!());
        await walk(memoryNode(new Uint8Array(content.bytes), { name: entry.name }));
      }
    };
    const bomb = fixtureNode('bomb-nested.zip');
    await walk(bomb);
    expect(containers).toBe(1 + 8 + 64 + 512 + 4096); // 4 levels of 8, then the 4096 leaf zips
    expect(declaredLeafBytes).toBe(8 ** 4 * 1_000_000);
    expect(declaredLeafBytes / bomb.size).toBeGreaterThan(100_000);
  });
});

describe('when zips are nested 30 levels deep', () => {
  it('unpacks every level down to the innermost file', async () => {
    let bytes = await makeZip([{ name: 'core.txt', data: Buffer.from('innermost\n') }]);
    for (let level = 29; level >= 1; level--)
      bytes = await makeZip([{ name: `level-${level}.zip`, data: bytes }]);
    let node: ContentView = memoryNode(new Uint8Array(bytes), { name: 'level-0.zip' });
    const path: string[] = [node.name];
    for (;;) {
      const result = await collect(zipUnpacker, node);
      expect(result.entries).toHaveLength(1);
      const only = result.entries[0]!;
      path.push(only.entry.name);
      if (!only.entry.name.endsWith('.zip')) {
        expect(text(only)).toBe('innermost\n');
        break;
      }
      node = memoryNode(new Uint8Array(only.content!.bytes), { name: only.entry.name });
    }
    expect(path).toHaveLength(31);
    expect(path.at(-1)).toBe('core.txt');
  });
});

describe('when a small stored entry has a flipped byte', () => {
  it('fails its content with a typed E_ARCHIVE_CORRUPT (CRC-32)', async () => {
    const bytes = fixtureBytes('basic.zip');
    const at = Buffer.from(bytes).indexOf('A'.repeat(300));
    expect(at).toBeGreaterThan(0);
    bytes[at + 10] = 0x42;
    const result = await collect(zipUnpacker, memoryNode(bytes, { name: 'basic.zip' }));
    // Small entries are checked when opened; large ones when their stream ends: either is typed.
    const damaged = byName(result, 'app/lib/data.bin');
    const error = damaged?.openError ?? damaged?.content?.error;
    expect(isCountersignError(error) && error.code).toBe('E_ARCHIVE_CORRUPT');
    expect(text(byName(result, 'app/index.js'))).toContain('hello');
  });
});

describe('when the deflate data of a small entry is damaged', () => {
  it('fails its content with a typed error, not a zlib one', async () => {
    const bytes = await makeZip([
      { name: 'a.txt', data: Buffer.from('some text that deflates '.repeat(50)) },
    ]);
    // Local header is 30 bytes + name: damage the deflate stream just after it.
    const start = 30 + 'a.txt'.length + 2;
    for (let i = start; i < start + 8; i++) bytes.writeUInt8(bytes.readUInt8(i) ^ 0xff, i);
    const result = await collect(zipUnpacker, memoryNode(new Uint8Array(bytes), { name: 'a.zip' }));
    const error = result.entries[0]?.openError ?? result.entries[0]?.content?.error;
    expect(isCountersignError(error)).toBe(true);
  });
});

describe('when the file is not a zip at all or ends early', () => {
  it('throws E_ARCHIVE_TRUNCATED when the end-of-central-directory record is cut off', async () => {
    const bytes = fixtureBytes('basic.zip');
    const result = await collect(
      zipUnpacker,
      memoryNode(bytes.subarray(0, bytes.length - 10), { name: 'cut.zip' }),
    );
    expect(result.entries).toHaveLength(0);
    expect(isCountersignError(result.error) && result.error.code).toBe('E_ARCHIVE_TRUNCATED');
  });

  it('throws E_ARCHIVE_CORRUPT when the central directory points at garbage', async () => {
    const bytes = fixtureBytes('basic.zip');
    const view = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length);
    const eocd = view.lastIndexOf(Buffer.from([0x50, 0x4b, 0x05, 0x06]));
    view.writeUInt32LE(3, eocd + 16); // central directory offset -> inside the first local header
    const result = await collect(zipUnpacker, memoryNode(bytes, { name: 'bad.zip' }));
    expect(isCountersignError(result.error) && result.error.code).toBe('E_ARCHIVE_CORRUPT');
  });
});

describe('when entries are larger than the one-step read (streamed path)', () => {
  const size = SMALL_ENTRY_BYTES + 4096;
  const pattern = Buffer.alloc(size);
  for (let i = 0; i < size; i++) pattern[i] = (i * 7919) % 251;

  it('streams stored and deflated content intact', async () => {
    const bytes = await makeZip([
      { name: 'stored.bin', data: pattern, compress: false },
      { name: 'deflated.bin', data: pattern, compress: true },
    ]);
    const result = await collect(zipUnpacker, memoryNode(new Uint8Array(bytes), { name: 'big.zip' }));
    expect(result.error).toBeUndefined();
    for (const item of result.entries) {
      expect(item.content?.error).toBeUndefined();
      expect(item.content?.bytes.equals(pattern)).toBe(true);
    }
  });

  it('fails a stored entry with a flipped byte through its stream (CRC-32)', async () => {
    const bytes = await makeZip([{ name: 'stored.bin', data: pattern, compress: false }]);
    const at = 30 + 'stored.bin'.length + 1000;
    bytes.writeUInt8(bytes.readUInt8(at) ^ 0xff, at);
    const result = await collect(zipUnpacker, memoryNode(new Uint8Array(bytes), { name: 'big.zip' }));
    const error = result.entries[0]?.content?.error;
    expect(isCountersignError(error) && error.code).toBe('E_ARCHIVE_CORRUPT');
  });

  it('fails a deflated entry with damaged data through its stream, typed', async () => {
    const bytes = await makeZip([{ name: 'deflated.bin', data: pattern, compress: true }]);
    const start = 30 + 'deflated.bin'.length + 50;
    for (let i = start; i < start + 64; i++) bytes.writeUInt8(bytes.readUInt8(i) ^ 0x55, i);
    const result = await collect(zipUnpacker, memoryNode(new Uint8Array(bytes), { name: 'big.zip' }));
    const error = result.entries[0]?.content?.error;
    expect(isCountersignError(error)).toBe(true);
  });
});

describe('when two central-directory records share the bytes of one entry (overlapping-entry bomb)', () => {
  it('gives the second a problem instead of inflating the shared data again', async () => {
    const zip = await makeZip([{ name: 'kernel.bin', data: Buffer.alloc(10_000) }]);
    // Copy the only central-directory record under another name; both point at offset 0.
    const eocd = zip.lastIndexOf(Buffer.from([0x50, 0x4b, 0x05, 0x06]));
    const cdSize = zip.readUInt32LE(eocd + 12);
    const cdOffset = zip.readUInt32LE(eocd + 16);
    const record = Buffer.from(zip.subarray(cdOffset, cdOffset + cdSize));
    const copy = Buffer.from(record);
    copy.write('kernel.bun', 46, 'latin1');
    const end = Buffer.from(zip.subarray(eocd));
    end.writeUInt16LE(2, 8);
    end.writeUInt16LE(2, 10);
    end.writeUInt32LE(cdSize * 2, 12);
    const bomb = Buffer.concat([zip.subarray(0, cdOffset), record, copy, end]);
    const result = await collect(zipUnpacker, memoryNode(new Uint8Array(bomb), { name: 'overlap.zip' }));
    expect(result.error).toBeUndefined();
    expect(result.entries.map((item) => item.entry.name)).toEqual(['kernel.bin', 'kernel.bun']);
    expect(result.entries[0]?.content?.bytes.length).toBe(10_000);
    expect(result.entries[1]?.entry.problem?.code).toBe('E_ARCHIVE_CORRUPT');
    expect(result.entries[1]?.entry.problem?.details).toMatchObject({ overlaps: 'kernel.bin' });
  });
});

describe('when a directory entry carries data', () => {
  it('reports the hidden bytes as a problem instead of dropping them', async () => {
    // yazl refuses such a name: write 'looks-like-a-dir_' and turn the '_' into '/' in both headers.
    const bytes = await makeZip([{ name: 'looks-like-a-dir_', data: Buffer.from('hidden payload bytes') }]);
    for (
      let at = bytes.indexOf('looks-like-a-dir_');
      at !== -1;
      at = bytes.indexOf('looks-like-a-dir_', at + 1)
    ) {
      bytes.write('/', at + 16, 'latin1');
    }
    const result = await collect(zipUnpacker, memoryNode(new Uint8Array(bytes), { name: 'dir.zip' }));
    const entry = result.entries[0]?.entry;
    expect(entry?.kind).toBe('directory');
    expect(entry?.problem?.code).toBe('E_ARCHIVE_CORRUPT');
    expect(entry?.declaredSize).toBe(20);
  });
});

describe('when an entry uses PKWARE strong encryption (flag bit 6)', () => {
  it('keeps the entries before it and stops with E_ARCHIVE_ENCRYPTED (yauzl cannot list past it)', async () => {
    const bytes = Buffer.from(fixtureBytes('encrypted.zip'));
    const second = bytes.indexOf(
      Buffer.from([0x50, 0x4b, 0x01, 0x02]),
      bytes.indexOf(Buffer.from([0x50, 0x4b, 0x01, 0x02])) + 4,
    );
    bytes.writeUInt16LE(bytes.readUInt16LE(second + 8) | 0x40, second + 8);
    const result = await collect(zipUnpacker, memoryNode(new Uint8Array(bytes), { name: 'strong.zip' }));
    expect(result.entries.map((item) => item.entry.name)).toEqual(['app/index.js']);
    expect(isCountersignError(result.error) && result.error.code).toBe('E_ARCHIVE_ENCRYPTED');
  });
});
