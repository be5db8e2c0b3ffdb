/**
 * oxc-parser recurses natively and crashes the whole process (SIGSEGV, not a catchable error) on
 * inputs nested some thousands of levels deep: brackets, ternary or assignment chains, `if(a)if(a)`,
 * and even flat-looking chains such as `a+a+a+...` (a left-deep tree), `new new new a` or
 * `a=>a=>a`. This linear pre-scan bounds both: the bracket/chain depth, and the number of tokens
 * in one expression (between `;`, `,` and `}`), which bounds the depth of any tree built from it.
 * A file over either bound goes to the fallback scan instead of taking the scanner down.
 *
 * It over-estimates on purpose; real code, minified bundles included, stays far below the bounds.
 */
export const MAX_SAFE_NESTING = 1000;
export const MAX_SAFE_RUN = 10_000;

export interface NestingEstimate {
  /** Deepest bracket + chain + bracket-less statement nesting seen. */
  readonly depth: number;
  /** Most tokens seen between two separators (`;`, `,`, `}`). */
  readonly run: number;
}

export function isSafeToParse(estimate: NestingEstimate): boolean {
  return estimate.depth <= MAX_SAFE_NESTING && estimate.run <= MAX_SAFE_RUN;
}

export function estimateNesting(source: string): NestingEstimate {
  let depth = 0;
  let chain = 0;
  let statements = 0;
  let deepest = 0;
  let run = 0;
  let longestRun = 0;
  let inWord = false;
  const length = source.length;
  for (let i = 0; i < length; i++) {
    const code = source.charCodeAt(i);
    // identifier characters: count a token at the start of each word
    if (
      (code >= 97 && code <= 122) ||
      (code >= 65 && code <= 90) ||
      (code >= 48 && code <= 57) ||
      code === 95 ||
      code === 36
    ) {
      if (!inWord) {
        inWord = true;
        run++;
        if (
          (code === 105 || code === 119 || code === 101 || code === 102 || code === 100) &&
          startsStatement(source, i)
        )
          statements++;
      }
      continue;
    }
    inWord = false;
    switch (code) {
      case 32:
      case 9:
      case 10:
      case 13:
        continue;
      case 34: // "
      case 39: {
        // '
        // Skip the string: its brackets and words are not code.
        let j = i + 1;
        while (j < length) {
          const c = source.charCodeAt(j);
          if (c === code || c === 10) break;
          j += c === 92 ? 2 : 1;
        }
        i = j;
        run++;
        continue;
      }
      case 47: {
        // `//` and `/* */` comments are skipped; a lone `/` is an operator (or a regex: close enough).
        const next = source.charCodeAt(i + 1);
        if (next === 47) {
          const end = source.indexOf('\n', i);
          i = end === -1 ? length : end;
          continue;
        }
        if (next === 42) {
          const end = source.indexOf('*/', i + 2);
          i = end === -1 ? length : end + 1;
          continue;
        }
        run++;
        continue;
      }
      case 40: // (
      case 91: // [
      case 123: // {
        depth++;
        run++;
        break;
      case 125: // }
        statements = 0;
        if (depth > 0) depth--;
        chain = 0;
        if (run > longestRun) longestRun = run;
        run = 0;
        break;
      case 41: // )
      case 93: // ]
        if (depth > 0) depth--;
        chain = 0;
        run++;
        break;
      case 59: // ;
        statements = 0;
        chain = 0;
        if (run > longestRun) longestRun = run;
        run = 0;
        continue;
      case 44: // ,
        chain = 0;
        if (run > longestRun) longestRun = run;
        run = 0;
        continue;
      case 63: // ? (ternaries nest to the right)
        chain++;
        run++;
        break;
      case 61: {
        // = (assignments nest to the right); not ==, ===, =>, <=, >=, !=
        const next = source.charCodeAt(i + 1);
        const previous = source.charCodeAt(i - 1);
        if (
          next !== 61 &&
          next !== 62 &&
          previous !== 61 &&
          previous !== 60 &&
          previous !== 62 &&
          previous !== 33
        )
          chain++;
        run++;
        break;
      }
      default:
        run++;
        continue;
    }
    if (depth + chain + statements > deepest) deepest = depth + chain + statements;
  }
  if (run > longestRun) longestRun = run;
  return { depth: deepest, run: longestRun };
}

/**
 * `if(`, `if (`, `while(`, `while (`, `else `, `for(`, `for (`, `with(`, `do ` at a word start:
 * statements that nest without brackets. Read by character code: this runs at every word that
 * starts with one of those letters, and nine `startsWith` calls there cost a quarter of the scan.
 */
export function startsStatement(source: string, at: number): boolean {
  switch (source.charCodeAt(at)) {
    case 105: // if
      return source.charCodeAt(at + 1) === 102 && opensParenthesis(source, at + 2);
    case 102: // for
      return source.startsWith('or', at + 1) && opensParenthesis(source, at + 3);
    case 119: // while, with(
      return (
        (source.startsWith('hile', at + 1) && opensParenthesis(source, at + 5)) ||
        source.startsWith('ith(', at + 1)
      );
    case 101: // else
      return source.startsWith('lse ', at + 1);
    case 100: // do
      return source.charCodeAt(at + 1) === 111 && source.charCodeAt(at + 2) === 32;
    default:
      return false;
  }
}

/** `(` or ` (` at `at`. */
function opensParenthesis(source: string, at: number): boolean {
  const code = source.charCodeAt(at);
  return code === 40 || (code === 32 && source.charCodeAt(at + 1) === 40);
}
