import { closeSync, openSync, readSync } from 'node:fs';
import type { RuleMatch } from '@litko/yara-x';
import type { YaraRuleSet } from './compile.js';

/** One matched string of a rule: where it sits in the scanned bytes, and those bytes. */
export interface YaraStringMatch {
  readonly identifier: string;
  readonly offset: number;
  readonly length: number;
  /** The matched bytes as hex (at most 64 bytes): the engine's text form is lossy UTF-8. */
  readonly hex: string;
}

export interface YaraRuleMatch {
  readonly rule: string;
  readonly namespace: string;
  readonly tags: readonly string[];
  readonly meta: Readonly<Record<string, string | number | boolean>>;
  readonly strings: readonly YaraStringMatch[];
  /** More string matches existed than are listed. */
  readonly truncated: boolean;
}

/** What the rules may know about the scanned content besides its bytes (LOKI/THOR externals). */
export interface YaraScanContext {
  /** The file's own name (`x.regtrans-ms`). */
  readonly name: string;
  /** The whole path as reported (node path, file path). */
  readonly path?: string;
  readonly md5?: string;
}

const MAX_STRINGS_PER_RULE = 32;
const MAX_HEX_BYTES = 64;

export function yaraExternalsFor(context: YaraScanContext): Record<string, string> {
  // Entry names inside archives can carry folders: the rules expect the bare file name.
  const name = context.name.slice(
    Math.max(context.name.lastIndexOf('/'), context.name.lastIndexOf('\\')) + 1,
  );
  const dot = name.lastIndexOf('.');
  return {
    filename: name,
    filepath: context.path ?? context.name,
    extension: dot > 0 ? name.slice(dot).toLowerCase() : '',
    filetype: '',
    md5: context.md5 ?? '',
    owner: '',
  };
}

/** Scans one buffer with a compiled rule set; the result is sorted by rule name for stable reports. */
export function scanWithYara(
  rules: YaraRuleSet,
  bytes: Uint8Array,
  context: YaraScanContext,
): YaraRuleMatch[] {
  const buffer = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const raw = rules.engine.scan(buffer, yaraExternalsFor(context));
  return toRuleMatches(raw, (offset, length) => buffer.subarray(offset, offset + length));
}

/**
 * Scans a file on disk by path (the engine maps it: no copy into JavaScript, any size); the
 * matched bytes for the evidence are read back from the file.
 */
export function scanFileWithYara(
  rules: YaraRuleSet,
  path: string,
  context: YaraScanContext,
): YaraRuleMatch[] {
  const raw = rules.engine.scanFile(path, yaraExternalsFor(context));
  if (raw.length === 0) return [];
  const fd = openSync(path, 'r');
  try {
    return toRuleMatches(raw, (offset, length) => {
      const out = Buffer.alloc(length);
      return out.subarray(0, readSync(fd, out, 0, length, offset));
    });
  } finally {
    closeSync(fd);
  }
}

function toRuleMatches(
  raw: readonly RuleMatch[],
  bytesAt: (offset: number, length: number) => Buffer,
): YaraRuleMatch[] {
  return raw
    .map((match) => {
      const strings = [...match.matches]
        .sort((a, b) => a.offset - b.offset || a.identifier.localeCompare(b.identifier))
        .slice(0, MAX_STRINGS_PER_RULE)
        .map((item) => ({
          identifier: item.identifier,
          offset: item.offset,
          length: item.length,
          hex: bytesAt(item.offset, Math.min(item.length, MAX_HEX_BYTES)).toString('hex'),
        }));
      return {
        rule: match.ruleIdentifier,
        namespace: match.namespace,
        tags: [...match.tags],
        meta: plainMeta(match.meta),
        strings,
        truncated: match.matches.length > strings.length,
      };
    })
    .sort((a, b) => a.rule.localeCompare(b.rule));
}

function plainMeta(meta: object): Record<string, string | number | boolean> {
  const out: Record<string, string | number | boolean> = {};
  for (const [key, value] of Object.entries(meta)) {
    if (typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean')
      out[key] = value;
  }
  return out;
}
