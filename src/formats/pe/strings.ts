/**
 * Printable strings (ASCII and UTF-16LE) and the indicators among them: URLs, domains, IPv4
 * addresses, file paths, registry keys and format-string URLs such as `icon%d.ico` (3CX's payload
 * built its download names that way). Counts and lengths are capped; a cap hit is reported.
 */
export type PeStringEncoding = 'ascii' | 'utf16le';

export interface PeString {
  readonly offset: number;
  readonly encoding: PeStringEncoding;
  readonly value: string;
}

export const INDICATOR_KINDS = ['url', 'format-url', 'domain', 'ipv4', 'file-path', 'registry-key'] as const;
export type IndicatorKind = (typeof INDICATOR_KINDS)[number];

export interface PeIndicator {
  readonly kind: IndicatorKind;
  readonly value: string;
  /** File offset of the indicator's first byte. */
  readonly offset: number;
  readonly encoding: PeStringEncoding;
}

export interface PeStrings {
  readonly items: readonly PeString[];
  readonly indicators: readonly PeIndicator[];
  /** True when a cap stopped the scan (more strings or indicators exist than are listed). */
  readonly truncated: boolean;
}

export interface StringScanOptions {
  readonly minLength?: number;
  readonly maxStrings?: number;
  readonly maxIndicators?: number;
  readonly maxStringLength?: number;
  /** Total characters kept across all strings: bounds memory on files full of text. */
  readonly maxTotalChars?: number;
}

export const DEFAULT_MIN_LENGTH = 5;
export const DEFAULT_MAX_STRINGS = 50_000;
export const DEFAULT_MAX_INDICATORS = 2_000;
export const DEFAULT_MAX_STRING_LENGTH = 2_048;
export const DEFAULT_MAX_TOTAL_CHARS = 4 * 1024 * 1024;

const isPrintable = (byte: number): boolean => (byte >= 0x20 && byte < 0x7f) || byte === 0x09;

export function extractStrings(bytes: Uint8Array, options: StringScanOptions = {}): PeStrings {
  const minLength = options.minLength ?? DEFAULT_MIN_LENGTH;
  const maxStrings = options.maxStrings ?? DEFAULT_MAX_STRINGS;
  const maxIndicators = options.maxIndicators ?? DEFAULT_MAX_INDICATORS;
  const maxLength = options.maxStringLength ?? DEFAULT_MAX_STRING_LENGTH;
  let charsLeft = options.maxTotalChars ?? DEFAULT_MAX_TOTAL_CHARS;
  const items: PeString[] = [];
  const indicators: PeIndicator[] = [];
  let truncated = false;
  const seen = new Set<string>();

  let isListFull = false;
  let isIndicatorListFull = false;
  /** Records one string; returns false once nothing more can be recorded (both lists full). */
  const emit = (offset: number, encoding: PeStringEncoding, value: string): boolean => {
    if (!isListFull && (items.length >= maxStrings || charsLeft < value.length)) {
      isListFull = true;
      truncated = true;
    }
    if (!isListFull) {
      items.push({ offset, encoding, value });
      charsLeft -= value.length;
    }
    // Indicators are still looked for after the string list is full: a URL at the end of a large
    // file matters as much as one at the start.
    if (!isIndicatorListFull && MAY_HOLD_INDICATOR.test(value)) {
      for (const found of classifyString(value)) {
        const key = `${found.kind}\u0000${found.value}`;
        if (seen.has(key)) continue;
        if (indicators.length >= maxIndicators) {
          isIndicatorListFull = true;
          truncated = true;
          break;
        }
        seen.add(key);
        const at = offset + found.index * (encoding === 'utf16le' ? 2 : 1);
        indicators.push({ kind: found.kind, value: found.value, offset: at, encoding });
      }
    }
    return !(isListFull && isIndicatorListFull);
  };

  // ASCII runs.
  let start = -1;
  for (let i = 0; i <= bytes.length; i++) {
    const printable = i < bytes.length && isPrintable(bytes[i]!);
    if (printable) {
      if (start < 0) start = i;
      continue;
    }
    if (start >= 0 && i - start >= minLength) {
      const end = Math.min(i, start + maxLength);
      if (!emit(start, 'ascii', Buffer.from(bytes.subarray(start, end)).toString('latin1'))) break;
    }
    start = -1;
  }
  // UTF-16LE runs: printable ASCII code units (low byte printable, high byte zero), at either parity.
  if (!(isListFull && isIndicatorListFull)) {
    for (const parity of [0, 1]) {
      let runStart = -1;
      let i = parity;
      for (; i <= bytes.length; i += 2) {
        const printable = i + 1 < bytes.length && isPrintable(bytes[i]!) && bytes[i + 1] === 0;
        if (printable) {
          if (runStart < 0) runStart = i;
          continue;
        }
        if (runStart >= 0 && (i - runStart) / 2 >= minLength) {
          const end = Math.min(i, runStart + maxLength * 2);
          if (!emit(runStart, 'utf16le', Buffer.from(bytes.subarray(runStart, end)).toString('utf16le')))
            break;
        }
        runStart = -1;
      }
      if (isListFull && isIndicatorListFull) break;
    }
  }
  return { items, indicators, truncated };
}

