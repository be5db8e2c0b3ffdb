import { crc32 } from 'node:zlib';

/** The high half of code page 437, the encoding of zip names without the UTF-8 flag (APPNOTE appendix D). */
const CP437_HIGH =
  'ÇüéâäàåçêëèïîìÄÅÉæÆôöòûùÿÖÜ¢£¥₧ƒáíóúñÑªº¿⌐¬½¼¡«»░▒▓│┤╡╢╖╕╣║╗╝╜╛┐└┴┬├─┼╞╟╚╔╩╦╠═╬╧╨╤╥╙╘╒╓╫╪┘┌█▄▌▐▀αßΓπΣσµτΦΘΩδ∞φε∩≡±≥≤⌠⌡÷≈°∙·√ⁿ²■\u00a0';

const UTF8_FLAG = 0x800;
const UNICODE_PATH_EXTRA = 0x7075;

function decodeCp437(bytes: Uint8Array): string {
  // Most names are ASCII, where code page 437 is Latin-1: one string made natively, instead of
  // one per character (a 40,000-member zip allocated ~30 MB of them).
  if (bytes.every((byte) => byte < 0x80))
    return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length).toString('latin1');
  let text = '';
  for (const byte of bytes) text += byte < 0x80 ? String.fromCharCode(byte) : CP437_HIGH[byte - 0x80];
  return text;
}

export interface ExtraField {
  readonly id: number;
  readonly data: Uint8Array;
}

/**
 * Decodes a zip entry name exactly as stored: no separator rewriting, no validation. Hostile
 * names (`../`, `/etc/x`, `C:\x`) must reach the engine intact so it can flag them; yauzl's own
 * decoding refuses them and would abort the whole archive.
 */
export function decodeZipName(raw: Uint8Array, flags: number, extraFields: readonly ExtraField[]): string {
  // Info-ZIP Unicode Path extra field: valid only while its CRC matches the header name.
  for (const field of extraFields) {
    if (field.id !== UNICODE_PATH_EXTRA || field.data.length < 6 || field.data[0] !== 1) continue;
    const view = new DataView(field.data.buffer, field.data.byteOffset, field.data.length);
    if (view.getUint32(1, true) !== crc32(raw)) continue;
    return new TextDecoder('utf-8').decode(field.data.subarray(5));
  }
  if (flags & UTF8_FLAG) return new TextDecoder('utf-8').decode(raw);
  return decodeCp437(raw);
}
