import fc from 'fast-check';
import { parseSync } from 'oxc-parser';
import { describe, expect, it } from 'vitest';
import { decodeJsEscapes, hasSignificantEscape } from './escapes.js';

/** The value oxc gives a string literal whose text between the quotes is `raw` (a sloppy script). */
function parserValue(raw: string): string | undefined {
  const result = parseSync('x.js', `'${raw}'`, { sourceType: 'script' });
  if (result.errors.length > 0) return undefined;
  const statement = result.program.body[0] as { expression?: { type: string; value?: unknown } };
  return statement.expression?.type === 'Literal' ? (statement.expression.value as string) : undefined;
}

describe('when escapes are decoded', () => {
  it('reads them as the parser does', () => {
    expect(decodeJsEscapes(String.raw`child\x5fprocess`)).toBe('child_process');
    expect(decodeJsEscapes(String.raw`ev\u0061l`)).toBe('eval');
    expect(decodeJsEscapes(String.raw`\u{0000065}val`)).toBe('eval');
    expect(decodeJsEscapes(String.raw`chil\d_process`)).toBe('child_process');
    expect(decodeJsEscapes(String.raw`\143hild`)).toBe('child');
    expect(decodeJsEscapes('child_\\\nprocess')).toBe('child_process');
    expect(decodeJsEscapes('child_\\\r\nprocess')).toBe('child_process');
    // Left to right: an escaped backslash leaves what follows it as it is.
    expect(decodeJsEscapes(String.raw`\\x41`)).toBe(String.raw`\x41`);
    expect(decodeJsEscapes('no escapes')).toBe('no escapes');
  });

  it('agrees with oxc on generated string literals', () => {
    const piece = fc.oneof(
      fc.constantFrom('a', 'b', '_', '.', '/', ' ', 'é'),
      fc.constantFrom(...'nrtbfv0\\\'"dqz_.$'.split('')).map((c) => `\\${c}`),
      fc.integer({ min: 0, max: 255 }).map((n) => `\\x${n.toString(16).padStart(2, '0')}`),
      fc.integer({ min: 1, max: 0xd7ff }).map((n) => `\\u${n.toString(16).padStart(4, '0')}`),
      fc.integer({ min: 1, max: 0x10ffff }).map((n) => `\\u{${n.toString(16)}}`),
      fc.integer({ min: 1, max: 0o377 }).map((n) => `\\${n.toString(8)}`),
      fc.constantFrom('\\\n', '\\\r\n', '\\\u2028'),
    );
    fc.assert(
      fc.property(fc.array(piece, { maxLength: 12 }), (pieces) => {
        const raw = pieces.join('');
        const expected = parserValue(raw);
        fc.pre(expected !== undefined);
        expect(decodeJsEscapes(raw)).toBe(expected);
      }),
      { numRuns: 2000 },
    );
  });

  it('tells escapes that can make a word from those that cannot', () => {
    for (const text of [String.raw`a\x41`, String.raw`\u0065`, String.raw`\d`, String.raw`\1`, 'a\\\nb'])
      expect(hasSignificantEscape(text), text).toBe(true);
    for (const text of [String.raw`a\nb\t`, String.raw`\\`, String.raw`it\'s "\"" \/`, 'none'])
      expect(hasSignificantEscape(text), text).toBe(false);
  });
});
