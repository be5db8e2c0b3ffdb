import type { WalkContext } from './context.js';

/** GuardDog's measure: code pushed off-screen behind this many blanks on one line. */
const HIDDEN_RUN = 150;
const BLANK_RUN = /[ \t]{150,}/g;

function insideAny(spans: ReadonlyArray<readonly [number, number]>, offset: number): boolean {
  // Spans arrive in source order from the walk, but nested templates can interleave: scan is short.
  let low = 0;
  let high = spans.length - 1;
  while (low <= high) {
    const middle = (low + high) >>> 1;
    const [start, end] = spans[middle]!;
    if (offset < start) high = middle - 1;
    else if (offset >= end) low = middle + 1;
    else return true;
  }
  return false;
}

/**
 * Code hidden to the right of a long run of blanks (`var i=0<200 spaces>;payload()`): one regex pass
 * over the source; runs inside comments or long literals (tables in doc comments, banners) do not count.
 */
export function findHiddenCode(ctx: WalkContext, comments: ReadonlyArray<readonly [number, number]>): void {
  const source = ctx.source;
  if (source.length < HIDDEN_RUN) return;
  const literals = [...ctx.longLiteralSpans].sort((a, b) => a[0] - b[0]);
  BLANK_RUN.lastIndex = 0;
  for (let match = BLANK_RUN.exec(source); match !== null; match = BLANK_RUN.exec(source)) {
    const after = match.index + match[0].length;
    let lineEnd = source.indexOf('\n', after);
    if (lineEnd === -1) lineEnd = source.length;
    if (lineEnd - after < 10) continue;
    if (insideAny(comments, match.index) || insideAny(literals, match.index)) continue;
    // Blanks at the start of a line are indentation, however deep.
    const lineStart = source.lastIndexOf('\n', match.index) + 1;
    if (source.slice(lineStart, match.index).trim() === '') continue;
    ctx.emit(
      'obfuscation.hidden-code',
      { start: after, end: lineEnd },
      `${match[0].length} blanks before code`,
    );
  }
}
