import { describe, expect, it } from 'vitest';
import { mingwFixtureNames, peFixture } from '../../../test/fixtures/pe/fixtures.js';
import { computePeChecksum } from './checksum.js';
import { parsePeHeaders } from './headers.js';

describe('computePeChecksum', () => {
  describe.each(mingwFixtureNames())('when GNU ld wrote the checksum of %s', (name) => {
    const bytes = peFixture(name);
    const headers = parsePeHeaders(bytes);

    it('computes the same value', () => {
      expect(headers.optional.checkSum).not.toBe(0);
      expect(computePeChecksum(bytes, headers.checksumOffset)).toBe(headers.optional.checkSum);
    });

    it('computes another value once a byte outside the field changes', () => {
      const copy = bytes.slice();
      copy[copy.length - 1] = copy[copy.length - 1]! ^ 0x5a;
      expect(computePeChecksum(copy, headers.checksumOffset)).not.toBe(headers.optional.checkSum);
    });

    it('ignores the checksum field itself', () => {
      const copy = bytes.slice();
      new DataView(copy.buffer).setUint32(headers.checksumOffset, 0xdeadbeef, true);
      expect(computePeChecksum(copy, headers.checksumOffset)).toBe(headers.optional.checkSum);
    });
  });
});
