import { createHash } from 'node:crypto';
import { mkdir, mkdtemp, readdir, readFile, rm, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { CountersignError } from '../core/errors.js';
import { FsBlobStore } from './fs-blob-store.js';

let dataDir: string;
let blobs: FsBlobStore;

beforeEach(async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'countersign-blobs-'));
  blobs = new FsBlobStore(dataDir);
});
afterEach(async () => {
  await rm(dataDir, { recursive: true, force: true });
});

function bytes(length: number, seed: number): Buffer {
  const out = Buffer.alloc(length);
  for (let i = 0; i < length; i++) out[i] = (i * 31 + seed) & 0xff;
  return out;
}

async function* chunked(data: Buffer, size: number, consumed?: { chunks: number; finished: boolean }) {
  try {
    for (let offset = 0; offset < data.length; offset += size) {
      if (consumed) consumed.chunks += 1;
      yield data.subarray(offset, offset + size);
    }
  } finally {
    if (consumed) consumed.finished = true;
  }
}

async function tmpEntries(): Promise<string[]> {
  return readdir(join(dataDir, 'blobs', 'tmp')).catch(() => []);
}

describe('FsBlobStore', () => {
  it('stores a stream under blobs/ab/cd/<sha256> with the sha256, sha1 and md5 of its bytes', async () => {
    const data = bytes(300_000, 7);
    const put = await blobs.put(Readable.from(chunked(data, 65_536)));
    expect(put).toEqual({
      sha256: createHash('sha256').update(data).digest('hex'),
      sha1: createHash('sha1').update(data).digest('hex'),
      md5: createHash('md5').update(data).digest('hex'),
      size: data.length,
    });
    const path = await blobs.localPath(put.sha256);
    expect(path).toBe(join(dataDir, 'blobs', put.sha256.slice(0, 2), put.sha256.slice(2, 4), put.sha256));
    expect((await readFile(path)).equals(data)).toBe(true);
    expect(await blobs.has(put.sha256)).toBe(true);
    expect(await tmpEntries()).toEqual([]);
  });

  it('keeps one copy of identical content, also when two puts run at once', async () => {
    const data = bytes(50_000, 3);
    const [first, second] = await Promise.all([
      blobs.put(chunked(data, 1000)),
      blobs.put(chunked(data, 4096)),
    ]);
    const third = await blobs.put(chunked(data, 777));
    expect(second).toEqual(first);
    expect(third).toEqual(first);
    const dir = join(dataDir, 'blobs', first.sha256.slice(0, 2), first.sha256.slice(2, 4));
    expect(await readdir(dir)).toEqual([first.sha256]);
    expect(await tmpEntries()).toEqual([]);
  });

  it('stores an empty upload', async () => {
    const put = await blobs.put(chunked(Buffer.alloc(0), 10));
    expect(put.size).toBe(0);
    expect(put.sha256).toBe(createHash('sha256').digest('hex'));
    expect(await blobs.has(put.sha256)).toBe(true);
  });

  describe('when an upload passes maxBytes', () => {
    it('stops reading, deletes the temp file, keeps nothing and throws E_UPLOAD_TOO_LARGE', async () => {
      const data = bytes(100_000, 1);
      const consumed = { chunks: 0, finished: false };
      const error = await blobs
        .put(chunked(data, 1000, consumed), { maxBytes: 10_500 })
        .catch((e: unknown) => e);
      expect(error).toBeInstanceOf(CountersignError);
      expect((error as CountersignError).code).toBe('E_UPLOAD_TOO_LARGE');
      // 11 chunks of 1000 bytes pass 10 500; the other 89 are never pulled from the source.
      expect(consumed.chunks).toBe(11);
      expect(consumed.finished).toBe(true);
      expect(await tmpEntries()).toEqual([]);
      expect(await blobs.has(createHash('sha256').update(data).digest('hex'))).toBe(false);
    });

    it('accepts an upload of exactly maxBytes', async () => {
      const put = await blobs.put(chunked(bytes(4096, 2), 1024), { maxBytes: 4096 });
      expect(put.size).toBe(4096);
    });
  });

  it('removes the temp file when the source fails mid-stream', async () => {
    async function* failing() {
      yield Buffer.from('partial');
      throw new Error('connection reset');
    }
    await expect(blobs.put(failing())).rejects.toThrow('connection reset');
    expect(await tmpEntries()).toEqual([]);
  });

  it('reports a missing blob as E_BLOB_NOT_FOUND and deletes idempotently', async () => {
    const put = await blobs.put(chunked(Buffer.from('hello'), 2));
    await blobs.delete(put.sha256);
    await blobs.delete(put.sha256);
    expect(await blobs.has(put.sha256)).toBe(false);
    await expect(blobs.localPath(put.sha256)).rejects.toMatchObject({ code: 'E_BLOB_NOT_FOUND' });
  });

  it('removes temp files left by a killed upload once they are old enough, and only those', async () => {
    expect(await blobs.removeStaleTemp()).toBe(0); // no tmp dir yet
    const tmp = join(dataDir, 'blobs', 'tmp');
    await mkdir(tmp, { recursive: true });
    await writeFile(join(tmp, 'old'), 'half an upload');
    await writeFile(join(tmp, 'fresh'), 'an upload in progress');
    const twoHoursAgo = new Date(Date.now() - 2 * 60 * 60 * 1000);
    await utimes(join(tmp, 'old'), twoHoursAgo, twoHoursAgo);
    const kept = await blobs.put(chunked(Buffer.from('kept'), 2));
    expect(await blobs.removeStaleTemp()).toBe(1);
    expect(await readdir(tmp)).toEqual(['fresh']);
    expect(await blobs.has(kept.sha256)).toBe(true);
  });

  it('refuses a digest that is not 64 hex characters (it would become a path)', async () => {
    await expect(blobs.localPath('../../etc/passwd')).rejects.toMatchObject({ code: 'E_USAGE' });
    await expect(blobs.has('AB'.repeat(32))).rejects.toMatchObject({ code: 'E_USAGE' });
  });
});
