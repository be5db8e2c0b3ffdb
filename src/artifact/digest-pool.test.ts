import { createHash, randomBytes } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ZipMemberLocation } from '../core/plugin.js';
import { ACCEPTS_HEAD_BYTES } from '../formats/magic.js';
import { digestBytes } from './content-digest.js';
import { DigestPool } from './digest-pool.js';

let dir: string;
let pool: DigestPool;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'countersign-digest-test-'));
  pool = new DigestPool(['sha256', 'sha1', 'md5'], 2);
});
afterAll(async () => {
  await pool.close();
  await rm(dir, { recursive: true, force: true });
});

function reference(bytes: Uint8Array) {
  return {
    sha256: createHash('sha256').update(bytes).digest('hex'),
    sha1: createHash('sha1').update(bytes).digest('hex'),
    md5: createHash('md5').update(bytes).digest('hex'),
  };
}

describe('when a large file is split across two workers', () => {
  it('gives the same digests, entropy and newline count as one pass', async () => {
    // 20 MiB of mixed content: random bytes, text lines and zeros, past the split threshold.
    const bytes = Buffer.concat([
      randomBytes(8 * 1024 * 1024),
      Buffer.from('line of text\n'.repeat(400_000)),
      Buffer.alloc(7 * 1024 * 1024),
    ]);
    const path = join(dir, 'large.bin');
    await writeFile(path, bytes);
    const split = await pool.digestFile(path, 0, bytes.length);
    const single = digestBytes(bytes, ['sha256', 'sha1', 'md5']);
    expect(split.digests).toEqual(reference(bytes));
    expect(split.entropy).toBe(single.entropy);
    expect(split.newlines).toBe(single.newlines);
    expect(split.newlines).toBeGreaterThanOrEqual(400_000);
    expect(split.size).toBe(bytes.length);
  });

  it('digests a range inside a file, not the file', async () => {
    const bytes = randomBytes(17 * 1024 * 1024 + 5);
    const path = join(dir, 'range.bin');
    await writeFile(path, bytes);
    const length = 17 * 1024 * 1024 - 1000;
    const part = await pool.digestFile(path, 1000, length);
    expect(part.digests).toEqual(reference(bytes.subarray(1000, 1000 + length)));
  });
});

describe('when content is streamed to a worker', () => {
  it('agrees with a one-shot digest, whatever the chunk alignment', async () => {
    const bytes = randomBytes(3 * 1024 * 1024 + 3);
    const stream = pool.openStream();
    for (let offset = 0; offset < bytes.length; offset += 65_537) {
      await stream.update(bytes.subarray(offset, offset + 65_537));
    }
    const streamed = await stream.finish();
    expect(streamed.digests).toEqual(reference(bytes));
    expect(streamed.entropy).toBe(digestBytes(bytes, ['sha256']).entropy);
  });

  it('hashes bytes sent whole, small ones inline and larger ones in a worker', async () => {
    for (const size of [0, 10, 100_000]) {
      const bytes = randomBytes(size);
      expect((await pool.digestBytes(bytes)).digests).toEqual(reference(bytes));
    }
  });
});

describe('when the pool has no threads (COUNTERSIGN_THREADS=0)', () => {
  it('hashes files, ranges, bytes and streams on the calling thread with the same results', async () => {
    const inline = new DigestPool(['sha256', 'sha1', 'md5'], 0);
    try {
      const bytes = Buffer.concat([randomBytes(3 * 1024 * 1024 + 17), Buffer.from('a\nb\n'.repeat(1000))]);
      const path = join(dir, 'inline.bin');
      await writeFile(path, bytes);
      const single = digestBytes(bytes, ['sha256', 'sha1', 'md5']);

      const file = await inline.digestFile(path, 0, bytes.length);
      expect(file.digests).toEqual(reference(bytes));
      expect(file.entropy).toBe(single.entropy);
      expect(file.newlines).toBe(single.newlines);

      const range = await inline.digestFile(path, 100, 1_500_000);
      expect(range.digests).toEqual(reference(bytes.subarray(100, 1_500_100)));

      expect((await inline.digestBytes(bytes)).digests).toEqual(reference(bytes));

      const stream = inline.openStream();
      for (let at = 0; at < bytes.length; at += 700_000)
        await stream.update(bytes.subarray(at, at + 700_000));
      const streamed = await stream.finish();
      expect(streamed.digests).toEqual(reference(bytes));
      expect(streamed.size).toBe(bytes.length);

      await expect(inline.digestFile(path, bytes.length - 10, 20)).rejects.toMatchObject({
        code: 'E_INPUT_UNREADABLE',
      });
    } finally {
      await inline.close();
    }
  });
});

