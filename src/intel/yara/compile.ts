import { readdir, readFile, stat } from 'node:fs/promises';
import { basename, join } from 'node:path';
import type * as YaraXPackage from '@litko/yara-x';
import type { YaraX } from '@litko/yara-x';
import { lazyPackage } from '../../core/lazy-package.js';

/** The YARA-X addon, loaded when rules are first compiled. */
const yaraX = lazyPackage<typeof YaraXPackage>('@litko/yara-x');

import { CountersignError } from '../../core/errors.js';

/**
 * External variables that signature-base rules (written for LOKI and THOR) read: without them a
 * rule such as `extension == ".regtrans-ms"` does not compile. Values are set per scanned node.
 */
export const YARA_EXTERNALS = ['filename', 'filepath', 'extension', 'filetype', 'md5', 'owner'] as const;
export type YaraExternal = (typeof YARA_EXTERNALS)[number];

/** One rule file's text and where it came from (a path, or a stored source's name). */
export interface YaraSource {
  readonly name: string;
  readonly text: string;
}

/** Rule sets compiled once; scan as many buffers as needed with them. */
export interface YaraRuleSet {
  readonly engine: YaraX;
  /**
   * The rule text the engine was compiled from: a worker thread cannot share the engine (a native
   * object of the main thread), so it compiles its own from this (see `compileYaraText`).
   */
  readonly text: string;
  readonly sources: readonly { readonly name: string; readonly rules: number }[];
  readonly ruleCount: number;
  readonly warnings: readonly string[];
}

const MAX_RULE_FILE_BYTES = 16 * 1024 * 1024;
const RULE_EXTENSIONS = ['.yar', '.yara'] as const;
const RULE_HEADER = /^\s*(?:(?:private|global)\s+)*rule\s+[A-Za-z_]\w*/gm;

function compileOptions() {
  return { defineVariables: Object.fromEntries(YARA_EXTERNALS.map((name) => [name, ''])) };
}

/**
 * Compiles each source alone first, so an error names its file and line, then all of them into
 * one rule set (one pass over each scanned buffer, whatever the number of files).
 */
export function compileYaraSources(sources: readonly YaraSource[]): YaraRuleSet {
  if (sources.length === 0) throw new CountersignError('E_USAGE', 'no YARA rules to compile');
  const warnings: string[] = [];
  for (const source of sources) {
    try {
      const engine = yaraX().compile(source.text, compileOptions()) as YaraX;
      for (const warning of engine.getWarnings()) {
        warnings.push(`${source.name}: ${warning.message.split('\n')[0] ?? warning.code}`);
      }
    } catch (error) {
      const message = (error as Error).message;
      const line = /-->\s*line:(\d+)/.exec(message)?.[1];
      throw new CountersignError(
        'E_INTEL_MALFORMED',
        `${source.name}${line ? `: line ${line}` : ''}: YARA rule does not compile: ${message.split('\n')[0]}`,
        { cause: error, details: { source: source.name, ...(line ? { line: Number(line) } : {}) } },
      );
    }
  }
  let engine: YaraX;
  const text = sources.map((source) => source.text).join('\n');
  try {
    engine = yaraX().compile(text, compileOptions()) as YaraX;
  } catch (error) {
    // Each file compiled alone: what fails now is a clash between files (a rule name used twice).
    throw new CountersignError(
      'E_INTEL_MALFORMED',
      `YARA rule files do not compile together: ${(error as Error).message.split('\n')[0]}`,
      { cause: error },
    );
  }
  const counted = sources.map((source) => ({
    name: source.name,
    rules: source.text.match(RULE_HEADER)?.length ?? 0,
  }));
  return {
    engine,
    text,
    sources: counted,
    ruleCount: counted.reduce((total, source) => total + source.rules, 0),
    warnings,
  };
}

/**
 * Compiles the text of a rule set that `compileYaraSources` already accepted (in a worker thread):
 * no per-file pass, no counts.
 */
export function compileYaraText(text: string): YaraRuleSet {
  return {
    engine: yaraX().compile(text, compileOptions()) as YaraX,
    text,
    sources: [],
    ruleCount: 0,
    warnings: [],
  };
}

/** `.yar`/`.yara` files from files and folders (folders one level down and deeper, sorted). */
export async function readYaraSources(paths: readonly string[]): Promise<YaraSource[]> {
  const out: YaraSource[] = [];
  for (const path of paths) {
    let info: Awaited<ReturnType<typeof stat>>;
    try {
      info = await stat(path);
    } catch (error) {
      throw new CountersignError('E_INPUT_NOT_FOUND', `${path}: cannot read: ${(error as Error).message}`, {
        cause: error,
      });
    }
    if (info.isDirectory()) {
      const entries = (await readdir(path, { withFileTypes: true })).sort((a, b) =>
        a.name.localeCompare(b.name),
      );
      const nested = entries
        .filter((entry) => entry.isDirectory() || (entry.isFile() && isRuleFileName(entry.name)))
        .map((entry) => join(path, entry.name));
      out.push(...(await readYaraSources(nested)));
    } else if (info.isFile()) {
      if (info.size > MAX_RULE_FILE_BYTES) {
        throw new CountersignError(
          'E_ARTIFACT_FILE_TOO_LARGE',
          `${path}: ${info.size} bytes is over the ${MAX_RULE_FILE_BYTES}-byte limit for a rule file`,
        );
      }
      out.push({ name: basename(path), text: await readFile(path, 'utf8') });
    }
  }
  return out;
}

export function isRuleFileName(name: string): boolean {
  const lower = name.toLowerCase();
  return RULE_EXTENSIONS.some((extension) => lower.endsWith(extension));
}
