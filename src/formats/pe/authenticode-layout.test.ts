import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { isCountersignError } from '../../core/errors.js';
import { getAuthenticodeLayout } from './authenticode-layout.js';
import { buildTestPe, testWinCertificate } from './test-pe-builder.js';

const corkami = (name: string): Uint8Array =>
  readFileSync(fileURLToPath(new URL(`../../../test/fixtures/pe/corkami/${name}`, import.meta.url)));

describe('getAuthenticodeLayout', () => {
  describe.each([
    ['PE32', false],
    ['PE32+', true],
  ] as const)('when the image is %s', (_magic, is64) => {
    const certificate = testWinCertificate(new Uint8Array(100).fill(0x30));
    const built = buildTestPe({
      is64,
      sections: [
        { name: '.text', data: new Uint8Array(0x300).fill(0xcc) },
        { name: '.data', data: new Uint8Array(0x10).fill(1) },
      ],
      certificateTable: certificate,
    });
    const layout = getAuthenticodeLayout(built.bytes);
    const optionalHeader = built.peHeaderOffset + 24;

    it('places the checksum 64 bytes into the optional header', () => {
      expect(layout.checksumOffset).toBe(optionalHeader + 64);
    });

    it('places the security entry as the fifth data directory', () => {
      expect(layout.securityDirectoryEntryOffset).toBe(optionalHeader + (is64 ? 112 : 96) + 32);
      expect(layout.hasSecurityDirectoryEntry).toBe(true);
      expect(layout.magic).toBe(is64 ? 'PE32+' : 'PE32');
    });

    it('reports the certificate table as a file offset and size', () => {
      expect(layout.certificateTable).toEqual({
        offset: built.certificateTableOffset,
        size: certificate.length,
      });
    });

    it('lists the sections in table order with their raw extents', () => {
      expect(layout.sections).toEqual([
        { pointerToRawData: built.sectionOffsets[0], sizeOfRawData: 0x400 },
        { pointerToRawData: built.sectionOffsets[1], sizeOfRawData: 0x200 },
      ]);
      expect(layout.sizeOfHeaders).toBe(0x400);
      expect(layout.fileSize).toBe(built.bytes.length);
    });
  });

  describe('when the file is unsigned', () => {
    it('has no certificate table', () => {
      const layout = getAuthenticodeLayout(
        buildTestPe({ sections: [{ name: '.text', data: new Uint8Array(8) }] }).bytes,
      );
      expect(layout.certificateTable).toBeUndefined();
    });
  });

  describe('when NumberOfRvaAndSizes stops before the security directory', () => {
    it('says the entry is not a directory', () => {
      const layout = getAuthenticodeLayout(buildTestPe({ numberOfRvaAndSizes: 2 }).bytes);
      expect(layout.hasSecurityDirectoryEntry).toBe(false);
      expect(layout.certificateTable).toBeUndefined();
    });
  });

  describe('when reading a hand-made signed file (corkami signature.exe)', () => {
    const bytes = corkami('signature.exe');
    const layout = getAuthenticodeLayout(bytes);
    const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);

    it('points at a WIN_CERTIFICATE whose dwLength fills the declared table', () => {
      const table = layout.certificateTable!;
      expect(table.offset + table.size).toBeLessThanOrEqual(bytes.length);
      const dwLength = view.getUint32(table.offset, true);
      expect(Math.ceil(dwLength / 8) * 8).toBe(table.size);
      expect(view.getUint16(table.offset + 6, true)).toBe(2); // WIN_CERT_TYPE_PKCS_SIGNED_DATA
    });

    it('finds the checksum right after the optional header magic + 64', () => {
      expect(view.getUint16(layout.checksumOffset - 64, true)).toBe(0x10b);
    });
  });

  describe('when the bytes are not a PE', () => {
    it.each([
      ['empty', new Uint8Array(0)],
      ['text', new TextEncoder().encode('hello world, not an executable')],
      ['MZ only', new Uint8Array([0x4d, 0x5a, 0, 0])],
    ])('throws a typed error for %s', (_label, bytes) => {
      let thrown: unknown;
      try {
        getAuthenticodeLayout(bytes);
      } catch (error) {
        thrown = error;
      }
      expect(isCountersignError(thrown)).toBe(true);
      expect(['E_PE_MALFORMED', 'E_PE_TRUNCATED']).toContain((thrown as { code: string }).code);
    });
  });
});
