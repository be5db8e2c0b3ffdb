/**
 * VS_VERSIONINFO (the RT_VERSION resource): the fixed file info and the StringFileInfo tables
 * with CompanyName, ProductName, FileVersion, OriginalFilename and friends. Each block is
 * { wLength, wValueLength, wType, szKey (UTF-16, NUL), padding to 4, Value, padding, Children };
 * every length is checked against its parent so a lying block cannot reach outside it.
 */
export interface PeVersionInfo {
  /** From VS_FIXEDFILEINFO: `major.minor.build.revision`. */
  readonly fileVersion?: string;
  readonly productVersion?: string;
  /** The strings of the first string table; later tables only add keys the first lacks. */
  readonly strings: Readonly<Record<string, string>>;
  /** The string tables' language-codepage keys (`040904b0`). */
  readonly languages: readonly string[];
}

interface Block {
  readonly key: string;
  readonly valueOffset: number;
  readonly valueLength: number;
  readonly type: number;
  /** Where this block ends (clipped to its parent). */
  readonly end: number;
  readonly children: Block[];
}

const MAX_BLOCKS = 2_000;
const MAX_DEPTH = 4;
const MAX_VALUE_CHARS = 4_096;
const FIXED_FILE_INFO_SIGNATURE = 0xfeef04bd;

const align4 = (value: number): number => (value + 3) & ~3;

/** Returns undefined when the data is not a VS_VERSIONINFO block. Never throws. */
export function parseVersionInfo(data: Uint8Array): PeVersionInfo | undefined {
  const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
  const budget = { blocks: MAX_BLOCKS };
  const root = readBlock(data, view, 0, data.length, 0, budget);
  if (root?.key !== 'VS_VERSION_INFO') return undefined;
  let fileVersion: string | undefined;
  let productVersion: string | undefined;
  if (root.valueLength >= 52 && root.valueOffset + 52 <= data.length) {
    const at = root.valueOffset;
    if (view.getUint32(at, true) === FIXED_FILE_INFO_SIGNATURE) {
      fileVersion = fourPart(view.getUint32(at + 8, true), view.getUint32(at + 12, true));
      productVersion = fourPart(view.getUint32(at + 16, true), view.getUint32(at + 20, true));
    }
  }
  const strings: Record<string, string> = {};
  const languages: string[] = [];
  for (const child of root.children) {
    if (child.key !== 'StringFileInfo') continue;
    for (const table of child.children) {
      languages.push(table.key);
      for (const entry of table.children) {
        if (entry.key in strings) continue;
        strings[entry.key] = readValueString(data, entry);
      }
    }
  }
  return {
    ...(fileVersion ? { fileVersion } : {}),
    ...(productVersion ? { productVersion } : {}),
    strings,
    languages,
  };
}

function fourPart(ms: number, ls: number): string {
  return `${ms >>> 16}.${ms & 0xffff}.${ls >>> 16}.${ls & 0xffff}`;
}

function readUtf16z(
  data: Uint8Array,
  start: number,
  end: number,
  maxChars: number,
): { text: string; next: number } {
  let at = start;
  const codes: number[] = [];
  while (at + 1 < end && codes.length < maxChars) {
    const code = data[at]! | (data[at + 1]! << 8);
    at += 2;
    if (code === 0) break;
    codes.push(code);
  }
  return { text: String.fromCharCode(...codes), next: at };
}

function readBlock(
  data: Uint8Array,
  view: DataView,
  start: number,
  limit: number,
  depth: number,
  budget: { blocks: number },
): Block | undefined {
  if (start + 6 > limit || budget.blocks-- <= 0) return undefined;
  const length = view.getUint16(start, true);
  const valueLength = view.getUint16(start + 2, true);
  const type = view.getUint16(start + 4, true);
  if (length < 6) return undefined;
  const end = Math.min(start + length, limit);
  const key = readUtf16z(data, start + 6, end, 256);
  const valueOffset = align4(key.next);
  // Text values (wType 1) count UTF-16 words; binary values count bytes.
  const valueBytes = type === 1 ? valueLength * 2 : valueLength;
  const children: Block[] = [];
  let next = align4(Math.min(valueOffset + valueBytes, end));
  if (depth < MAX_DEPTH) {
    while (next + 6 <= end) {
      const child = readBlock(data, view, next, end, depth + 1, budget);
      if (!child) break;
      children.push(child);
      const childLength = view.getUint16(next, true);
      next = align4(next + childLength);
    }
  }
  return {
    key: key.text,
    valueOffset,
    valueLength: Math.min(valueBytes, Math.max(0, end - valueOffset)),
    type,
    end,
    children,
  };
}

/** Reads to the NUL or the block's end: producers disagree on whether wValueLength counts words or bytes. */
function readValueString(data: Uint8Array, block: Block): string {
  return readUtf16z(data, block.valueOffset, Math.min(block.end, data.length), MAX_VALUE_CHARS).text;
}
