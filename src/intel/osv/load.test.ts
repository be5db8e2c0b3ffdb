import { mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import yazl from 'yazl';
import { CountersignError } from '../../core/errors.js';
import { importOsv, importOsvZip } from './load.js';
import { OSV_FIXTURES, readOsvFixture } from './test-fixtures.js';

function makeZip(entries: Record<string, string>): Promise<Buffer> {
  const zip = new yazl.ZipFile();
  for (const [name, text] of Object.entries(entries)) zip.addBuffer(Buffer.from(text), name);
  zip.end();
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    zip.outputStream.on('data', (chunk: Buffer) => chunks.push(chunk));
    zip.outputStream.on('end', () => resolve(Buffer.concat(chunks)));
    zip.outputStream.on('error', reject);
  });
}

let scratch: string;
beforeAll(async () => {
  scratch = await mkdtemp(join(tmpdir(), 'countersign-osv-'));
});
afterAll(async () => {
  await rm(scratch, { recursive: true, force: true });
});

describe('when a folder of records is imported', () => {
  it('reads every record and lists every malformed one with its reason, dropping nothing silently', async () => {
    const result = await importOsv(OSV_FIXTURES);
    expect(result.records.map((r) => r.id)).toContain('MAL-2025-46969');
    expect(result.records).toHaveLength(17);
    expect(result.rejected.map((r) => r.origin).sort()).toEqual([
      'malformed/missing-id.json',
      'malformed/no-introduced.json',
      'malformed/truncated.json',
      'malformed/two-kinds-in-one-event.json',
      'malformed/unknown-range-type.json',
    ]);
    expect(result.rejected.find((r) => r.origin === 'malformed/unknown-range-type.json')?.path).toBe(
      '$.affected[0].ranges[1].type',
    );
  });

  it('fails on the first malformed record when strict', async () => {
    await expect(importOsv(join(OSV_FIXTURES, 'malformed'), { strict: true })).rejects.toMatchObject({
      code: 'E_INTEL_MALFORMED',
    });
  });

  it('does not follow links out of the folder', async () => {
    const dir = join(scratch, 'linked');
    await mkdir(dir);
    await symlink(join(OSV_FIXTURES, 'records'), join(dir, 'elsewhere'));
    await writeFile(join(dir, 'one.json'), readOsvFixture('records/MAL-2025-46969.json'));
    const result = await importOsv(dir);
    expect(result.records.map((r) => r.id)).toEqual(['MAL-2025-46969']);
    expect(result.ignoredEntries).toBe(1);
  });
});

describe('when an osv.dev all.zip dump is imported', () => {
  it('reads each record entry, names the zip entry of a bad one, and counts what is not a record', async () => {
    const zip = await makeZip({
      'MAL-2025-46969.json': readOsvFixture('records/MAL-2025-46969.json'),
      'GHSA-9wv6-86v2-598j.json': readOsvFixture('records/GHSA-9wv6-86v2-598j.json'),
      'TEST-0001.json': readOsvFixture('malformed/two-kinds-in-one-event.json'),
      'README.txt': 'not a record',
    });
    const path = join(scratch, 'all.zip');
    await writeFile(path, zip);
    const result = await importOsv(path);
    expect(result.records.map((r) => r.id).sort()).toEqual(['GHSA-9wv6-86v2-598j', 'MAL-2025-46969']);
    expect(result.records.find((r) => r.id === 'MAL-2025-46969')?.origin).toBe(
      `${path}!/MAL-2025-46969.json`,
    );
    expect(result.rejected).toEqual([
      expect.objectContaining({
        origin: `${path}!/TEST-0001.json`,
        path: '$.affected[0].ranges[0].events[0]',
      }),
    ]);
    expect(result.ignoredEntries).toBe(1);
  });

  it('rejects an entry over the size limit before inflating it', async () => {
    const zip = await makeZip({ 'BIG.json': `{"id":"BIG","pad":"${'x'.repeat(5000)}"}` });
    const result = await importOsvZip(zip, 'all.zip', { maxRecordBytes: 1000 });
    expect(result.records).toEqual([]);
    expect(result.rejected[0]?.code).toBe('E_ARTIFACT_FILE_TOO_LARGE');
  });

  it('fails with a typed error on a file that is not a zip, or a truncated one', async () => {
    const zip = await makeZip({ 'A.json': readOsvFixture('records/MAL-2025-46969.json') });
    for (const [index, bytes] of [
      Buffer.from('PK\u0003\u0004 but not really'),
      zip.subarray(0, zip.length - 10),
    ].entries()) {
      const error = await importOsvZip(bytes, 'bad.zip').catch((e: unknown) => e);
      expect(error).toBeInstanceOf(CountersignError);
      const path = join(scratch, `bad-${index}.zip`);
      await writeFile(path, bytes);
      expect(await importOsv(path).catch((e: unknown) => e)).toBeInstanceOf(CountersignError);
    }
  });
});

describe('when a zip entry does not match its directory record', () => {
  it('fails on a CRC-32 mismatch, stored or deflated', async () => {
    const text = readOsvFixture('records/MAL-2025-46969.json');
    for (const compress of [false, true]) {
      const zip = new yazl.ZipFile();
      zip.addBuffer(Buffer.from(text), 'A.json', { compress });
      zip.end();
      const chunks: Buffer[] = [];
      for await (const chunk of zip.outputStream) chunks.push(chunk as Buffer);
      const bytes = Buffer.concat(chunks);
      // Flip one byte in the middle of the entry's data (after the 30-byte local header and name).
      const at = 30 + 'A.json'.length + 40;
      bytes[at] = bytes[at]! ^ 0x01;
      await expect(importOsvZip(bytes, 'flipped.zip')).rejects.toMatchObject({ code: 'E_ARCHIVE_CORRUPT' });
    }
  });
});

describe('when a single file is imported', () => {
  it('reads one record, or an array of records (osv.dev query output)', async () => {
    const path = join(scratch, 'batch.json');
    const chalk = JSON.parse(readOsvFixture('records/MAL-2025-46969.json'));
    await writeFile(path, JSON.stringify([chalk, { id: 'bad' }]));
    // The same array inside a folder is read the same way.
    await mkdir(join(scratch, 'arrays'));
    await writeFile(join(scratch, 'arrays', 'batch.json'), JSON.stringify([chalk, { id: 'bad' }]));
    const fromFolder = await importOsv(join(scratch, 'arrays'));
    expect(fromFolder.records.map((r) => r.id)).toEqual(['MAL-2025-46969']);
    expect(fromFolder.rejected[0]?.origin).toBe('batch.json#1');
    const result = await importOsv(path);
    expect(result.records.map((r) => r.id)).toEqual(['MAL-2025-46969']);
    expect(result.rejected[0]?.origin).toBe(`${path}#1`);
  });

  it('fails with E_INPUT_NOT_FOUND for a missing path', async () => {
    await expect(importOsv(join(scratch, 'nope.json'))).rejects.toMatchObject({ code: 'E_INPUT_NOT_FOUND' });
  });
});