describe('when a worker decodes small members of a zip on disk', () => {
  /** A zip of two members (one deflated, one stored) from yazl, and where each local header is. */
  async function twoMemberZip(path: string, text: Buffer, blob: Buffer) {
    const { default: yazl } = await import('yazl');
    const zip = new yazl.ZipFile();
    zip.addBuffer(text, 'a.txt', { compress: true });
    zip.addBuffer(blob, 'b.bin', { compress: false });
    zip.end();
    const chunks: Buffer[] = [];
    for await (const chunk of zip.outputStream) chunks.push(chunk as Buffer);
    const bytes = Buffer.concat(chunks);
    await writeFile(path, bytes);
    return bytes;
  }

  it('gives the content, type and digests, refuses a bad CRC with a typed error, and lets go of the file on close', async () => {
    const { crc32 } = await import('node:zlib');
    const text = Buffer.from('hello zip member\n'.repeat(300));
    const blob = randomBytes(5000);
    const path = join(dir, 'members.zip');
    const bytes = await twoMemberZip(path, text, blob);
    const second = bytes.indexOf(Buffer.from('PK\x03\x04'), 4);
    const local = new DataView(bytes.buffer, bytes.byteOffset);
    const deflatedSize = local.getUint32(18, true);
    expect(deflatedSize).toBeLessThan(text.length);
    const memberA: ZipMemberLocation = {
      localHeaderOffset: 0,
      method: 8,
      compressedSize: deflatedSize,
      uncompressedSize: text.length,
      crc32: crc32(text),
      context: 'zip entry a.txt',
    };
    const own = new DigestPool(['sha256', 'md5'], 1);
    try {
      const a = await own.decodeZipMember(path, 0, bytes.length, memberA, 'a.txt');
      expect(Buffer.from(a.bytes ?? [])).toEqual(text);
      expect(a.size).toBe(text.length);
      expect(a.type).toBe('text');
      expect(a.digest.digests.sha256).toBe(reference(text).sha256);
      expect(a.digest.digests.md5).toBe(reference(text).md5);
      // Asked back only for other types: the same digests and type, the head, no content.
      const headOnly = await own.decodeZipMember(path, 0, bytes.length, memberA, 'a.txt', ['zip', 'gzip']);
      expect(headOnly.bytes).toBeUndefined();
      expect(headOnly.size).toBe(text.length);
      expect(headOnly.type).toBe('text');
      expect(Buffer.from(headOnly.head)).toEqual(text.subarray(0, headOnly.head.length));
      expect(headOnly.head.length).toBe(Math.min(text.length, ACCEPTS_HEAD_BYTES));
      // The head crossed as a copy of its own, not as a view that drags the whole member along.
      expect(headOnly.head.buffer.byteLength).toBe(headOnly.head.length);
      expect(headOnly.digest).toEqual(a.digest);
      // No plugin reads heads: nothing but the digest and the type comes back.
      const bare = await own.decodeZipMember(path, 0, bytes.length, memberA, 'a.txt', ['zip'], 0);
      expect(bare.head.length).toBe(0);
      expect(bare.bytes).toBeUndefined();
      expect(bare.type).toBe('text');
      expect(bare.digest).toEqual(a.digest);
      await expect(
        own.decodeZipMember(
          path,
          0,
          bytes.length,
          {
            localHeaderOffset: second,
            method: 0,
            compressedSize: blob.length,
            uncompressedSize: blob.length,
            crc32: crc32(blob) ^ 1,
            context: 'zip entry b.bin',
          },
          'b.bin',
        ),
      ).rejects.toMatchObject({ code: 'E_ARCHIVE_CORRUPT', message: 'zip entry b.bin: CRC-32 mismatch' });
    } finally {
      await own.close();
    }
    const { readdir, readlink } = await import('node:fs/promises');
    const open = await Promise.all(
      (await readdir('/proc/self/fd')).map((fd) => readlink(`/proc/self/fd/${fd}`).catch(() => '')),
    );
    expect(open).not.toContain(path);
  });
});

/** Byte counts the plain way, for comparison. */
function countsOf(bytes: Uint8Array): number[] {
  const counts = new Array<number>(256).fill(0);
  for (const byte of bytes) counts[byte]!++;
  return counts;
}

describe('byte counts kept for a container that borrows them', () => {
  let bytes: Buffer;
  let path: string;
  beforeAll(async () => {
    // Past the split threshold, with text at the end so that the last byte is a newline.
    bytes = Buffer.concat([
      randomBytes(12 * 1024 * 1024),
      Buffer.alloc(5 * 1024 * 1024, 7),
      Buffer.from('end\n'),
    ]);
    path = join(dir, 'counted.bin');
    await writeFile(path, bytes);
  });

  it('digestFileCounted gives the digest of digestFile and the counts of every byte, split or not', async () => {
    for (const [offset, length] of [
      [0, bytes.length], // split across both workers
      [1000, 3 * 1024 * 1024], // one worker
      [bytes.length - 1500, 1500], // read on this thread
    ] as const) {
      const { digest, counts } = await pool.digestFileCounted(path, offset, length);
      const part = bytes.subarray(offset, offset + length);
      expect(digest).toEqual(await pool.digestFile(path, offset, length));
      expect(digest.digests).toEqual(reference(part));
      expect(counts.histogram).toEqual(countsOf(part));
      expect(counts.lastByte).toBe(part[part.length - 1]);
    }
  });

  it('hashFile gives the hashes alone', async () => {
    const hashed = await pool.hashFile(path, 10, bytes.length - 10);
    expect(hashed).toEqual({ size: bytes.length - 10, digests: reference(bytes.subarray(10)) });
    expect(hashed).not.toHaveProperty('entropy');
  });

  it('countFileRanges counts exactly the ranges, cut across both workers when large', async () => {
    const ranges = [
      { offset: 0, length: 100 },
      { offset: 5000, length: 9 * 1024 * 1024 },
      { offset: 10 * 1024 * 1024, length: 6 * 1024 * 1024 },
      { offset: bytes.length - 3, length: 3 },
    ];
    const counts = await pool.countFileRanges(path, ranges);
    const expected = countsOf(
      Buffer.concat(ranges.map((range) => bytes.subarray(range.offset, range.offset + range.length))),
    );
    expect(counts.histogram).toEqual(expected);
    expect(counts.lastByte).toBe(10);
    const small = await pool.countFileRanges(path, [{ offset: 3, length: 40 }]);
    expect(small.histogram).toEqual(countsOf(bytes.subarray(3, 43)));
  });
});
