/**
 * Runs of at least `min` blanks (spaces and tabs) in a text, as [start, end) offsets in order,
 * each as long as it goes: what `/[ \t]{min,}/g` matches. Instead of testing every character, it
 * probes every `min`-th one: a run that long always covers a probe, so only probes that land on a
 * blank cost more than one read. Over node_modules this is far cheaper than the regex, which tries
 * a match at every offset of every file.
 */
export function* blankRuns(text: string, min: number): Generator<readonly [number, number]> {
  const length = text.length;
  let probe = min - 1;
  while (probe < length) {
    if (!isBlank(text.charCodeAt(probe))) {
      probe += min;
      continue;
    }
    let start = probe;
    while (start > 0 && isBlank(text.charCodeAt(start - 1))) start--;
    let end = probe + 1;
    while (end < length && isBlank(text.charCodeAt(end))) end++;
    if (end - start >= min) yield [start, end];
    // `end` is not a blank: a later run starts after it, and one of `min` blanks covers end + min.
    probe = end + min;
  }
}

/** Whether the text holds a run of at least `min` blanks. */
export function hasBlankRun(text: string, min: number): boolean {
  return !blankRuns(text, min).next().done;
}

function isBlank(code: number): boolean {
  return code === 32 || code === 9;
}
