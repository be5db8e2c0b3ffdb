/** The dialects the parsers take. */
export type JsLang = 'js' | 'jsx' | 'ts' | 'tsx' | 'dts';

/**
 * `.js` is parsed as JSX (a superset in practice), `.ts` as TypeScript, `.d.ts` as a declaration
 * file (where `export const x: T;` is valid: as plain TypeScript it is a syntax error, and a
 * coverage gap nobody needs); the other dialect is the retry.
 */
export function langFor(filename: string): JsLang {
  if (/\.tsx$/i.test(filename)) return 'tsx';
  if (/\.d\.[cm]?ts$/i.test(filename)) return 'dts';
  if (/\.[cm]?ts$/i.test(filename)) return 'ts';
  return 'jsx';
}
