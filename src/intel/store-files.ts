import { mkdir, readdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';
import { CountersignError } from '../core/errors.js';
import { loadThreeCxPack } from './3cx-pack/three-cx-pack.js';
import { type IocFileOptions, importIocFile } from './ioc/load.js';
import { compileIocIndex, type IocIndex } from './ioc/match.js';
import type { Indicator } from './ioc/types.js';
import { importOsv } from './osv/load.js';
import { buildOsvIndex, type OsvIndex } from './osv/match.js';
import type { OsvRecord } from './osv/types.js';
import type { AffectedRelease, IntelPack } from './pack.js';
import {
  compileYaraSources,
  isRuleFileName,
  readYaraSources,
  type YaraRuleSet,
  type YaraSource,
} from './yara/compile.js';

/**
 * Intel on disk for the CLI: one JSON file per named source under the intel folder, already
 * normalised (indicators, OSV records, YARA rule texts), with where it came from and counts.
 * The server moves this into its database; the shapes stay the same.
 */

export const INTEL_SOURCE_KINDS = ['ioc', 'osv', 'yara', 'pack'] as const;
export type IntelSourceKind = (typeof INTEL_SOURCE_KINDS)[number];

export interface IntelStoreOptions {
  /** The intel folder itself (`--intel-dir`). */
  readonly dir?: string;
  /** Default: the process environment (`COUNTERSIGN_HOME`). */
  readonly env?: Readonly<Record<string, string | undefined>>;
}

export interface IntelSourceSummary {
  readonly name: string;
  readonly kind: IntelSourceKind;
  /** The file or folder imported (absolute), or `bundled:<pack id>`. */
  readonly origin: string;
  /** When the imported file was fetched (its modification time), or the pack's build. */
  readonly fetchedAt: string;
  readonly importedAt: string;
  readonly counts: Readonly<Record<string, number>>;
  /** Items of the input that did not become intel (each listed in the stored source). */
  readonly rejected: number;
}

interface StoredSource extends IntelSourceSummary {
  readonly formatVersion: 1;
  readonly indicators?: readonly Indicator[];
  readonly osvRecords?: readonly OsvRecord[];
  readonly yara?: readonly YaraSource[];
  readonly affectedReleases?: readonly AffectedRelease[];
  readonly rejections?: readonly { readonly location: string; readonly reason: string }[];
}

export interface ImportIntelOptions extends IntelStoreOptions {
  readonly name: string;
  /** Default: from the input (rule files, OSV JSON or zip, else an IOC list). */
  readonly kind?: Exclude<IntelSourceKind, 'pack'>;
  readonly strict?: boolean;
  /** For IOC files: format, CSV columns, tags, confidence... */
  readonly ioc?: Omit<IocFileOptions, 'source' | 'strict'>;
}

const NAME = /^[a-z0-9][a-z0-9._-]{0,63}$/i;
const MAX_KEPT_REJECTIONS = 1000;

export function intelDir(options: IntelStoreOptions = {}): string {
  if (options.dir) return resolve(options.dir);
  const env = options.env ?? process.env;
  return join(
    env.COUNTERSIGN_HOME ? resolve(env.COUNTERSIGN_HOME) : join(homedir(), '.countersign'),
    'intel',
  );
}

function checkName(name: string): void {
  if (!NAME.test(name)) {
    throw new CountersignError(
      'E_USAGE',
      `intel source name ${JSON.stringify(name)}: use letters, digits, '.', '_' or '-' (at most 64)`,
    );
  }
}

/** Reads a file, a folder or an OSV dump into a named source and stores it (replacing one of that name). */
export async function importIntelSource(
  path: string,
  options: ImportIntelOptions,
): Promise<IntelSourceSummary> {
  checkName(options.name);
  const origin = resolve(path);
  let info: Awaited<ReturnType<typeof stat>>;
  try {
    info = await stat(origin);
  } catch (error) {
    throw new CountersignError('E_INPUT_NOT_FOUND', `${path}: cannot read: ${(error as Error).message}`, {
      cause: error,
    });
  }
  const kind = options.kind ?? (await detectKind(origin, info.isDirectory()));
  const base = {
    formatVersion: 1 as const,
    name: options.name,
    kind,
    origin,
    fetchedAt: info.mtime.toISOString(),
    importedAt: new Date().toISOString(),
  };
  let stored: StoredSource;
  if (kind === 'yara') {
    const sources = await readYaraSources([origin]);
    const rules = compileYaraSources(sources); // refuse what does not compile now, not at hunt time
    stored = {
      ...base,
      counts: { files: sources.length, rules: rules.ruleCount },
      rejected: 0,
      yara: sources,
    };
  } else if (kind === 'osv') {
    const imported = await importOsv(origin, { ...(options.strict ? { strict: true } : {}) });
    const index = buildOsvIndex(imported.records);
    stored = {
      ...base,
      counts: {
        records: imported.records.length,
        malicious: index.stats.malicious,
        vulnerabilities: index.stats.vulnerabilities,
        withdrawn: index.stats.withdrawn,
      },
      rejected: imported.rejected.length,
      osvRecords: imported.records,
      rejections: imported.rejected.slice(0, MAX_KEPT_REJECTIONS).map((item) => ({
        location: item.path ? `${item.origin} ${item.path}` : item.origin,
        reason: item.message,
      })),
    };
  } else {
    if (info.isDirectory())
      throw new CountersignError('E_USAGE', `${path}: import IOC lists one file at a time`);
    const imported = await importIocFile(origin, {
      ...options.ioc,
      source: options.name,
      ...(options.strict ? { strict: true } : {}),
    });
    const counts: Record<string, number> = { indicators: imported.indicators.length };
    for (const indicator of imported.indicators) counts[indicator.type] = (counts[indicator.type] ?? 0) + 1;
    stored = {
      ...base,
      counts,
      rejected: imported.rejected.length,
      indicators: imported.indicators,
      rejections: imported.rejected
        .slice(0, MAX_KEPT_REJECTIONS)
        .map((item) => ({ location: item.location, reason: item.reason })),
    };
  }
  await writeSource(stored, options);
  return summaryOf(stored);
}

async function detectKind(path: string, isDirectory: boolean): Promise<Exclude<IntelSourceKind, 'pack'>> {
  if (isDirectory) return (await readYaraSources([path])).length > 0 ? 'yara' : 'osv';
  const lower = path.toLowerCase();
  if (isRuleFileName(lower)) return 'yara';
  if (lower.endsWith('.zip')) return 'osv';
  if (lower.endsWith('.json')) {
    // OSV records have `id` and `modified`; STIX bundles and MISP events do not.
    const head = (await readFile(path, 'utf8')).slice(0, 64 * 1024);
    if (/"modified"\s*:/.test(head) && /"affected"\s*:|"id"\s*:\s*"(?:MAL|GHSA|OSV|CVE|PYSEC)-/.test(head))
      return 'osv';
  }
  return 'ioc';
}

/** Installs an intel pack shipped with Countersign (`3cx`) as a source named after it. */
export async function installIntelPack(
  id: string,
  options: IntelStoreOptions = {},
): Promise<IntelSourceSummary> {
  const pack = bundledPack(id);
  const counts: Record<string, number> = {
    indicators: pack.indicators.length,
    affectedReleases: pack.affectedReleases.length,
  };
  for (const indicator of pack.indicators) counts[indicator.type] = (counts[indicator.type] ?? 0) + 1;
  const now = new Date().toISOString();
  const stored: StoredSource = {
    formatVersion: 1,
    name: `pack-${id}`,
    kind: 'pack',
    origin: `bundled:${pack.id}@${pack.version}`,
    fetchedAt: now,
    importedAt: now,
    counts,
    rejected: 0,
    indicators: pack.indicators,
    affectedReleases: pack.affectedReleases,
  };
  await writeSource(stored, options);
  return summaryOf(stored);
}

export const BUNDLED_PACKS = ['3cx'] as const;

function bundledPack(id: string): IntelPack {
  if (id === '3cx') return loadThreeCxPack();
  throw new CountersignError(
    'E_USAGE',
    `no bundled intel pack ${JSON.stringify(id)} (packs: ${BUNDLED_PACKS.join(', ')})`,
  );
}

export async function listIntelSources(options: IntelStoreOptions = {}): Promise<IntelSourceSummary[]> {
  return (await readSources(options)).map(summaryOf);
}

export async function removeIntelSource(name: string, options: IntelStoreOptions = {}): Promise<boolean> {
  checkName(name);
  const file = join(intelDir(options), `${name}.json`);
  const existed = await stat(file).then(
    () => true,
    () => false,
  );
  await rm(file, { force: true });
  return existed;
}

/** Everything in the store, compiled for matching: IOC and OSV indexes and one YARA rule set. */
export interface LoadedIntel {
  readonly sources: readonly IntelSourceSummary[];
  readonly iocs?: IocIndex;
  readonly osv?: OsvIndex;
  readonly yara?: YaraRuleSet;
  readonly affectedReleases: readonly AffectedRelease[];
}

export interface LoadIntelOptions extends IntelStoreOptions {
  /** Only these stored sources (default: all). */
  readonly names?: readonly string[];
  /** Leave the store out: only `adHoc` intel. */
  readonly skipStore?: boolean;
  /** Intel given on the command line for one run (`hunt --ioc list.txt --yara rules/`). */
  readonly adHoc?: { readonly indicators?: readonly Indicator[]; readonly yara?: readonly YaraSource[] };
  readonly at?: Date;
}

export async function loadIntel(options: LoadIntelOptions = {}): Promise<LoadedIntel> {
  const all = options.skipStore ? [] : await readSources(options);
  if (options.names) {
    const missing = options.names.filter((name) => !all.some((source) => source.name === name));
    if (missing.length > 0)
      throw new CountersignError('E_USAGE', `no intel source named ${missing.join(', ')}`);
  }
  const chosen = options.names ? all.filter((source) => options.names!.includes(source.name)) : all;
  const adHoc: StoredSource[] =
    options.adHoc && ((options.adHoc.indicators?.length ?? 0) > 0 || (options.adHoc.yara?.length ?? 0) > 0)
      ? [
          {
            formatVersion: 1,
            name: 'command-line',
            kind: 'ioc',
            origin: 'command line',
            fetchedAt: new Date().toISOString(),
            importedAt: new Date().toISOString(),
            counts: {
              indicators: options.adHoc.indicators?.length ?? 0,
              rules: options.adHoc.yara?.length ?? 0,
            },
            rejected: 0,
            ...(options.adHoc.indicators ? { indicators: options.adHoc.indicators } : {}),
            ...(options.adHoc.yara ? { yara: options.adHoc.yara } : {}),
          },
        ]
      : [];
  return compileIntel([...chosen, ...adHoc], options.at);
}

/** Compiles stored-shape sources (also used for ad hoc `--ioc`/`--yara` inputs of a hunt). */
function compileIntel(sources: readonly StoredSource[], at?: Date): LoadedIntel {
  const indicators = sources.flatMap((source) => source.indicators ?? []);
  const records = sources.flatMap((source) => source.osvRecords ?? []);
  const yara = sources.flatMap((source) =>
    (source.yara ?? []).map((file) => ({ ...file, name: `${source.name}/${file.name}` })),
  );
  return {
    sources: sources.map(summaryOf),
    ...(indicators.length > 0 ? { iocs: compileIocIndex(indicators, at ? { at } : {}) } : {}),
    ...(records.length > 0 ? { osv: buildOsvIndex(records, at ? { at } : {}) } : {}),
    ...(yara.length > 0 ? { yara: compileYaraSources(yara) } : {}),
    affectedReleases: sources.flatMap((source) => source.affectedReleases ?? []),
  };
}

async function readSources(options: IntelStoreOptions): Promise<StoredSource[]> {
  const dir = intelDir(options);
  let names: string[];
  try {
    names = (await readdir(dir)).filter((name) => name.endsWith('.json')).sort();
  } catch {
    return []; // no folder yet: nothing imported
  }
  const out: StoredSource[] = [];
  for (const file of names) {
    const text = await readFile(join(dir, file), 'utf8');
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch (error) {
      throw new CountersignError(
        'E_INTEL_MALFORMED',
        `${join(dir, file)}: stored intel is not JSON: ${(error as Error).message}`,
      );
    }
    const source = parsed as Partial<StoredSource>;
    if (
      source.formatVersion !== 1 ||
      typeof source.name !== 'string' ||
      !INTEL_SOURCE_KINDS.includes(source.kind!)
    ) {
      throw new CountersignError(
        'E_INTEL_MALFORMED',
        `${join(dir, file)}: not an intel source written by this version`,
      );
    }
    out.push(source as StoredSource);
  }
  return out;
}

async function writeSource(source: StoredSource, options: IntelStoreOptions): Promise<void> {
  const dir = intelDir(options);
  await mkdir(dir, { recursive: true });
  // Write then rename: a reader never sees half a source, a failed import leaves the old one.
  const target = join(dir, `${source.name}.json`);
  const temporary = `${target}.${process.pid}.tmp`;
  await writeFile(temporary, JSON.stringify(source));
  await rename(temporary, target);
}

function summaryOf(source: StoredSource): IntelSourceSummary {
  return {
    name: source.name,
    kind: source.kind,
    origin: source.origin,
    fetchedAt: source.fetchedAt,
    importedAt: source.importedAt,
    counts: source.counts,
    rejected: source.rejected,
  };
}
