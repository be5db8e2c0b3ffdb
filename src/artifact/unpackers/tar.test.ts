import { describe, expect, it } from 'vitest';
import {
  byName,
  collect,
  fixtureBytes,
  fixtureNode,
  readAll,
  text,
} from '../../../test/fixtures/archives/harness.js';
import { isCountersignError } from '../../core/errors.js';
import type { ArchiveEntry } from '../../core/plugin.js';
import { memoryNode } from '../memory-node.js';
import { tarUnpacker } from './tar.js';

const LONG_DIR = `long/${'d'.repeat(60)}/${'e'.repeat(60)}/`;
const LONG_FILE = `${LONG_DIR}${'f'.repeat(80)}-é.txt`;

describe('when a ustar archive made by GNU tar holds files, directories and links', () => {
  it('yields files with content and links with their targets, never their content', async () => {
    const result = await collect(tarUnpacker, fixtureNode('basic.tar'));
    expect(result.error).toBeUndefined();
    expect(result.entries.map((item) => `${item.entry.kind} ${item.entry.name}`)).toEqual([
      'directory app/',
      'directory app/empty-dir/',
      'file app/hardlink.json',
      'file app/index.js',
      'directory app/lib/',
      'file app/lib/data.bin',
      'symlink app/lib/link-to-index',
      'file app/lib/util.js',
      'hardlink app/package.json',
    ]);
    expect(byName(result, 'app/lib/link-to-index')?.entry.linkTarget).toBe('../index.js');
    const hard = byName(result, 'app/package.json')?.entry;
    expect(hard?.linkTarget).toBe('app/hardlink.json');
    expect(hard?.open).toBeUndefined();
    expect(text(byName(result, 'app/index.js'))).toBe('console.log("hello from the fixture");\n');
    const util = byName(result, 'app/lib/util.js');
    expect(util?.content?.bytes.length).toBe(util?.entry.declaredSize);
    expect(util?.entry.compressedSize).toBe(util?.entry.declaredSize);
    expect(util?.entry.mtime?.toISOString()).toBe('2024-01-02T03:04:05.000Z');
  });
});

describe('when names are longer than ustar allows', () => {
  it.each(['pax.tar', 'gnu-longname.tar'])('reads the full UTF-8 name from %s', async (fixture) => {
    const result = await collect(tarUnpacker, fixtureNode(fixture));
    expect(result.error).toBeUndefined();
    expect(text(byName(result, LONG_FILE))).toBe('deep\n');
    expect(byName(result, LONG_DIR)?.entry.kind).toBe('directory');
  });
});

describe('when names and link targets point outside the archive (tar traversal)', () => {
  it('yields them raw for the engine to flag', async () => {
    const result = await collect(tarUnpacker, fixtureNode('traversal.tar'));
    expect(result.entries.map((item) => item.entry.name)).toEqual([
      '../../evil.sh',
      '/etc/x',
      'ok/../../escape.txt',
      'sneaky-link',
      'sneaky-hard',
    ]);
    expect(byName(result, 'sneaky-link')?.entry).toMatchObject({
      kind: 'symlink',
      linkTarget: '/etc/passwd',
    });
    expect(byName(result, 'sneaky-hard')?.entry).toMatchObject({
      kind: 'hardlink',
      linkTarget: '../../etc/shadow',
    });
  });
});

describe('when the consumer skips entries without reading them', () => {
  it('drains the skipped content and still reaches every entry', async () => {
    const seen: string[] = [];
    for await (const entry of tarUnpacker.unpack(fixtureNode('basic.tar'), { limits: {} as never })) {
      seen.push(entry.name);
    }
    expect(seen).toHaveLength(9);
    expect(seen.at(-1)).toBe('app/package.json');
  });
});

