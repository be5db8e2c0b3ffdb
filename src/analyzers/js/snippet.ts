/** The longest snippet kept as evidence, in characters after escaping. */
export const SNIPPET_MAX = 120;

// Tokens that must never be copied into a report: npm, GitHub, Slack, AWS keys and bearer values.
const SECRET =
  /\b(npm_[A-Za-z0-9]{20,}|gh[pousr]_[A-Za-z0-9]{20,}|github_pat_[A-Za-z0-9_]{20,}|xox[abprs]-[A-Za-z0-9-]{10,}|AKIA[0-9A-Z]{16})/g;

/**
 * A short, single-line, escaped excerpt of `source[start, end)`: control and non-ASCII characters
 * become `\uXXXX` so a report cannot be spoofed by bidi or invisible characters, runs of blanks
 * collapse, and known token shapes are redacted.
 */
export function makeSnippet(source: string, start: number, end: number, max = SNIPPET_MAX): string {
  const raw = source.slice(start, Math.min(end, start + max * 2));
  let out = '';
  let blank = false;
  for (let i = 0; i < raw.length && out.length < max; i++) {
    const code = raw.charCodeAt(i);
    if (code === 32 || code === 9 || code === 10 || code === 13) {
      if (!blank) out += ' ';
      blank = true;
      continue;
    }
    blank = false;
    if (code < 32 || code > 126) out += `\\u${code.toString(16).padStart(4, '0')}`;
    else out += raw[i];
  }
  out = out.trim();
  if (end - start > raw.length || out.length >= max) out = `${out.slice(0, max)}…`;
  return out.replace(SECRET, (token) => `${token.slice(0, 4)}[redacted]`);
}
