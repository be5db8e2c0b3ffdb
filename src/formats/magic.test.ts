import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { detectType } from './magic.js';

const fixture = (name: string) =>
  new Uint8Array(readFileSync(new URL(`../../test/fixtures/archives/data/${name}`, import.meta.url)));

/** 512 bytes of `text` padded with spaces, with a tar checksum written at offset 148 when asked. */
function header(text: string, options: { magic?: boolean; checksum?: 'valid' | 'wrong' } = {}): Uint8Array {
  const block = Buffer.alloc(512, ' ');
  block.write(text, 0, 'latin1');
  if (options.magic) block.write('ustar', 257, 'latin1');
  if (options.checksum) {
    let sum = 0;
    for (let i = 0; i < 512; i++) sum += i >= 148 && i < 156 ? 32 : block[i]!;
    const stored = options.checksum === 'valid' ? sum : sum + 1;
    block.write(`${stored.toString(8).padStart(7, '0')} `, 148, 'latin1');
  }
  return new Uint8Array(block);
}

describe('when a file is a tar archive', () => {
  it('is typed tar, whether GNU tar, pax or old v7 without magic', () => {
    for (const name of ['basic.tar', 'pax.tar', 'gnu-longname.tar']) {
      const bytes = fixture(name);
      expect(detectType(bytes, name, bytes.length), name).toBe('tar');
    }
    const v7 = header('notes.txt', { checksum: 'valid' });
    expect(detectType(v7, 'old.tar', 10_240)).toBe('tar');
  });
});

describe('when text carries the word ustar where a tar header has its magic', () => {
  it('is typed by its name: a tar needs a header checksum that adds up', () => {
    // tar-stream's own headers.js has `Buffer.from('ustar\x20')` at offset 257 by chance.
    const script = header("var ZEROS = '0000'\nvar USTAR = Buffer.from('", { magic: true });
    expect(detectType(script, 'headers.js', 8_000)).toBe('javascript');
    const wrongSum = header('var a = 1 //', { magic: true, checksum: 'wrong' });
    expect(detectType(wrongSum, 'headers.js', 8_000)).toBe('javascript');
  });

  it('is a tar when the checksum adds up too (a polyglot): the JS analyzer reads it by name', () => {
    const polyglot = header('var a = 1 //', { magic: true, checksum: 'valid' });
    expect(detectType(polyglot, 'index.js', 8_000)).toBe('tar');
  });
});
