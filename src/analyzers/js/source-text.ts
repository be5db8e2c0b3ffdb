/** UTF-8 with replacement for bad bytes (a hostile file must not stop the scan), BOM dropped. */
export function decodeSource(bytes: Uint8Array): string {
  const text = new TextDecoder('utf-8', { fatal: false }).decode(bytes);
  return text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
}
