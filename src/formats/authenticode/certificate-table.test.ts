import { describe, expect, it } from 'vitest';
import { readFixture } from '../../../test/fixtures/authenticode/fixtures.js';
import { isCountersignError } from '../../core/errors.js';
import { getAuthenticodeLayout } from '../pe/authenticode-layout.js';
import { MAX_CERTIFICATE_ENTRIES, parseCertificateTable } from './certificate-table.js';

function tableOf(bytes: Uint8Array): Uint8Array {
  const table = getAuthenticodeLayout(bytes).certificateTable;
  if (!table) throw new Error('fixture has no certificate table');
  return bytes.subarray(table.offset, table.offset + table.size);
}

/** A WIN_CERTIFICATE entry: header + content, padded to 8 bytes with `pad`. */
function entry(content: Uint8Array, options: { extraLength?: number; pad?: number; type?: number } = {}) {
  const length = 8 + content.length + (options.extraLength ?? 0);
  const aligned = Math.ceil(length / 8) * 8;
  const bytes = new Uint8Array(aligned).fill(options.pad ?? 0);
  const view = new DataView(bytes.buffer);
  view.setUint32(0, length, true);
  view.setUint16(4, 0x0200, true);
  view.setUint16(6, options.type ?? 2, true);
  bytes.set(content, 8);
  return bytes;
}

// A DER SEQUENCE of 3 content bytes: 30 03 02 01 05 (INTEGER 5).
const tinyDer = Uint8Array.from([0x30, 0x03, 0x02, 0x01, 0x05]);

describe('when the table holds one osslsigncode signature', () => {
  const parsed = parseCertificateTable(tableOf(readFixture('signed-sha256.dll')));

  it('finds one PKCS#7 entry whose slack is only zero padding', () => {
    expect(parsed.entries).toHaveLength(1);
    const [only] = parsed.entries;
    expect(only?.certificateType).toBe(2);
    expect(only?.revision).toBe(0x0200);
    expect(only?.derLength).toBeLessThanOrEqual(only?.content.length ?? 0);
    expect(only?.slack.isAllZero).toBe(true);
    expect(only?.slack.length).toBeLessThan(8);
    expect(parsed.unusedTail.length).toBe(0);
  });
});

describe('when data was appended inside the entry (the 3CX trick)', () => {
  const clean = parseCertificateTable(tableOf(readFixture('signed-sha256.dll'))).entries[0];
  const padded = parseCertificateTable(tableOf(readFixture('padded-3cx.dll'))).entries[0];

  it('keeps the DER length and reports the payload as non-zero slack', () => {
    expect(padded?.derLength).toBe(clean?.derLength);
    expect(padded?.length).toBeGreaterThan(clean?.length ?? 0);
    expect(padded?.slack.isAllZero).toBe(false);
    expect(padded?.slack.length).toBeGreaterThan(8);
  });
});

describe("when a table carries two entries (as Debian's shimx64.efi does)", () => {
  it('finds both, each on an 8-byte boundary', () => {
    const bytes = new Uint8Array(8192);
    const first = entry(tinyDer);
    const second = entry(tinyDer);
    bytes.set(first, 0);
    bytes.set(second, first.length);
    const parsed = parseCertificateTable(bytes.subarray(0, first.length + second.length));
    expect(parsed.entries.map((e) => e.offset)).toEqual([0, first.length]);
    expect(parsed.entries.every((e) => e.derLength === tinyDer.length && e.slack.isAllZero)).toBe(true);
  });
});

describe('when an entry declares bytes the table does not have', () => {
  it('keeps the entries before it and reports a typed truncation problem', () => {
    const good = entry(tinyDer);
    const broken = entry(tinyDer);
    new DataView(broken.buffer).setUint32(0, 4096, true);
    const parsed = parseCertificateTable(Uint8Array.from([...good, ...broken]));
    expect(parsed.entries).toHaveLength(1);
    expect(parsed.problem?.code).toBe('E_FORMAT_TRUNCATED');
    expect(parsed.unusedTail).toEqual({ offset: good.length, length: broken.length, isAllZero: false });
  });
});

describe('when dwLength is below the header size', () => {
  it('stops with a typed malformed problem instead of looping', () => {
    const bytes = entry(tinyDer);
    new DataView(bytes.buffer).setUint32(0, 3, true);
    const parsed = parseCertificateTable(bytes);
    expect(parsed.entries).toEqual([]);
    expect(parsed.problem?.code).toBe('E_FORMAT_MALFORMED');
  });
});

describe('when zero padding follows the last entry', () => {
  it('reports it as an all-zero unused tail, with no problem', () => {
    const one = entry(tinyDer);
    const parsed = parseCertificateTable(Uint8Array.from([...one, ...new Uint8Array(16)]));
    expect(parsed.entries).toHaveLength(1);
    expect(parsed.problem).toBeUndefined();
    expect(parsed.unusedTail).toEqual({ offset: one.length, length: 16, isAllZero: true });
  });
});

describe('when the outer element uses a BER indefinite length', () => {
  it('finds its end through the BER parser', () => {
    // 30 80 (SEQUENCE, indefinite) 02 01 05 (INTEGER 5) 00 00 (end of contents)
    const ber = Uint8Array.from([0x30, 0x80, 0x02, 0x01, 0x05, 0x00, 0x00]);
    const [only] = parseCertificateTable(entry(ber)).entries;
    expect(only?.derLength).toBe(ber.length);
  });
});

describe('when a table holds thousands of tiny entries', () => {
  it('stops at the entry limit with a typed problem', () => {
    const one = entry(new Uint8Array(0));
    const bytes = new Uint8Array(one.length * (MAX_CERTIFICATE_ENTRIES + 1));
    for (let i = 0; i <= MAX_CERTIFICATE_ENTRIES; i++) bytes.set(one, i * one.length);
    const parsed = parseCertificateTable(bytes);
    expect(parsed.entries).toHaveLength(MAX_CERTIFICATE_ENTRIES);
    expect(parsed.problem?.code).toBe('E_FORMAT_MALFORMED');
  });
});

describe('when the table is cut at every offset (truncation sweep)', () => {
  it.each(['signed-sha256.dll', 'nested-two-signers.dll', 'padded-3cx.dll'])(
    '%s: a result, with a typed problem wherever an entry is cut',
    (name) => {
      const table = tableOf(readFixture(name));
      const whole = parseCertificateTable(table);
      let problems = 0;
      for (let cut = 0; cut <= table.length; cut++) {
        let parsed: ReturnType<typeof parseCertificateTable> | undefined;
        try {
          parsed = parseCertificateTable(table.subarray(0, cut));
        } catch (error) {
          expect.fail(`cut at ${cut} threw ${isCountersignError(error) ? error.code : String(error)}`);
        }
        if (parsed.problem) {
          expect(isCountersignError(parsed.problem)).toBe(true);
          problems++;
        }
        expect(parsed.entries.length).toBeLessThanOrEqual(whole.entries.length);
      }
      expect(problems).toBeGreaterThan(0);
    },
  );
});
