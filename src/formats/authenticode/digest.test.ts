import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  AUTHENTICODE_DATA,
  readFixture,
  recordedOsslsigncodeVerdict,
} from '../../../test/fixtures/authenticode/fixtures.js';
import { getAuthenticodeLayout } from '../pe/authenticode-layout.js';
import { authenticodeHashedRanges, computeAuthenticodeDigest } from './digest.js';

/** The "Calculated message digest" osslsigncode printed for each signature, in order. */
function osslsigncodeDigests(fixture: string): string[] {
  const text = readFileSync(join(AUTHENTICODE_DATA, `${fixture}.osslsigncode.txt`), 'utf8');
  return [...text.matchAll(/Calculated message digest : ([0-9A-F]+)/g)].map((m) => m[1]!.toLowerCase());
}

describe('when hashing the signed fixtures', () => {
  it.each([
    ['signed-sha256', 'sha256'],
    ['signed-sha1', 'sha1'],
    ['padded-3cx', 'sha256'],
    ['digest-mismatch', 'sha256'],
  ] as const)('%s: agrees with the digest osslsigncode calculated', (fixture, algorithm) => {
    const bytes = readFixture(`${fixture}.dll`);
    const expected = osslsigncodeDigests(fixture);
    expect(expected.length).toBeGreaterThan(0);
    expect(computeAuthenticodeDigest(bytes, getAuthenticodeLayout(bytes), algorithm)).toBe(expected[0]);
    expect(recordedOsslsigncodeVerdict(fixture)).toBeDefined();
  });
});

describe('when the excluded fields change', () => {
  const bytes = readFixture('signed-sha256.dll');
  const layout = getAuthenticodeLayout(bytes);
  const digest = computeAuthenticodeDigest(bytes, layout, 'sha256');

  it('ignores the checksum, the security directory entry and the certificate table', () => {
    const changed = Uint8Array.from(bytes);
    changed.fill(0xaa, layout.checksumOffset, layout.checksumOffset + 4);
    changed.fill(0xbb, layout.securityDirectoryEntryOffset, layout.securityDirectoryEntryOffset + 8);
    const table = layout.certificateTable!;
    changed.fill(0xcc, table.offset, table.offset + table.size);
    expect(computeAuthenticodeDigest(changed, layout, 'sha256')).toBe(digest);
  });

  it('covers every section byte and the data after the table', () => {
    const changed = Uint8Array.from(bytes);
    const section = layout.sections.find((s) => s.sizeOfRawData > 0)!;
    changed[section.pointerToRawData + section.sizeOfRawData - 1]! ^= 1;
    expect(computeAuthenticodeDigest(changed, layout, 'sha256')).not.toBe(digest);
    const appended = new Uint8Array(bytes.length + 8);
    appended.set(bytes);
    expect(computeAuthenticodeDigest(appended, layout, 'sha256')).not.toBe(digest);
  });

  it('hashes sections in file order whatever the section table order', () => {
    const reversed = { ...layout, sections: [...layout.sections].reverse() };
    expect(computeAuthenticodeDigest(bytes, reversed, 'sha256')).toBe(digest);
  });

  it('is the hash of exactly the listed ranges', () => {
    const hash = createHash('sha256');
    const ranges = authenticodeHashedRanges(bytes.length, layout);
    for (const r of ranges) hash.update(bytes.subarray(r.offset, r.offset + r.length));
    expect(hash.digest('hex')).toBe(digest);
    const covered = ranges.reduce((sum, r) => sum + r.length, 0);
    expect(covered).toBe(bytes.length - 4 - 8 - layout.certificateTable!.size);
  });
});

describe('when the layout points outside the file', () => {
  const bytes = readFixture('signed-sha256.dll');
  const layout = getAuthenticodeLayout(bytes);

  it('throws E_PE_TRUNCATED for a section past the end', () => {
    const broken = { ...layout, sections: [{ pointerToRawData: bytes.length - 4, sizeOfRawData: 512 }] };
    expect(() => computeAuthenticodeDigest(bytes, broken, 'sha256')).toThrow(
      expect.objectContaining({ code: 'E_PE_TRUNCATED' }),
    );
  });

  it('throws E_PE_MALFORMED when the excluded fields are not inside the headers', () => {
    const broken = { ...layout, securityDirectoryEntryOffset: layout.sizeOfHeaders };
    expect(() => computeAuthenticodeDigest(bytes, broken, 'sha256')).toThrow(
      expect.objectContaining({ code: 'E_PE_MALFORMED' }),
    );
  });
});
