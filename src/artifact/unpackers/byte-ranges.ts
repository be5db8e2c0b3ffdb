/** A half-open byte range [start, end). */
export interface Span {
  readonly start: number;
  readonly end: number;
  readonly label: string;
}

/**
 * Remembers the byte ranges entries occupy in their container and tells when a new one overlaps
 * an earlier one. Legitimate zips never overlap; overlapping entries are how non-recursive zip
 * bombs reuse one compressed kernel thousands of times. Sorted by start, so entries listed in
 * file order (the usual case) are appended in O(1) and checked against one neighbour.
 */
export class SpanIndex {
  private readonly spans: Span[] = [];

  /** Adds `span`; returns the earlier span it overlaps, if any (the span is recorded either way). */
  add(span: Span): Span | undefined {
    const index = this.insertionIndex(span.start);
    const before = this.spans[index - 1];
    const after = this.spans[index];
    this.spans.splice(index, 0, span);
    if (span.end <= span.start) return undefined;
    if (before && before.end > span.start) return before;
    if (after && after.start < span.end) return after;
    return undefined;
  }

  private insertionIndex(start: number): number {
    const last = this.spans[this.spans.length - 1];
    if (!last || last.start <= start) return this.spans.length;
    let low = 0;
    let high = this.spans.length;
    while (low < high) {
      const middle = (low + high) >>> 1;
      if ((this.spans[middle]?.start ?? 0) <= start) low = middle + 1;
      else high = middle;
    }
    return low;
  }
}
