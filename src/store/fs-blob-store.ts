import { createHash, randomBytes } from 'node:crypto';
import { mkdir, open, readdir, rename, rm, stat, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { CountersignError } from '../core/errors.js';
import type { BlobStore } from './types.js';

const SHA256_HEX = /^[0-9a-f]{64}$/;

function assertSha256(sha256: string): void {
  // The digest becomes a path: anything but 64 hex characters could walk out of the blob directory.
  if (!SHA256_HEX.test(sha256)) throw new CountersignError('E_USAGE', `not a sha256 digest: ${sha256}`);
}

function isMissing(error: unknown): boolean {
  return (error as { code?: string } | null)?.code === 'ENOENT';
}

/**
 * Content-addressed blobs on a local (or shared network) disk: `<dataDir>/blobs/ab/cd/<sha256>`.
 * A put streams into a temp file in the same directory tree (so the final rename is atomic and
 * readers never see half a blob), hashes sha256, sha1 and md5 in the same pass, and gives up as soon
 * as the size limit is passed. Identical content is stored once.
 */
export class FsBlobStore implements BlobStore {
  readonly #root: string;

  constructor(dataDir: string) {
    this.#root = join(dataDir, 'blobs');
  }

  pathOf(sha256: string): string {
    assertSha256(sha256);
    return join(this.#root, sha256.slice(0, 2), sha256.slice(2, 4), sha256);
  }

  async put(
    source: AsyncIterable<Uint8Array> | NodeJS.ReadableStream,
    options: { maxBytes?: number } = {},
  ): Promise<{ sha256: string; sha1: string; md5: string; size: number }> {
    const maxBytes = options.maxBytes ?? Number.POSITIVE_INFINITY;
    const tmpDir = join(this.#root, 'tmp');
    await mkdir(tmpDir, { recursive: true });
    const tmpPath = join(tmpDir, `${process.pid}-${randomBytes(8).toString('hex')}`);
    const sha256 = createHash('sha256');
    const sha1 = createHash('sha1');
    const md5 = createHash('md5');
    let size = 0;
    const handle = await open(tmpPath, 'wx');
    try {
      try {
        for await (const chunk of source as AsyncIterable<Uint8Array | string>) {
          const bytes = typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
          size += bytes.byteLength;
          if (size > maxBytes) {
            // Leaving the loop ends the source's iterator, which destroys a stream source: no more
            // bytes are read, and the temp file is removed below.
            throw new CountersignError(
              'E_UPLOAD_TOO_LARGE',
              `upload exceeds the limit of ${maxBytes} bytes`,
              {
                details: { maxBytes },
              },
            );
          }
          sha256.update(bytes);
          sha1.update(bytes);
          md5.update(bytes);
          await handle.write(bytes);
        }
        // On disk before anything (a store record) can point at it.
        await handle.datasync();
      } finally {
        await handle.close();
      }
      const digests = {
        sha256: sha256.digest('hex'),
        sha1: sha1.digest('hex'),
        md5: md5.digest('hex'),
        size,
      };
      const finalPath = this.pathOf(digests.sha256);
      if (await this.has(digests.sha256)) {
        await unlink(tmpPath);
      } else {
        await mkdir(join(finalPath, '..'), { recursive: true });
        // Two concurrent puts of the same content both rename: the second replaces identical bytes.
        await rename(tmpPath, finalPath);
      }
      return digests;
    } catch (error) {
      await rm(tmpPath, { force: true });
      throw error;
    }
  }

  async has(sha256: string): Promise<boolean> {
    try {
      return (await stat(this.pathOf(sha256))).isFile();
    } catch (error) {
      if (isMissing(error)) return false;
      throw error;
    }
  }

  async localPath(sha256: string): Promise<string> {
    const path = this.pathOf(sha256);
    if (!(await this.has(sha256))) {
      throw new CountersignError('E_BLOB_NOT_FOUND', `no blob ${sha256}`, { details: { sha256 } });
    }
    return path;
  }

  async delete(sha256: string): Promise<void> {
    await rm(this.pathOf(sha256), { force: true });
  }

  /**
   * Deletes temp files that no put is writing any more: a process killed mid-upload leaves its temp
   * file behind. Age, not the pid in the name, decides, because the blob directory may be shared by
   * processes on several machines. Call it at start-up; returns how many were removed.
   */
  async removeStaleTemp(options: { olderThanMs?: number } = {}): Promise<number> {
    const cutoff = Date.now() - (options.olderThanMs ?? 60 * 60 * 1000);
    const tmpDir = join(this.#root, 'tmp');
    const names = await readdir(tmpDir).catch((error: unknown) => {
      if (isMissing(error)) return [] as string[];
      throw error;
    });
    let removed = 0;
    for (const name of names) {
      const path = join(tmpDir, name);
      const info = await stat(path).catch(() => undefined);
      if (info?.isFile() && info.mtimeMs < cutoff) {
        await rm(path, { force: true });
        removed += 1;
      }
    }
    return removed;
  }
}
