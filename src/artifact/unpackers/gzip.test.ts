import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import {
  byName,
  collect,
  context,
  fixtureBytes,
  fixtureNode,
  text,
} from '../../../test/fixtures/archives/harness.js';
import { isCountersignError } from '../../core/errors.js';
import { memoryNode } from '../memory-node.js';
import { gzipUnpacker, innerNameFor } from './gzip.js';
import { parseGzipHeader } from './gzip-header.js';

const codeOf = (error: unknown) => (isCountersignError(error) ? error.code : error);

describe('when a gzip holds one plain file', () => {
  it('names the entry from the FNAME the gzip tool stored', async () => {
    const result = await collect(gzipUnpacker, fixtureNode('notes.txt.gz'));
    expect(result.error).toBeUndefined();
    expect(result.entries.map((item) => item.entry.name)).toEqual(['notes.txt']);
    expect(text(result.entries[0])).toBe('plain text inside a gzip member\n');
    expect(result.entries[0]?.entry.compressedSize).toBe(fixtureBytes('notes.txt.gz').length);
    expect(result.entries[0]?.entry.mtime?.toISOString()).toBe('2024-01-02T03:04:05.000Z');
  });

  it('names it from the outer name when no FNAME is stored', async () => {
    const result = await collect(gzipUnpacker, fixtureNode('anonymous.gz'));
    expect(result.entries.map((item) => item.entry.name)).toEqual(['anonymous']);
    expect(text(result.entries[0])).toBe('no name stored\n');
  });
});

describe('when a gzip holds a tar (tar -czf, npm pack)', () => {
  it('yields the tar entries directly, without an intermediate .tar level', async () => {
    const result = await collect(gzipUnpacker, fixtureNode('basic.tgz'));
    expect(result.error).toBeUndefined();
    expect(result.entries.map((item) => item.entry.name)).toContain('app/lib/util.js');
    expect(byName(result, 'app/lib/link-to-index')?.entry).toMatchObject({
      kind: 'symlink',
      linkTarget: '../index.js',
    });
    expect(text(byName(result, 'app/index.js'))).toBe('console.log("hello from the fixture");\n');
  });

  it('gives an npm package its package/ prefix', async () => {
    const result = await collect(gzipUnpacker, fixtureNode('countersign-fixture-tiny-1.0.0.tgz'));
    expect(result.error).toBeUndefined();
    expect(result.entries.map((item) => item.entry.name).sort()).toEqual([
      'package/index.js',
      'package/lib/helper.js',
      'package/package.json',
    ]);
    expect(JSON.parse(text(byName(result, 'package/package.json'))).name).toBe('countersign-fixture-tiny');
  });
});

describe('when a gzip has several members', () => {
  it('decodes them as one concatenated stream, as gzip -d does', async () => {
    const result = await collect(gzipUnpacker, fixtureNode('multi-member.gz'));
    expect(result.error).toBeUndefined();
    expect(text(result.entries[0])).toBe('first member\nsecond member\n');
  });
});

describe('when bytes follow the last member', () => {
  it('ignores zero padding', async () => {
    const result = await collect(gzipUnpacker, fixtureNode('zero-padded.gz'));
    expect(result.error).toBeUndefined();
    expect(text(result.entries[0])).toBe('first member\n');
  });

  it.each(['trailing-garbage.gz', 'trailing-after-zeros.gz'])(
    'keeps the content of %s and reports the unexamined tail as a container error',
    async (fixture) => {
      const result = await collect(gzipUnpacker, fixtureNode(fixture));
      expect(text(result.entries[0])).toBe('first member\n');
      expect(result.entries[0]?.content?.error).toBeUndefined();
      expect(codeOf(result.error)).toBe('E_ARCHIVE_CORRUPT');
      const size = fixtureBytes(fixture).length;
      const details = isCountersignError(result.error) ? result.error.details : undefined;
      expect(details).toMatchObject({ offset: 33, length: size - 33 });
    },
  );
});

