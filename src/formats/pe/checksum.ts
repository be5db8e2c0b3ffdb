/**
 * The PE image checksum (what ImageHlp's CheckSumMappedFile computes): the one's-complement-style
 * sum of the file's 16-bit little-endian words with the CheckSum field taken as zero, folded to 16
 * bits, plus the file length. Drivers and boot files must carry the right value; a rebuilt or
 * patched file whose declared checksum no longer matches is a fact worth recording.
 */
export function computePeChecksum(bytes: Uint8Array, checksumOffset: number): number {
  let sum = 0;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const evenLength = bytes.length & ~1;
  for (let i = 0; i < evenLength; i += 2) {
    if (i >= checksumOffset && i < checksumOffset + 4) continue;
    sum += view.getUint16(i, true);
    if (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
  }
  if (bytes.length & 1) {
    sum += bytes[bytes.length - 1]!;
    if (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
  }
  sum = (sum & 0xffff) + (sum >>> 16);
  return (sum + bytes.length) >>> 0;
}