describe('when the consumer moves on with a content stream half read', () => {
  it('fails that stream with a typed error instead of handing out truncated content, and goes on', async () => {
    // Larger than the read chunks and stream buffers, so it cannot have been buffered in full by accident.
    const big = memoryNode(tarWithFile('big.bin', 3_000_000, 'after.txt'), { name: 'big.tar' });
    const entries: ArchiveEntry[] = [];
    let firstStream: import('node:stream').Readable | undefined;
    for await (const entry of tarUnpacker.unpack(big, { limits: {} as never })) {
      entries.push(entry);
      if (entry.name === 'big.bin') {
        firstStream = await entry.open!();
        const chunk: Buffer | null = await new Promise((resolve) =>
          firstStream!.once('readable', () => resolve(firstStream!.read(1000))),
        );
        expect(chunk?.length).toBe(1000);
      } else {
        expect((await readAll(await entry.open!())).bytes.toString()).toBe('tail\n');
      }
    }
    expect(entries.map((entry) => entry.name)).toEqual(['big.bin', 'after.txt']);
    const rest = await readAll(firstStream!);
    expect(isCountersignError(rest.error) && rest.error.code).toBe('E_INTERNAL');
    await expect(entries[0]!.open!()).rejects.toMatchObject({ code: 'E_INTERNAL' });
  });
});

describe('when the archive ends in the middle of an entry', () => {
  it('fails with E_ARCHIVE_TRUNCATED after the complete entries', async () => {
    const bytes = fixtureBytes('basic.tar');
    const cut = Buffer.from(bytes).indexOf('exports.f1') + 100; // inside util.js
    const result = await collect(tarUnpacker, memoryNode(bytes.subarray(0, cut), { name: 'cut.tar' }));
    expect(text(byName(result, 'app/index.js'))).toContain('hello');
    const util = byName(result, 'app/lib/util.js');
    const error = util?.content?.error ?? result.error;
    expect(isCountersignError(error) && error.code).toBe('E_ARCHIVE_TRUNCATED');
  });
});

describe('when a header checksum is wrong', () => {
  it('fails with E_ARCHIVE_CORRUPT', async () => {
    const bytes = fixtureBytes('basic.tar');
    bytes[512 + 10]! ^= 0x20; // name of the second header
    const result = await collect(tarUnpacker, memoryNode(bytes, { name: 'bad.tar' }));
    expect(result.entries).toHaveLength(1);
    expect(isCountersignError(result.error) && result.error.code).toBe('E_ARCHIVE_CORRUPT');
  });
});

describe('when a size field holds base-256 digits with an unknown sign byte', () => {
  it('fails with E_ARCHIVE_CORRUPT after the entries before it, instead of waiting forever', async () => {
    // Found by the random-rewrite sweep: tar-stream reads such a size as null and then never ends
    // the entry.
    const bytes = tarWithFile('first.txt', 3, 'second.txt');
    const second = 1024;
    bytes[second + 124] = 0xf5;
    let sum = 0;
    for (let i = 0; i < 512; i++) sum += i >= 148 && i < 156 ? 32 : bytes[second + i]!;
    Buffer.from(bytes.buffer).write(`${sum.toString(8).padStart(6, '0')}\0 `, second + 148);
    const result = await collect(tarUnpacker, memoryNode(bytes, { name: 'sign.tar' }));
    expect(result.entries.map((each) => each.entry.name)).toEqual(['first.txt']);
    expect(isCountersignError(result.error) && result.error.code).toBe('E_ARCHIVE_CORRUPT');
  });
});

/** A ustar archive with one file of `size` bytes and a small file after it (hand-built headers). */
function tarWithFile(name: string, size: number, nextName: string): Uint8Array {
  const header = (entryName: string, entrySize: number) => {
    const block = Buffer.alloc(512);
    block.write(entryName, 0, 'utf8');
    block.write('0000644\0', 100);
    block.write('0000000\0', 108);
    block.write('0000000\0', 116);
    block.write(`${entrySize.toString(8).padStart(11, '0')}\0`, 124);
    block.write('14542262205\0', 136);
    block.write('        ', 148);
    block.write('0', 156);
    block.write('ustar\0', 257);
    block.write('00', 263);
    let sum = 0;
    for (const byte of block) sum += byte;
    block.write(`${sum.toString(8).padStart(6, '0')}\0 `, 148);
    return block;
  };
  const pad = (length: number) => Buffer.alloc((512 - (length % 512)) % 512);
  const tail = Buffer.from('tail\n');
  return new Uint8Array(
    Buffer.concat([
      header(name, size),
      Buffer.alloc(size, 0x61),
      pad(size),
      header(nextName, tail.length),
      tail,
      pad(tail.length),
      Buffer.alloc(1024),
    ]),
  );
}