// Top-level domains common enough in real binaries to be worth a match; a closed list keeps
// `kernel32.dll` and `msvcrt.lib` from reading as host names.
const TLDS =
  'com|net|org|io|info|biz|xyz|top|online|site|club|app|dev|cloud|me|co|cc|tv|ws|su|ru|cn|de|uk|fr|nl|jp|kr|in|br|it|es|pl|ir|kp|ua|us|eu|ca|au|ch|se|no|fi|be|at|cz|tk|ml|ga|cf|gq|pw|onion|invalid|test|example|local|gov|edu|mil|int|live|store|shop|tech|space|website|link|click|download|zip|mov';
/** Every indicator kind needs one of these characters: a cheap test before the regular expressions. */
const MAY_HOLD_INDICATOR = /[.:%\\]/;
const URL_PATTERN = /\b(?:https?|ftps?|wss?):\/\/[^\s"'<>`]{3,}/gi;
const DOMAIN_PATTERN = new RegExp(
  String.raw`(?<![\w.@-])(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+(?:${TLDS})(?![\w-])(?!\.[a-z])`,
  'gi',
);
const IPV4_PATTERN =
  /(?<![\d.])(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(?:\.(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}(?![\d.])/g;
const FORMAT_URL_PATTERN =
  /[\w\-./:]*%(?:\d*)[dsuxi][\w\-./]*\.(?:ico|png|jpe?g|gif|bmp|bin|dat|exe|dll|txt|php|html?|json|zip)\b/gi;
const FILE_PATH_PATTERN =
  /(?:\b[a-z]:\\|\\\\[\w.$-]+\\|%(?:appdata|localappdata|temp|tmp|programdata|userprofile|windir|systemroot|programfiles)%\\)[^\s"*?<>|]*/gi;
const REGISTRY_PATTERN =
  /\b(?:HKEY_(?:LOCAL_MACHINE|CURRENT_USER|CLASSES_ROOT|USERS|CURRENT_CONFIG)|HKLM|HKCU|HKCR)(?:\\[^\s"*?<>|\\]+)+|\b(?:SOFTWARE|SYSTEM)\\(?:[^\s"*?<>|\\]+\\)*[^\s"*?<>|\\]+/gi;

/** The indicators in one string, each once, in a fixed order of kinds. */
export function classifyString(value: string): Array<{ kind: IndicatorKind; value: string; index: number }> {
  const out: Array<{ kind: IndicatorKind; value: string; index: number }> = [];
  const add = (kind: IndicatorKind, pattern: RegExp) => {
    for (const match of value.matchAll(pattern)) out.push({ kind, value: match[0], index: match.index });
  };
  add('url', URL_PATTERN);
  add('format-url', FORMAT_URL_PATTERN);
  add('domain', DOMAIN_PATTERN);
  add('ipv4', IPV4_PATTERN);
  add('file-path', FILE_PATH_PATTERN);
  add('registry-key', REGISTRY_PATTERN);
  return out.filter(
    (item, index) => out.findIndex((o) => o.kind === item.kind && o.value === item.value) === index,
  );
}
