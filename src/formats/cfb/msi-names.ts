/**
 * MSI packs table and stream names into the 31-character limit of Compound File names by
 * storing two characters of [0-9A-Za-z._] in one UTF-16 code unit (0x3800 + a + b·64), or one
 * in 0x4800 + a. Table streams start with the code unit 0x4840. This is the reverse of msitools'
 * and Wine's `encode_streamname`.
 */

const MIME_ALPHABET = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz._';
/** The prefix of every table stream (`\u4840` + the table's encoded name). */
export const MSI_TABLE_PREFIX = '\u4840';

export interface MsiStreamName {
  /** The decoded name: `File`, `Binary.CustomAction1`, `ExampleDesk.cab`, `\u0005DigitalSignature`. */
  readonly name: string;
  /** True for the streams that hold a table (`_StringPool`, `File`, `_Columns`...). */
  readonly isTable: boolean;
}

export function decodeMsiStreamName(raw: string): MsiStreamName {
  let isTable = false;
  let name = '';
  let index = 0;
  if (raw.startsWith(MSI_TABLE_PREFIX)) {
    isTable = true;
    index = 1;
  }
  for (; index < raw.length; index++) {
    const unit = raw.charCodeAt(index);
    if (unit >= 0x3800 && unit < 0x4800) {
      const packed = unit - 0x3800;
      name += (MIME_ALPHABET[packed & 0x3f] ?? '') + (MIME_ALPHABET[(packed >> 6) & 0x3f] ?? '');
    } else if (unit >= 0x4800 && unit < 0x4840) {
      name += MIME_ALPHABET[unit - 0x4800] ?? '';
    } else {
      name += raw[index] ?? '';
    }
  }
  return { name, isTable };
}

/**
 * A stream name as shown to people: control characters (the `\u0005` of `\u0005DigitalSignature`
 * and `\u0005SummaryInformation`) become `[5]`, the notation 7-Zip uses for the same streams.
 */
export function displayStreamName(name: string): string {
  let shown = '';
  for (const char of name) {
    const code = char.charCodeAt(0);
    shown += code < 0x20 ? `[${code}]` : char;
  }
  return shown;
}
