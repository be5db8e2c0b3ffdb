/**
 * What a node is, sniffed from its bytes (magic numbers first; the file name only refines
 * plain text, e.g. `.js` vs `.json`, and never overrides a magic number).
 */
const ARCHIVE_TYPE_NAMES = [
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
] as const;

export const DETECTED_TYPES = [
  // archives and containers
  ...ARCHIVE_TYPE_NAMES,
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

/** Archives and containers: types whose bytes hold other files. */
export const ARCHIVE_TYPES: ReadonlySet<DetectedType> = new Set(ARCHIVE_TYPE_NAMES);

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

/** A text file's type by its name: the type sniffer's refinement of text, and what rules ask of names. */
const TEXT_BY_EXTENSION: ReadonlyArray<readonly [RegExp, DetectedType]> = [
  [/\.(m|c)?js$|\.jsx$/i, 'javascript'],
  [/\.(m|c)?ts$|\.tsx$/i, 'typescript'],
  [/\.json$|\.map$|^\.?(npmrc|babelrc|eslintrc)$/i, 'json'],
  [/\.(xml|xsd|wxs|manifest|plist|svg)$/i, 'xml'],
  [/\.html?$/i, 'html'],
  [/\.(sh|bash|zsh|command)$/i, 'shell'],
];

/** What a text file's name says it is (`.js` → javascript, `.json` → json, ...), if anything. */
export function textTypeByName(name: string): DetectedType | undefined {
  for (const [pattern, type] of TEXT_BY_EXTENSION) if (pattern.test(name)) return type;
  return undefined;
}
