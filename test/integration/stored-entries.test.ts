import { createHash, randomBytes } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import yazl from 'yazl';
import { scan } from '../../src/pipeline/scan.js';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'countersign-stored-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function makeZip(path: string, entries: Array<{ name: string; data: Buffer; compress: boolean }>) {
  const zip = new yazl.ZipFile();
  for (const entry of entries) zip.addBuffer(entry.data, entry.name, { compress: entry.compress });
  zip.end();
  await pipeline(zip.outputStream, createWriteStream(path));
}

describe('when a zip stores large entries uncompressed', () => {
  it('reads them in place and gets the same digests as for a deflated copy', async () => {
    const big = randomBytes(20 * 1024 * 1024);
    const nested = join(dir, 'inner.zip');
    await makeZip(nested, [{ name: 'payload.bin', data: big, compress: false }]);
    const { readFile } = await import('node:fs/promises');
    const innerBytes = await readFile(nested);
    const outer = join(dir, 'outer.zip');
    await makeZip(outer, [
      { name: 'stored.bin', data: big, compress: false },
      { name: 'deflated.bin', data: big, compress: true },
      { name: 'inner.zip', data: innerBytes, compress: false },
    ]);
    const result = await scan([outer]);
    const expected = createHash('sha256').update(big).digest('hex');
    const digestOf = (path: string) => result.nodes.find((node) => node.path === path)?.digests?.sha256;
    expect(digestOf('outer.zip!/stored.bin')).toBe(expected);
    expect(digestOf('outer.zip!/deflated.bin')).toBe(expected);
    expect(digestOf('outer.zip!/inner.zip!/payload.bin')).toBe(expected);
    expect(result.gaps).toEqual([]);
  });
});
