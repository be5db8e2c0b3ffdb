import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { blankRuns, hasBlankRun } from './blank-runs.js';

/** The reference: what the regex finds. */
function regexRuns(text: string, min: number): Array<[number, number]> {
  return [...text.matchAll(new RegExp(`[ \\t]{${min},}`, 'g'))].map((match) => [
    match.index,
    match.index + match[0].length,
  ]);
}

describe('when long blank runs are looked for', () => {
  it('finds runs at the start, in the middle and at the end, and none one blank short', () => {
    const text = `${' '.repeat(5)}a\t \t \tb${' '.repeat(4)}c${' '.repeat(6)}`;
    expect([...blankRuns(text, 5)]).toEqual([
      [0, 5],
      [6, 11],
      [17, 23],
    ]);
    expect(hasBlankRun('a    b', 5)).toBe(false);
    expect(hasBlankRun('a     b', 5)).toBe(true);
    expect(hasBlankRun('', 5)).toBe(false);
    expect([...blankRuns(' '.repeat(400), 150)]).toEqual([[0, 400]]);
  });

  it('finds what /[ \\t]{min,}/g finds, on any text', () => {
    const text = fc.string({ unit: fc.constantFrom(' ', ' ', ' ', '\t', 'a', '\n'), maxLength: 400 });
    fc.assert(
      fc.property(text, fc.integer({ min: 1, max: 40 }), (source, min) => {
        expect([...blankRuns(source, min)]).toEqual(regexRuns(source, min));
        expect(hasBlankRun(source, min)).toBe(regexRuns(source, min).length > 0);
      }),
      { numRuns: 2000 },
    );
  });
});
