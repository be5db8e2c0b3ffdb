import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { countBytes } from './byte-histogram.js';
import { digestBytes } from './content-digest.js';

function plainCounts(bytes: Uint8Array): number[] {
  const counts = new Array<number>(256).fill(0);
  for (const byte of bytes) counts[byte]!++;
  return counts;
}

function summed(tables: Uint32Array): number[] {
  return Array.from(
    { length: 256 },
    (_, b) => tables[b]! + tables[256 + b]! + tables[512 + b]! + tables[768 + b]!,
  );
}

describe('the WebAssembly byte histogram', () => {
  it('counts like a plain loop for every length mod 4, at any offset, across pieces', () => {
    const data = randomBytes(2 * 1024 * 1024 + 7);
    for (const [start, end] of [
      [0, 0],
      [0, 1],
      [1, 4],
      [3, 10],
      [5, 70_001],
      [2, data.length], // more than one 1 MiB piece
    ] as const) {
      const chunk = data.subarray(start, end);
      const tables = new Uint32Array(1024);
      countBytes(tables, chunk);
      expect(summed(tables)).toEqual(plainCounts(chunk));
    }
  });

  it('adds to the counts it is given', () => {
    const tables = new Uint32Array(1024);
    countBytes(tables, new Uint8Array([10, 10, 10]));
    countBytes(tables, new Uint8Array([10, 255]));
    const counts = summed(tables);
    expect(counts[10]).toBe(4);
    expect(counts[255]).toBe(1);
    expect(counts.reduce((a, b) => a + b, 0)).toBe(5);
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
