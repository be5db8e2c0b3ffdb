/**
 * Offsets to 1-based line/column. oxc-parser reports UTF-16 offsets into the string it was given;
 * a table of line starts built once per file turns each offset into a position by binary search.
 */
export interface LineIndex {
  readonly lines: number;
  readonly longestLine: number;
  position(offset: number): { line: number; column: number };
  /** The offset where `line` (1-based) starts, and where it ends (before the line break). */
  lineSpan(line: number): { start: number; end: number };
}

export function buildLineIndex(source: string): LineIndex {
  const starts: number[] = [0];
  let longestLine = 0;
  let previous = 0;
  for (let at = source.indexOf('\n'); at !== -1; at = source.indexOf('\n', at + 1)) {
    if (at - previous > longestLine) longestLine = at - previous;
    previous = at + 1;
    starts.push(previous);
  }
  if (source.length - previous > longestLine) longestLine = source.length - previous;
  const table = Uint32Array.from(starts);
  return {
    lines: table.length,
    longestLine,
    position(offset: number) {
      let low = 0;
      let high = table.length - 1;
      while (low < high) {
        const middle = (low + high + 1) >>> 1;
        if ((table[middle] ?? 0) <= offset) low = middle;
        else high = middle - 1;
      }
      return { line: low + 1, column: offset - (table[low] ?? 0) + 1 };
    },
    lineSpan(line: number) {
      const start = table[line - 1] ?? source.length;
      const next = table[line];
      let end = next === undefined ? source.length : next - 1;
      if (end > start && source.charCodeAt(end - 1) === 13) end--;
      return { start, end };
    },
  };
}
