/**
 * Undoes the usual "defanging" of indicators in reports: `hxxp://`, `evil[.]com`, `evil(.)com`,
 * `1.2.3[.]4`, `http[:]//`, `[://]`, `[dot]`. Applied to every textual indicator before parsing.
 */
const REPLACEMENTS: readonly [RegExp, string][] = [
  [/^h(?:xx|XX|\*\*)p(s?)(?=(?::|\[:\])\/\/|\[:\/\/\])/i, 'http$1'],
  [/^fxp(?=(?::|\[:\])\/\/)/i, 'ftp'],
  [/\[:\/\/\]/g, '://'],
  [/\[:\]/g, ':'],
  [/\[\/\]/g, '/'],
  [/\[(?:\.|dot)\]|\((?:\.|dot)\)|\{(?:\.|dot)\}|\s\[dot\]\s|\s\(dot\)\s/gi, '.'],
  [/\[(?:@|at)\]/gi, '@'],
];

export function refang(text: string): string {
  let out = text.trim();
  for (const [pattern, replacement] of REPLACEMENTS) out = out.replace(pattern, replacement);
  return out;
}
