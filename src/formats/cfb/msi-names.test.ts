import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decodeMsiStreamName, displayStreamName, MSI_TABLE_PREFIX } from './msi-names.js';

const ALPHABET = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz._';

/** The packing Windows Installer applies (msitools' encode_streamname), written from its description. */
function encode(name: string, isTable: boolean): string {
  let out = isTable ? MSI_TABLE_PREFIX : '';
  for (let i = 0; i < name.length; i++) {
    const a = ALPHABET.indexOf(name[i] ?? '');
    const b = ALPHABET.indexOf(name[i + 1] ?? '');
    if (a >= 0 && b >= 0 && i + 1 < name.length) {
      out += String.fromCharCode(0x3800 + a + (b << 6));
      i++;
    } else if (a >= 0) {
      out += String.fromCharCode(0x4800 + a);
    } else {
      out += name[i];
    }
  }
  return out;
}

describe('when MSI stream names are decoded', () => {
  it('reads the names as stored by a real MSI (from the wixl fixture)', () => {
    expect(decodeMsiStreamName('\u4840\u430f\u422f')).toEqual({ name: 'File', isTable: true });
    expect(decodeMsiStreamName('\u4840\u3f3f\u4577\u446c\u3b6a\u45e4\u4824')).toEqual({
      name: '_StringData',
      isTable: true,
    });
    expect(decodeMsiStreamName('\u0005DigitalSignature')).toEqual({
      name: '\u0005DigitalSignature',
      isTable: false,
    });
  });

  it('inverts the encoding for any name of the packed alphabet and beyond', () => {
    fc.assert(
      fc.property(
        fc.string({ unit: fc.constantFrom(...ALPHABET, '-', ' ', 'é'), maxLength: 40 }),
        fc.boolean(),
        (name, isTable) => {
          expect(decodeMsiStreamName(encode(name, isTable))).toEqual({ name, isTable });
        },
      ),
    );
  });

  it('shows control characters as [n], as 7-Zip does', () => {
    expect(displayStreamName('\u0005SummaryInformation')).toBe('[5]SummaryInformation');
    expect(displayStreamName('Binary.CA')).toBe('Binary.CA');
  });
});
