import { describe, expect, it } from 'vitest';
import { SharedRing } from './shared-ring.js';

const bytes = (length: number, fill: number) => new Uint8Array(length).fill(fill);

function contentAt(ring: SharedRing, slice: { offset: number; length: number }): number[] {
  return [...new Uint8Array(ring.buffer, slice.offset, slice.length)];
}

describe('when slices are handed out and given back in order', () => {
  it('copies the parts of a slice one after another and reuses space once it is back', () => {
    const ring = new SharedRing(64);
    const a = ring.tryWrite([bytes(3, 1), bytes(2, 2)], 5);
    expect(a).toEqual({ offset: 0, length: 5 });
    expect(contentAt(ring, a!)).toEqual([1, 1, 1, 2, 2]);
    const b = ring.tryWrite([bytes(10, 3)], 10);
    expect(b).toEqual({ offset: 5, length: 10 });
    ring.release(a!);
    ring.release(b!);
    expect(ring.outstanding).toBe(0);
    // Empty again: the next slice starts at the beginning.
    expect(ring.tryWrite([bytes(4, 4)], 4)).toEqual({ offset: 0, length: 4 });
  });

  it('wraps to the start when the end is too close, and never overwrites a slice still out', () => {
    const ring = new SharedRing(32);
    const a = ring.tryWrite([bytes(12, 1)], 12)!;
    const b = ring.tryWrite([bytes(12, 2)], 12)!;
    // 8 bytes left at the end, 0 at the start (a is out): no room for 10.
    expect(ring.tryWrite([bytes(10, 3)], 10)).toBeUndefined();
    ring.release(a);
    // The end is still too short; the start is free up to b.
    const c = ring.tryWrite([bytes(10, 3)], 10)!;
    expect(c.offset).toBe(0);
    expect(contentAt(ring, b)).toEqual(new Array(12).fill(2));
    // Between c's end (10) and b (12) only 2 bytes: head never reaches tail.
    expect(ring.tryWrite([bytes(2, 4)], 2)).toBeUndefined();
    expect(ring.tryWrite([bytes(1, 4)], 1)).toEqual({ offset: 10, length: 1 });
  });
});

describe('when slices come back out of order or the ring is full', () => {
  it('frees space only once every older slice is back', () => {
    const ring = new SharedRing(16);
    const a = ring.tryWrite([bytes(6, 1)], 6)!;
    const b = ring.tryWrite([bytes(6, 2)], 6)!;
    ring.release(b);
    expect(ring.outstanding).toBe(2);
    expect(ring.tryWrite([bytes(6, 3)], 6)).toBeUndefined();
    ring.release(a);
    expect(ring.outstanding).toBe(0);
    expect(ring.tryWrite([bytes(6, 3)], 6)).toEqual({ offset: 0, length: 6 });
  });

  it('makes a writer wait for room and wakes it when a slice is given back', async () => {
    const ring = new SharedRing(16);
    const a = ring.tryWrite([bytes(12, 1)], 12)!;
    let written: { offset: number; length: number } | undefined;
    const waiting = ring.write([bytes(8, 9)], 8).then((slice) => {
      written = slice;
    });
    await new Promise((resolve) => setImmediate(resolve));
    expect(written).toBeUndefined();
    ring.release(a);
    await waiting;
    expect(written).toEqual({ offset: 0, length: 8 });
    expect(contentAt(ring, written!)).toEqual(new Array(8).fill(9));
  });

  it('takes only contents of up to a quarter of its size', () => {
    const ring = new SharedRing(1024);
    expect(ring.fits(256)).toBe(true);
    expect(ring.fits(257)).toBe(false);
    expect(ring.fits(0)).toBe(false);
  });
});
