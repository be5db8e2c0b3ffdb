import { describe, expect, it } from 'vitest';
import { formatBytes, formatDuration, painter, plural, printable } from './text-format.js';

describe('when sizes and durations are formatted', () => {
  it.each([
    [0, '0 B'],
    [1023, '1023 B'],
    [1024, '1.0 KiB'],
    [1536, '1.5 KiB'],
    [5 * 1024 * 1024, '5.0 MiB'],
    [3 * 1024 ** 4, '3.0 TiB'],
    [2048 * 1024 ** 4, '2048.0 TiB'],
  ])('%d bytes read %s', (bytes, text) => {
    expect(formatBytes(bytes)).toBe(text);
  });

  it.each([
    [0, '0 ms'],
    [999, '999 ms'],
    [1234, '1.2 s'],
    [65_000, '1 min 05 s'],
  ])('%d ms reads %s', (ms, text) => {
    expect(formatDuration(ms)).toBe(text);
  });

  it('chooses singular or plural', () => {
    expect(plural(1, 'part')).toBe('1 part');
    expect(plural(0, 'part')).toBe('0 parts');
    expect(plural(2, 'entry', 'entries')).toBe('2 entries');
  });
});

describe('when text from an archive is made printable', () => {
  it('escapes controls, zero-width and bidi characters, and nothing else', () => {
    expect(printable('a\u0000b\u001bc\u007fd\u0085e')).toBe('a\\u{0000}b\\u{001B}c\\u{007F}d\\u{0085}e');
    expect(printable('x\u200by\u202ez\u2066w\ufeff')).toBe('x\\u{200B}y\\u{202E}z\\u{2066}w\\u{FEFF}');
    expect(printable('naïve/日本語/ü.txt C:\\dir')).toBe('naïve/日本語/ü.txt C:\\dir');
  });
});

describe('when text is painted', () => {
  it('wraps in ANSI codes only when colour is on', () => {
    expect(painter(false)('x', 'red', 'bold')).toBe('x');
    expect(painter(true)('x', 'red')).toBe('\u001b[31mx\u001b[39m');
    expect(painter(true)('x', 'red', 'bold')).toBe('\u001b[1m\u001b[31mx\u001b[39m\u001b[22m');
  });
});
