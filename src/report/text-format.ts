/**
 * Small formatting helpers for the text report: sizes, durations, plural nouns, safe printing of
 * names taken from archives, and optional ANSI colour.
 */

const UNITS = ['KiB', 'MiB', 'GiB', 'TiB'] as const;

/** `512 B`, `3.0 KiB`, `1.5 GiB`. */
export function formatBytes(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  let value = bytes / 1024;
  let unit = 0;
  while (value >= 1024 && unit < UNITS.length - 1) {
    value /= 1024;
    unit++;
  }
  return `${value.toFixed(1)} ${UNITS[unit]}`;
}

/** `850 ms`, `1.2 s`, `3 min 05 s`. */
export function formatDuration(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)} ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)} s`;
  const seconds = Math.round(ms / 1000);
  return `${Math.floor(seconds / 60)} min ${String(seconds % 60).padStart(2, '0')} s`;
}

/** `1 part`, `3 parts`. */
export function plural(count: number, singular: string, pluralForm = `${singular}s`): string {
  return `${count} ${count === 1 ? singular : pluralForm}`;
}

/**
 * Characters that must never reach a terminal raw from an archive: C0/C1 controls (escape
 * sequences can clear the screen or fake lines), zero-width characters, and bidirectional
 * overrides that make `invoice\u202Efdp.exe` display as `invoiceexe.pdf` (Trojan Source).
 */
const UNSAFE_CHARACTERS =
  /[\u0000-\u001f\u007f-\u009f\u200b-\u200f\u2028\u2029\u202a-\u202e\u2060-\u2069\ufeff]/g;

/** Makes a name from an archive safe and unambiguous to print: unsafe characters become `\u{…}`. */
export function printable(text: string): string {
  return text.replace(
    UNSAFE_CHARACTERS,
    (char) => `\\u{${char.codePointAt(0)!.toString(16).toUpperCase().padStart(4, '0')}}`,
  );
}

export const STYLES = {
  bold: [1, 22],
  dim: [2, 22],
  red: [31, 39],
  yellow: [33, 39],
  green: [32, 39],
  cyan: [36, 39],
  magenta: [35, 39],
} as const;
export type Style = keyof typeof STYLES;

/** Returns a painter that wraps text in ANSI styles, or leaves it alone when colour is off. */
export function painter(color: boolean): (text: string, ...styles: Style[]) => string {
  if (!color) return (text) => text;
  return (text, ...styles) =>
    styles.reduce((out, style) => `\u001b[${STYLES[style][0]}m${out}\u001b[${STYLES[style][1]}m`, text);
}
