import { describe, expect, it } from 'vitest';
import { SpanIndex } from './byte-ranges.js';

describe('when spans are added in file order without overlap', () => {
  it('reports none', () => {
    const index = new SpanIndex();
    for (let i = 0; i < 1000; i++)
      expect(index.add({ start: i * 10, end: i * 10 + 10, label: `s${i}` })).toBeUndefined();
  });
});

describe('when a span overlaps an earlier one', () => {
  it('names the earlier span, whichever side it is on', () => {
    const index = new SpanIndex();
    index.add({ start: 100, end: 200, label: 'a' });
    index.add({ start: 300, end: 400, label: 'b' });
    expect(index.add({ start: 150, end: 160, label: 'inside-a' })?.label).toBe('a');
    expect(index.add({ start: 250, end: 310, label: 'into-b' })?.label).toBe('b');
    expect(index.add({ start: 200, end: 250, label: 'touching' })).toBeUndefined();
  });

  it('ignores empty spans', () => {
    const index = new SpanIndex();
    index.add({ start: 0, end: 100, label: 'a' });
    expect(index.add({ start: 50, end: 50, label: 'empty' })).toBeUndefined();
  });
});
