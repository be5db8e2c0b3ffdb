import type { ByteRange } from '../core/plugin.js';
import type { ByteCounts } from './digest-pool.js';

interface Loan {
  readonly offset: number;
  readonly length: number;
  lastByte: number;
  received: boolean;
}

/** What is left to count once the loans are in, and how to finish the container's counts. */
export interface LedgerBalance {
  /** Ranges of the container (offsets within it, in order) that no loan covers. */
  readonly ranges: ByteRange[];
  /** The container's counts, given the counts of `ranges` (undefined when there are none). */
  total(rest: ByteCounts | undefined): ByteCounts;
}

/**
 * The byte counts a container borrows from its stored entries, which are ranges of it and are
 * counted anyway: summed as they arrive, so that a container of 100,000 stored entries keeps one
 * sum and a few numbers per entry rather than 100,000 histograms.
 */
export class CountLedger {
  private readonly sum = new Float64Array(256);
  private readonly loans: Loan[] = [];
  private readonly arrivals: Array<Promise<void>> = [];

  /** The entry at `offset` in the container lends `length` bytes' counts, once known (undefined: none). */
  lend(offset: number, length: number, counts: Promise<ByteCounts | undefined>): void {
    if (length <= 0) return;
    const loan: Loan = { offset, length, lastByte: -1, received: false };
    this.loans.push(loan);
    this.arrivals.push(
      counts.then(
        (lent) => {
          if (!lent) return;
          for (let b = 0; b < 256; b++) this.sum[b]! += lent.histogram[b]!;
          loan.lastByte = lent.lastByte;
          loan.received = true;
        },
        () => undefined,
      ),
    );
  }

  /**
   * Waits for every loan, then balances them against a container of `length` bytes. Loans that
   * overlap or pass its end would count bytes twice or count bytes it does not have (the zip
   * unpacker refuses overlapping entries, so this is a guard): the whole container is then left
   * to count.
   */
  async balance(length: number): Promise<LedgerBalance> {
    await Promise.all(this.arrivals);
    const received = this.loans.filter((loan) => loan.received).sort((a, b) => a.offset - b.offset);
    const ranges: ByteRange[] = [];
    let at = 0;
    for (const loan of received) {
      if (loan.offset < at || loan.offset + loan.length > length) {
        return { ranges: length > 0 ? [{ offset: 0, length }] : [], total: (rest) => rest ?? emptyCounts() };
      }
      if (loan.offset > at) ranges.push({ offset: at, length: loan.offset - at });
      at = loan.offset + loan.length;
    }
    if (at < length) ranges.push({ offset: at, length: length - at });
    const last = received.at(-1);
    const lastIsLent = last !== undefined && last.offset + last.length === length;
    return {
      ranges,
      total: (rest) => {
        const histogram = Array.from(this.sum);
        if (rest) for (let b = 0; b < 256; b++) histogram[b]! += rest.histogram[b]!;
        return { histogram, lastByte: lastIsLent ? last.lastByte : (rest?.lastByte ?? -1) };
      },
    };
  }
}

function emptyCounts(): ByteCounts {
  return { histogram: new Array<number>(256).fill(0), lastByte: -1 };
}
