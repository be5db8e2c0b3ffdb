import { describe, expect, it } from 'vitest';
import { classifyString, extractStrings } from './strings.js';

const ascii = (text: string) => new TextEncoder().encode(text);
const utf16 = (text: string) => new Uint8Array(Buffer.from(text, 'utf16le'));
const concat = (...parts: Uint8Array[]) => new Uint8Array(parts.flatMap((p) => [...p]));

describe('extractStrings', () => {
  describe('when ASCII and UTF-16LE strings sit between binary bytes', () => {
    const bytes = concat(
      new Uint8Array([0, 1, 2]),
      ascii('GetProcAddress'),
      new Uint8Array([0, 0xff]),
      utf16('Hello world'),
      new Uint8Array([0, 0]),
      ascii('abc'),
    );
    const result = extractStrings(bytes);

    it('finds both, with their offsets and encodings', () => {
      expect(result.items).toContainEqual({ offset: 3, encoding: 'ascii', value: 'GetProcAddress' });
      expect(result.items).toContainEqual({ offset: 19, encoding: 'utf16le', value: 'Hello world' });
    });

    it('drops runs shorter than the minimum length', () => {
      expect(result.items.some((s) => s.value === 'abc')).toBe(false);
    });
  });

  describe('when a UTF-16 string sits at an odd offset', () => {
    it('is still found', () => {
      const result = extractStrings(concat(new Uint8Array([7]), utf16('odd offset text')));
      expect(result.items).toContainEqual({ offset: 1, encoding: 'utf16le', value: 'odd offset text' });
    });
  });

  describe('when the file holds more strings than the cap', () => {
    const bytes = concat(...Array.from({ length: 100 }, (_, i) => ascii(`string-number-${i}\0`)));

    it('stops at the cap and says so', () => {
      const result = extractStrings(bytes, { maxStrings: 10 });
      expect(result.items).toHaveLength(10);
      expect(result.truncated).toBe(true);
    });

    it('stops at the character budget too', () => {
      const result = extractStrings(bytes, { maxTotalChars: 100 });
      expect(result.items.reduce((n, s) => n + s.value.length, 0)).toBeLessThanOrEqual(100);
      expect(result.truncated).toBe(true);
    });
  });

  describe('when a string is very long', () => {
    it('keeps only the first maxStringLength characters', () => {
      const result = extractStrings(ascii('x'.repeat(5000)), { maxStringLength: 64 });
      expect(result.items[0]!.value).toHaveLength(64);
    });
  });

  describe('when an indicator sits inside a longer string', () => {
    it('points the indicator offset at the match', () => {
      const text = 'prefix text https://c2.example.invalid/a';
      const result = extractStrings(concat(new Uint8Array([0]), ascii(text)));
      const url = result.indicators.find((i) => i.kind === 'url')!;
      expect(url.offset).toBe(1 + text.indexOf('https'));
    });
  });
});

describe('classifyString', () => {
  const kinds = (value: string) => classifyString(value).map((i) => `${i.kind} ${i.value}`);

  it.each([
    ['https://cdn.example.invalid/x.bin', 'url https://cdn.example.invalid/x.bin'],
    ['icon%d.ico', 'format-url icon%d.ico'],
    [
      'https://raw.example.invalid/images/icon%d.ico',
      'format-url https://raw.example.invalid/images/icon%d.ico',
    ],
    ['connect to update.example.com now', 'domain update.example.com'],
    ['198.51.100.23', 'ipv4 198.51.100.23'],
    ['C:\\Users\\Public\\payload.dat', 'file-path C:\\Users\\Public\\payload.dat'],
    ['%APPDATA%\\Vendor\\cfg.ini', 'file-path %APPDATA%\\Vendor\\cfg.ini'],
    ['HKEY_CURRENT_USER\\Software\\Vendor', 'registry-key HKEY_CURRENT_USER\\Software\\Vendor'],
    [
      'SOFTWARE\\Microsoft\\Windows\\CurrentVersion\\Run',
      'registry-key SOFTWARE\\Microsoft\\Windows\\CurrentVersion\\Run',
    ],
  ])('classifies %s', (value, expected) => {
    expect(kinds(value)).toContain(expected);
  });

  it.each([['kernel32.dll'], ['msvcrt.lib'], ['GetProcAddress'], ['1.2.3.4.5'], ['printf("%d items")']])(
    'finds nothing in the near-miss %s',
    (value) => {
      expect(kinds(value)).toEqual([]);
    },
  );
});
