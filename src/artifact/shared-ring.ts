/**
 * A fixed block of memory shared with one worker thread, handed out in order and taken back in
 * order: the main thread copies the bytes a worker must hash into a slice, posts only the slice's
 * place, and gets the slice back when the worker answers.
 *
 * Why: posting a fresh buffer per message (transferred or cloned) leaves every one of them to be
 * freed by the receiving thread's garbage collector, which runs late when that thread allocates
 * little else. Scanning a 1 GB release that way held tens of MB of dead buffers per thread, most
 * of the scan's peak memory above the tree itself. A ring bounds it to its size.
 */

/** Where a worker finds bytes the main thread put in the ring. */
export interface RingSlice {
  readonly offset: number;
  readonly length: number;
}

interface Ticket extends RingSlice {
  released: boolean;
}

export class SharedRing {
  readonly buffer: SharedArrayBuffer;
  private readonly bytes: Uint8Array;
  /** Live slices in the order they were handed out. */
  private readonly tickets: Ticket[] = [];
  private head = 0;
  /** Bytes of the slices out. */
  private used = 0;
  private waiters: Array<() => void> = [];

  constructor(readonly size: number) {
    this.buffer = new SharedArrayBuffer(size);
    this.bytes = new Uint8Array(this.buffer);
  }

  /** Whether a content of this length goes through the ring at all (larger ones would stall it). */
  fits(length: number): boolean {
    return length > 0 && length <= this.size / 4;
  }

  /** Copies `parts` into one slice; undefined while there is no room (see `whenFreed`). */
  tryWrite(parts: readonly Uint8Array[], length: number): RingSlice | undefined {
    const offset = this.place(length);
    if (offset === undefined) return undefined;
    let at = offset;
    for (const part of parts) {
      this.bytes.set(part, at);
      at += part.length;
    }
    this.tickets.push({ offset, length, released: false });
    this.head = offset + length;
    this.used += length;
    return { offset, length };
  }

  /** Copies `parts` into one slice, waiting for room first. */
  async write(parts: readonly Uint8Array[], length: number): Promise<RingSlice> {
    for (;;) {
      const slice = this.tryWrite(parts, length);
      if (slice) return slice;
      await new Promise<void>((resolve) => this.waiters.push(resolve));
    }
  }

  /** Gives a slice back (the worker is done with it); space is reused once all older slices are back too. */
  release(slice: RingSlice): void {
    const front = this.tickets[0];
    const ticket =
      front && front.offset === slice.offset && !front.released
        ? front
        : this.tickets.find((candidate) => candidate.offset === slice.offset && !candidate.released);
    if (!ticket) return;
    ticket.released = true;
    let freed = false;
    while (this.tickets[0]?.released) {
      this.used -= this.tickets.shift()!.length;
      freed = true;
    }
    if (this.tickets.length === 0) this.head = 0;
    // Writers wake once half the ring is free, not at every slice: a full ring fed one small
    // slice per answer would cost two thread wake-ups per slice.
    if (!freed || (this.tickets.length > 0 && this.used > this.size / 2)) return;
    const waiters = this.waiters;
    this.waiters = [];
    for (const wake of waiters) wake();
  }

  /** Slices still out. */
  get outstanding(): number {
    return this.tickets.length;
  }

  /**
   * Where `length` bytes fit after the newest slice without reaching the oldest one (`tail`): at
   * the head, or at the ring's start when its end is too close (the rest of the end is skipped and
   * free again once the slices before the wrap are back). Head never catches up with tail exactly
   * while slices are out, so "full" and "empty" cannot be confused.
   */
  private place(length: number): number | undefined {
    if (this.tickets.length === 0) return length <= this.size ? 0 : undefined;
    const tail = this.tickets[0]!.offset;
    if (this.head > tail) {
      if (this.size - this.head >= length) return this.head;
      return length < tail ? 0 : undefined;
    }
    return tail - this.head > length ? this.head : undefined;
  }
}
