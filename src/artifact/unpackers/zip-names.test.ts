import { crc32 } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { decodeZipName } from './zip-names.js';

const bytes = (...values: number[]) => Uint8Array.from(values);
const ascii = (text: string) => Uint8Array.from(Buffer.from(text, 'latin1'));

describe('decodeZipName', () => {
  it('reads ASCII names as they are, hostile ones included', () => {
    expect(decodeZipName(ascii('app/resources/a.js'), 0, [])).toBe('app/resources/a.js');
    expect(decodeZipName(ascii('../../etc/passwd'), 0, [])).toBe('../../etc/passwd');
    // A view into a larger buffer reads only its own bytes.
    const whole = ascii('xxname.txtyy');
    expect(decodeZipName(whole.subarray(2, 10), 0, [])).toBe('name.txt');
  });

  it('reads names without the UTF-8 flag as code page 437', () => {
    expect(decodeZipName(bytes(0x80, 0x61, 0x81, 0xe1, 0xff), 0, [])).toBe('Ça\u00fc\u00df\u00a0');
  });

  it('reads names with the UTF-8 flag as UTF-8', () => {
    expect(decodeZipName(Uint8Array.from(Buffer.from('résumé.txt')), 0x800, [])).toBe('résumé.txt');
  });

  it('takes the Unicode Path extra field only while its CRC matches the header name', () => {
    const raw = ascii('old.txt');
    const unicode = Buffer.from('nouveau-é.txt');
    const field = (crc: number) => {
      const data = Buffer.alloc(5 + unicode.length);
      data[0] = 1;
      data.writeUInt32LE(crc, 1);
      unicode.copy(data, 5);
      return { id: 0x7075, data: Uint8Array.from(data) };
    };
    expect(decodeZipName(raw, 0, [field(crc32(raw))])).toBe('nouveau-é.txt');
    expect(decodeZipName(raw, 0, [field((crc32(raw) + 1) >>> 0)])).toBe('old.txt');
  });
});
