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
