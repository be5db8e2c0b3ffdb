/**
 * JavaScript's escape sequences, decoded the way the parser decodes them in string literals,
 * template literals and identifiers: `'\x63hild_process'` is `child_process`, `ev\u0061l` is
 * `eval`, `'chil\d'` is `child` (an escaped ordinary character stands for itself) and a backslash
 * before a line break joins the two lines. The lexical readers (the prefilter, the string scan of
 * files that skip the parse) read text through this, so that an escape cannot hide from them what
 * the parser would see.
 */

/** A backslash whose escape can stand for a letter, a digit, a quote or nothing at all. */
const SIGNIFICANT_ESCAPE = /\\[^nrtbfv\\'"`/]/;

const ESCAPE =
  /\\(?:x([0-9a-fA-F]{2})|u\{([0-9a-fA-F]+)\}|u([0-9a-fA-F]{4})|([0-3][0-7]{0,2}|[4-7][0-7]?)|(\r\n|[\n\r\u2028\u2029])|([\s\S]))/g;

const SINGLE: Readonly<Record<string, string>> = { n: '\n', r: '\r', t: '\t', b: '\b', f: '\f', v: '\v' };

/**
 * Whether the text holds an escape that decoding could turn into a word, a quote or a joined
 * line; `\n`, `\t`, `\\` and escaped quotes cannot, and most files hold only those.
 */
export function hasSignificantEscape(text: string): boolean {
  return text.includes('\\') && SIGNIFICANT_ESCAPE.test(text);
}

/**
 * The text with every escape decoded, left to right as the parser reads it (so `\\x41` stays
 * `\x41`). Code that is not in a string or an identifier (a regular expression's `\d`) comes out
 * altered too: callers only look for more in the result, never for less.
 */
export function decodeJsEscapes(text: string): string {
  if (!text.includes('\\')) return text;
  return text.replace(ESCAPE, (_all, hex, braced, unicode, octal, lineBreak, other) => {
    if (hex !== undefined) return String.fromCharCode(Number.parseInt(hex, 16));
    if (braced !== undefined) {
      const codePoint = Number.parseInt(braced, 16);
      return codePoint <= 0x10ffff ? String.fromCodePoint(codePoint) : '';
    }
    if (unicode !== undefined) return String.fromCharCode(Number.parseInt(unicode, 16));
    if (octal !== undefined) return String.fromCharCode(Number.parseInt(octal, 8));
    if (lineBreak !== undefined) return '';
    return SINGLE[other as string] ?? (other as string);
  });
}
