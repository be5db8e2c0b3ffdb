/**
 * What a node is, sniffed from its bytes (magic numbers first; the file name only refines
 * plain text, e.g. `.js` vs `.json`, and never overrides a magic number).
 */
export const DETECTED_TYPES = [
  // archives and containers
  'zip',
  'gzip',
  'tar',
  'asar',
  'cfb', // Compound File Binary: MSI, old Office
  'cab',
  'bzip2',
  'xz',
  'zstd',
  '7z',
  'rar',
  // executables
  'pe',
  'elf',
  'macho',
  'macho-fat',
  'wasm',
  // documents and media with a magic number
  'pdf',
  'png',
  'jpeg',
  'gif',
  'ico',
  // text
  'javascript',
  'typescript',
  'json',
  'xml',
  'html',
  'shell',
  'text',
  // everything else
  'binary',
  'empty',
  // not a file: entries recorded without content, and folders given as inputs
  'directory',
  'symlink',
  'hardlink',
] as const;

export type DetectedType = (typeof DETECTED_TYPES)[number];

export const TEXT_TYPES: ReadonlySet<DetectedType> = new Set([
  'javascript',
  'typescript',
  'json',
  'xml',
  'html',
  'shell',
  'text',
]);

export function isTextType(type: DetectedType): boolean {
  return TEXT_TYPES.has(type);
}