describe('when the member trailer does not match the content', () => {
  it('fails the content stream with E_ARCHIVE_CORRUPT', async () => {
    const bytes = fixtureBytes('anonymous.gz');
    bytes[bytes.length - 8]! ^= 0xff; // CRC-32
    const result = await collect(gzipUnpacker, memoryNode(bytes, { name: 'bad.gz' }));
    expect(codeOf(result.entries[0]?.content?.error)).toBe('E_ARCHIVE_CORRUPT');
  });
});

describe('when the gzip is cut short', () => {
  it('fails the content stream with E_ARCHIVE_TRUNCATED', async () => {
    const bytes = fixtureBytes('notes.txt.gz');
    const result = await collect(
      gzipUnpacker,
      memoryNode(bytes.subarray(0, bytes.length - 12), { name: 'cut.gz' }),
    );
    expect(codeOf(result.entries[0]?.content?.error)).toBe('E_ARCHIVE_TRUNCATED');
  });

  it('throws E_ARCHIVE_TRUNCATED when even the header is incomplete', async () => {
    const bytes = fixtureBytes('notes.txt.gz');
    const result = await collect(gzipUnpacker, memoryNode(bytes.subarray(0, 14), { name: 'cut.gz' }));
    expect(result.entries).toHaveLength(0);
    expect(codeOf(result.error)).toBe('E_ARCHIVE_TRUNCATED');
  });
});

describe('when one gzip stream inflates far beyond the ratio limit', () => {
  it('stops the stream with E_ARTIFACT_RATIO_EXCEEDED once past the floor', async () => {
    const bomb = gzipSync(Buffer.alloc(8 * 1024 * 1024));
    const node = memoryNode(new Uint8Array(bomb), { name: 'zeros.gz' });
    const result = await collect(gzipUnpacker, node, {
      ctx: context({ maxCompressionRatio: 100, ratioFloorBytes: 1024 * 1024 }),
    });
    const error = result.entries[0]?.content?.error;
    expect(codeOf(error)).toBe('E_ARTIFACT_RATIO_EXCEEDED');
    // Stopped close to the point where the ratio was crossed, not after inflating everything.
    expect(result.entries[0]?.content?.bytes.length).toBeLessThan(2 * 1024 * 1024);
  });
});

describe('when naming the inner file from the outer name', () => {
  it.each([
    ['x.tgz', 'x.tar'],
    ['notes.txt.gz', 'notes.txt'],
    ['LOG.GZ', 'LOG'],
    ['data-gz', 'data'],
    ['plain', 'plain'],
    ['.gz', '.gz'],
  ])('%s -> %s', (outer, inner) => {
    expect(innerNameFor(outer)).toBe(inner);
  });
});

describe('when a gzip header has optional fields', () => {
  it('reads FEXTRA, FNAME, FCOMMENT and FHCRC and finds where the data starts', () => {
    const name = Buffer.from('a.txt\0', 'latin1');
    const comment = Buffer.from('note\0', 'latin1');
    const fixed = Buffer.from([0x1f, 0x8b, 8, 0x1e, 0, 0, 0, 0, 0, 3]);
    const extra = Buffer.from([3, 0, 1, 2, 3]);
    const header = Buffer.concat([fixed, extra, name, comment, Buffer.from([0, 0])]);
    const parsed = parseGzipHeader(header);
    expect(parsed).toEqual({ length: header.length, fileName: 'a.txt', comment: 'note' });
  });

  it('refuses reserved flags and non-deflate methods with typed errors', () => {
    expect(() => parseGzipHeader(Buffer.from([0x1f, 0x8b, 8, 0x20, 0, 0, 0, 0, 0, 3]))).toThrow(
      expect.objectContaining({ code: 'E_ARCHIVE_CORRUPT' }),
    );
    expect(() => parseGzipHeader(Buffer.from([0x1f, 0x8b, 7, 0, 0, 0, 0, 0, 0, 3]))).toThrow(
      expect.objectContaining({ code: 'E_ARCHIVE_UNSUPPORTED' }),
    );
  });
});
