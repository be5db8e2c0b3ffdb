import { describe, expect, it } from 'vitest';
import { CountLedger } from './count-ledger.js';
import type { ByteCounts } from './digest-pool.js';

/** The counts of some bytes, the plain way. */
function countsOf(bytes: Uint8Array): ByteCounts {
  const histogram = new Array<number>(256).fill(0);
  for (const byte of bytes) histogram[byte]!++;
  return { histogram, lastByte: bytes.length > 0 ? bytes[bytes.length - 1]! : -1 };
}

const container = Uint8Array.from({ length: 1000 }, (_, i) => (i * 31 + (i >> 3)) % 251);
const piece = (offset: number, length: number) => container.subarray(offset, offset + length);

/** Balances a ledger and counts what it leaves the plain way: the container's counts. */
async function settle(
  ledger: CountLedger,
  length = container.length,
): Promise<{ ranges: unknown; counts: ByteCounts }> {
  const balance = await ledger.balance(length);
  const rest = balance.ranges.length
    ? countsOf(Uint8Array.from(balance.ranges.flatMap((range) => [...piece(range.offset, range.length)])))
    : undefined;
  return { ranges: balance.ranges, counts: balance.total(rest) };
}

describe('CountLedger', () => {
  it('leaves the gaps between loans to count and adds up to the counts of every byte', async () => {
    const ledger = new CountLedger();
    // Lent out of order, arriving later.
    ledger.lend(600, 300, Promise.resolve(countsOf(piece(600, 300))));
    ledger.lend(100, 200, new Promise((resolve) => setTimeout(() => resolve(countsOf(piece(100, 200))), 5)));
    const { ranges, counts } = await settle(ledger);
    expect(ranges).toEqual([
      { offset: 0, length: 100 },
      { offset: 300, length: 300 },
      { offset: 900, length: 100 },
    ]);
    expect(counts).toEqual(countsOf(container));
  });

  it('takes the last byte from a loan that ends the container', async () => {
    const ledger = new CountLedger();
    ledger.lend(0, 400, Promise.resolve(countsOf(piece(0, 400))));
    ledger.lend(400, 600, Promise.resolve(countsOf(piece(400, 600))));
    const { ranges, counts } = await settle(ledger);
    expect(ranges).toEqual([]);
    expect(counts).toEqual(countsOf(container));
  });

  it('counts the bytes of a loan that failed or lent nothing', async () => {
    const ledger = new CountLedger();
    ledger.lend(0, 500, Promise.reject(new Error('unreadable')));
    ledger.lend(500, 200, Promise.resolve(undefined));
    ledger.lend(700, 300, Promise.resolve(countsOf(piece(700, 300))));
    const { ranges, counts } = await settle(ledger);
    expect(ranges).toEqual([{ offset: 0, length: 700 }]);
    expect(counts).toEqual(countsOf(container));
  });

  it('leaves the whole container to count when loans overlap or pass its end', async () => {
    for (const [second, length] of [
      [[250, 200], 1000],
      [[900, 200], 1000],
    ] as const) {
      const ledger = new CountLedger();
      ledger.lend(0, 300, Promise.resolve(countsOf(piece(0, 300))));
      ledger.lend(second[0], second[1], Promise.resolve(countsOf(piece(second[0], second[1]))));
      const { ranges, counts } = await settle(ledger, length);
      expect(ranges).toEqual([{ offset: 0, length: 1000 }]);
      expect(counts).toEqual(countsOf(container));
    }
  });
});
