import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { countBytes, sumTables, TABLE_WORDS } from './byte-histogram.js';
import { digestBytes } from './content-digest.js';

function plainCounts(bytes: Uint8Array): number[] {
  const counts = new Array<number>(256).fill(0);
  for (const byte of bytes) counts[byte]!++;
  return counts;
}

/** The tables added up the plain way: every 256th counter belongs to the same byte value. */
function summed(tables: Uint32Array): number[] {
  const counts = new Array<number>(256).fill(0);
  for (let i = 0; i < tables.length; i++) counts[i % 256]! += tables[i]!;
  return counts;
}

describe('the WebAssembly byte histogram', () => {
  it('counts like a plain loop for every length mod 8, at any offset, across pieces', () => {
    const data = randomBytes(2 * 1024 * 1024 + 7);
    for (const [start, end] of [
      [0, 0],
      [0, 1],
      [1, 4],
      [3, 10],
      ...Array.from({ length: 8 }, (_, n) => [7, 7 + 16 + n] as const),
      [5, 70_001],
      [2, data.length], // more than one 1 MiB piece
    ] as const) {
      const chunk = data.subarray(start, end);
      const tables = new Uint32Array(TABLE_WORDS);
      countBytes(tables, chunk);
      expect(summed(tables)).toEqual(plainCounts(chunk));
    }
  });

  it('adds to the counts it is given', () => {
    const tables = new Uint32Array(TABLE_WORDS);
    countBytes(tables, new Uint8Array([10, 10, 10]));
    countBytes(tables, new Uint8Array([10, 255]));
    const counts = summed(tables);
    expect(counts[10]).toBe(4);
    expect(counts[255]).toBe(1);
    expect(counts.reduce((a, b) => a + b, 0)).toBe(5);
  });

  it('sums the tables into totals it adds to', () => {
    const tables = new Uint32Array(TABLE_WORDS);
    countBytes(tables, Buffer.from('zz\nzzzzzzzzzzzzzzzzzz\n'));
    const totals = new Array<number>(256).fill(0);
    totals[0] = 5;
    sumTables(tables, totals);
    expect(totals[0]).toBe(5);
    expect(totals[0x7a]).toBe(20);
    expect(totals[10]).toBe(2);
  });

  it('gives the entropy and newline count of known contents', () => {
    expect(digestBytes(new Uint8Array(1000), []).entropy).toBe(0);
    const allBytes = Uint8Array.from({ length: 256 * 16 }, (_, i) => i % 256);
    expect(digestBytes(allBytes, []).entropy).toBe(8);
    const text = digestBytes(Buffer.from('a\nbb\nccc\n'), []);
    expect(text.newlines).toBe(3);
    expect(text.endsWithNewline).toBe(true);
  });
});
