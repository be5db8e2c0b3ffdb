import { describe, expect, it } from 'vitest';
import { isCountersignError } from '../../core/errors.js';
import { type MsiColumn, MsiStringPool, readTable } from './database.js';

/** A string pool as Windows Installer writes it: header (codepage, long-ref flag), then (length, refs) pairs. */
function pool(strings: string[], options: { longRefs?: boolean } = {}) {
  const words: number[] = [1252, options.longRefs ? 0x8000 : 0];
  const data: Buffer[] = [];
  for (const value of strings) {
    const bytes = Buffer.from(value, 'latin1');
    if (bytes.length > 0xffff) words.push(0, 1, bytes.length & 0xffff, bytes.length >>> 16);
    else words.push(bytes.length, 1);
    data.push(bytes);
  }
  const header = Buffer.alloc(words.length * 2);
  for (const [index, word] of words.entries()) header.writeUInt16LE(word, index * 2);
  return { pool: new Uint8Array(header), data: new Uint8Array(Buffer.concat(data)) };
}

const STRING = 0x1948; // nullable, string, valid, width 72: an s72 column as _Columns stores it
const I2 = 0x0502;
const I4 = 0x0104;
const columns: MsiColumn[] = [
  { name: 'Key', number: 1, type: STRING, isString: true, isTemporary: false },
  { name: 'Small', number: 2, type: I2, isString: false, isTemporary: false },
  { name: 'Large', number: 3, type: I4, isString: false, isTemporary: false },
];

describe('when the string pool is read', () => {
  it('finds strings by index, with a string of over 64 KiB taking two pool entries', () => {
    const long = 'x'.repeat(70_000);
    const { pool: bytes, data } = pool(['alpha', long, 'omega']);
    const strings = MsiStringPool.parse(bytes, data);
    expect(strings.get(1)).toBe('alpha');
    expect(strings.get(2)).toBe(long);
    expect(strings.get(3)).toBe('omega');
    expect(strings.get(0)).toBeNull();
    expect(strings.refBytes).toBe(2);
  });

  it('uses 3-byte references when the header says so', () => {
    const { pool: bytes, data } = pool(['a'], { longRefs: true });
    expect(MsiStringPool.parse(bytes, data).refBytes).toBe(3);
  });

  it('gives a typed error when _StringData is shorter than the pool says', () => {
    const { pool: bytes, data } = pool(['alpha', 'omega']);
    expect(() => MsiStringPool.parse(bytes, data.subarray(0, 6))).toThrow(
      expect.objectContaining({ code: 'E_FORMAT_TRUNCATED' }),
    );
  });
});

describe('when a table is read', () => {
  const { pool: poolBytes, data } = pool(['k1', 'k2']);
  const strings = MsiStringPool.parse(poolBytes, data);

  it('reads column after column, removing the integer bias and keeping NULL', () => {
    // Two rows: (k1, 5, 70000) and (k2, NULL, -1).
    const stream = Buffer.alloc(2 * (2 + 2 + 4));
    stream.writeUInt16LE(1, 0);
    stream.writeUInt16LE(2, 2);
    stream.writeUInt16LE(0x8000 + 5, 4);
    stream.writeUInt16LE(0, 6);
    stream.writeUInt32LE(0x80000000 + 70_000, 8);
    stream.writeUInt32LE(0x80000000 - 1, 12);
    expect(readTable(new Uint8Array(stream), columns, strings, 'T')).toEqual([
      { Key: 'k1', Small: 5, Large: 70_000 },
      { Key: 'k2', Small: null, Large: -1 },
    ]);
  });

  it('rejects a stream that is not a whole number of rows, and a reference beyond the pool', () => {
    expect(() => readTable(new Uint8Array(7), columns, strings, 'T')).toThrow(
      expect.objectContaining({ code: 'E_FORMAT_MALFORMED' }),
    );
    const stream = new Uint8Array(8);
    stream[0] = 99;
    let error: unknown;
    try {
      readTable(stream, columns, strings, 'T');
    } catch (caught) {
      error = caught;
    }
    expect(isCountersignError(error) && error.code).toBe('E_FORMAT_MALFORMED');
  });
});
