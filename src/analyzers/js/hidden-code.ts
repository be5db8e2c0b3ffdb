import { blankRuns } from './blank-runs.js';
import type { WalkContext } from './context.js';

/** GuardDog's measure: code pushed off-screen behind this many blanks on one line. */
export const HIDDEN_RUN = 150;

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
 * Code hidden to the right of a long run of blanks (`var i=0<200 spaces>;payload()`): one probing
 * pass over the source (blank-runs.ts); runs inside comments or long literals (tables in doc
 * comments, banners) do not count.
 */
export function findHiddenCode(
  ctx: WalkContext,
  comments: ReadonlyArray<{ readonly start: number; readonly end: number }>,
): void {
  const source = ctx.source;
  if (source.length < HIDDEN_RUN) return;
  // Both lists are only needed once a long run turns up, which most files never have.
  let commentSpans: Array<readonly [number, number]> | undefined;
  let literals: Array<readonly [number, number]> | undefined;
  for (const [start, after] of blankRuns(source, HIDDEN_RUN)) {
    let lineEnd = source.indexOf('\n', after);
    if (lineEnd === -1) lineEnd = source.length;
    if (lineEnd - after < 10) continue;
    commentSpans ??= comments.map((comment) => [comment.start, comment.end] as const);
    literals ??= [...ctx.longLiteralSpans].sort((a, b) => a[0] - b[0]);
    if (insideAny(commentSpans, start) || insideAny(literals, start)) continue;
    // Blanks at the start of a line are indentation, however deep.
    const lineStart = source.lastIndexOf('\n', start) + 1;
    if (source.slice(lineStart, start).trim() === '') continue;
    ctx.emit(
      'obfuscation.hidden-code',
      { start: after, end: lineEnd },
      `${after - start} blanks before code`,
    );
  }
}
