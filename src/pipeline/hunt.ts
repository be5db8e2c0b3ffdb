import { lstat, readdir } from 'node:fs/promises';
import { join, relative, resolve, sep } from 'node:path';
import type { TreeProgress } from '../artifact/engine.js';
import type { CoverageGap } from '../core/coverage.js';
import { CountersignError } from '../core/errors.js';
import type { NodePath } from '../core/node-path.js';
import type { ScanNode, ScanResult } from '../core/scan-result.js';
import type { IocIndex, IocMatch, MatchKind } from '../intel/ioc/match.js';
import { HASH_TYPES, type IocType } from '../intel/ioc/types.js';
import { digestsForIntel } from '../intel/scan-needs.js';
import type { YaraRuleSet } from '../intel/yara/compile.js';
import type { YaraRuleMatch } from '../intel/yara/scan.js';
import { huntLogs, type LogFormat } from './hunt-logs.js';
import { sweepFiles } from './hunt-sweep.js';
import { intelHitsOf } from './match-intel.js';

/**
 * `countersign hunt`: sweep files, folders and (with `deep`) the archives inside them for hash
 * and file-name indicators and YARA rules, or sweep logs for domain, URL and IP indicators.
 * Every hit names the indicator, its source, and where: node path + offset, or file + line.
 */

export interface HuntHit {
  readonly indicator: {
    readonly type: IocType | 'yara';
    /** Normalised value, or the YARA rule name. */
    readonly value: string;
    /** As the source wrote it (defanged, mixed case), or `namespace:rule`. */
    readonly original: string;
  };
  readonly source: { readonly name: string; readonly location?: string; readonly reference?: string };
  readonly how: MatchKind | 'yara';
  /** What was seen: the digest, path, URL or host. */
  readonly observed: string;
  readonly where: HuntLocation;
}

export interface HuntLocation {
  /** The file on disk (for a node inside an archive: the outermost file). */
  readonly file: string;
  readonly node?: NodePath;
  readonly offset?: number;
  readonly length?: number;
  readonly line?: number;
  readonly format?: LogFormat;
  readonly time?: string;
  readonly host?: string;
  readonly snippet?: string;
}

export interface HuntSummaryRow {
  readonly type: HuntHit['indicator']['type'];
  readonly value: string;
  readonly source: string;
  readonly hits: number;
  readonly files: number;
}

export interface HuntResult {
  readonly mode: 'files' | 'logs';
  readonly hits: readonly HuntHit[];
  readonly summary: readonly HuntSummaryRow[];
  /** Files (or log files) looked at, bytes read, and parts that could not be looked at. */
  readonly stats: {
    readonly files: number;
    readonly bytes: number;
    readonly lines?: number;
    readonly durationMs: number;
  };
  readonly gaps: readonly CoverageGap[];
}

export interface HuntIntel {
  readonly iocs?: IocIndex;
  readonly yara?: YaraRuleSet;
}

export interface HuntFilesOptions {
  /** Look inside archives and installers with the artifact engine. */
  readonly deep?: boolean;
  /** Globs over the path relative to each input folder (`**` crosses folders); default all. */
  readonly include?: readonly string[];
  readonly exclude?: readonly string[];
  readonly onProgress?: (progress: TreeProgress) => void;
  readonly signal?: AbortSignal;
  readonly scratchParent?: string;
}

export async function huntFiles(
  paths: readonly string[],
  intel: HuntIntel,
  options: HuntFilesOptions = {},
): Promise<HuntResult> {
  if (!intel.iocs && !intel.yara)
    throw new CountersignError('E_USAGE', 'nothing to hunt for: no IOCs and no YARA rules loaded');
  const started = Date.now();
  const { hits, stats, gaps } = options.deep
    ? await huntDeep(paths, intel, options)
    : await huntPlainFiles(paths, intel, options);
  // Workers answer in any order: sort for a report that is the same from run to run.
  hits.sort(
    (a, b) =>
      compareText(a.where.file, b.where.file) ||
      compareText(a.where.node ?? '', b.where.node ?? '') ||
      (a.where.offset ?? 0) - (b.where.offset ?? 0) ||
      compareText(a.indicator.value, b.indicator.value),
  );
  return {
    mode: 'files',
    hits,
    summary: summarise(hits),
    stats: { ...stats, durationMs: Date.now() - started },
    gaps,
  };
}

const compareText = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

interface HuntParts {
  readonly hits: HuntHit[];
  readonly stats: { readonly files: number; readonly bytes: number };
  readonly gaps: readonly CoverageGap[];
}

/** Plain files: the sweep (hunt-sweep.ts), one read per file, hashes and YARA in worker threads. */
async function huntPlainFiles(
  paths: readonly string[],
  intel: HuntIntel,
  options: HuntFilesOptions,
): Promise<HuntParts> {
  const hits: HuntHit[] = [];
  const algorithms = HASH_TYPES.filter((type) => intel.iocs?.hashTypes.has(type));
  const keep = keepFilter(options.include ?? [], options.exclude ?? []);
  const result = await sweepFiles(
    paths,
    {
      algorithms,
      ...(intel.yara ? { yaraText: intel.yara.text } : {}),
      // Workers pass on only listed digests: clean files cost the main thread nothing to decode.
      ...(intel.iocs ? { wanted: [...intel.iocs.hashValues] } : {}),
    },
    (file) => {
      if (intel.iocs) {
        for (const algorithm of algorithms) {
          const value = file.digests[algorithm];
          if (value === undefined) continue;
          for (const match of intel.iocs.match({ type: algorithm, value, ref: file.node })) {
            hits.push(iocHit(match, file.path, file.node));
          }
        }
        // Path patterns are written against whole paths (`C:\ProgramData\...`): match the file's.
        for (const match of intel.iocs.match({ type: 'path', value: file.path, ref: file.node })) {
          hits.push(iocHit(match, file.path, file.node));
        }
      }
      for (const match of file.yara) hits.push(yaraHit(match, file.path, file.node));
    },
    {
      ...(keep ? { keep } : {}),
      ...(options.onProgress ? { onProgress: options.onProgress } : {}),
      ...(options.signal ? { signal: options.signal } : {}),
    },
  );
  return { hits, stats: { files: result.files, bytes: result.bytes }, gaps: result.gaps };
}

/** With `--deep`: the artifact engine unpacks archives and installers; their members are hunted too. */
async function huntDeep(
  paths: readonly string[],
  intel: HuntIntel,
  options: HuntFilesOptions,
): Promise<HuntParts> {
  const filtered = (options.include?.length ?? 0) > 0 || (options.exclude?.length ?? 0) > 0;
  const inputs = filtered
    ? await selectFiles(paths, options.include ?? [], options.exclude ?? [])
    : paths.map((p) => resolve(p));
  if (inputs.length === 0) return { hits: [], stats: { files: 0, bytes: 0 }, gaps: [] };
  // Loaded here: the plain sweep needs neither the artifact engine nor the analyzers.
  const [{ scan }, { yaraAnalyzer }] = await Promise.all([
    import('./scan.js'),
    import('../intel/yara/analyzer.js'),
  ]);
  const result = await scan(inputs, {
    analyzers: intel.yara ? [yaraAnalyzer(intel.yara)] : [],
    rules: [],
    digests: digestsForIntel(intel),
    ...(options.onProgress ? { onProgress: options.onProgress } : {}),
    ...(options.signal ? { signal: options.signal } : {}),
    ...(options.scratchParent ? { scratchParent: options.scratchParent } : {}),
  });
  const fileOf = diskFileResolver(result);
  const hits: HuntHit[] = [];
  for (const node of result.nodes) {
    if (node.entryKind !== 'file') continue;
    const file = fileOf(node);
    if (intel.iocs) {
      // The folder the input sits in: path patterns are written against whole paths.
      const level = firstLevel(node.path);
      const prefix = file.endsWith(level) ? file.slice(0, file.length - level.length) : '';
      for (const hit of intelHitsOf(node, { iocs: intel.iocs }, { paths: true, pathPrefix: () => prefix })) {
        if (hit.source === 'ioc') hits.push(iocHit(hit.match, file, node.path));
      }
    }
    for (const fact of node.facts) {
      if (fact.kind === 'yara.match') hits.push(yaraHit(fact, file, node.path));
    }
  }
  return { hits, stats: { files: result.stats.files, bytes: result.stats.bytes }, gaps: result.gaps };
}

function iocHit(match: IocMatch, file: string, node: NodePath): HuntHit {
  const { indicator, observable, kind } = match;
  return {
    indicator: { type: indicator.type, value: indicator.value, original: indicator.original },
    source: indicator.source,
    how: kind,
    observed: observable.value,
    where: { file, node },
  };
}

function yaraHit(match: YaraRuleMatch, file: string, node: NodePath): HuntHit {
  const first = match.strings[0];
  return {
    indicator: { type: 'yara', value: match.rule, original: `${match.namespace}:${match.rule}` },
    source: {
      name: typeof match.meta.author === 'string' ? `yara (${match.meta.author})` : 'yara',
      ...(typeof match.meta.reference === 'string' ? { reference: match.meta.reference } : {}),
    },
    how: 'yara',
    observed: match.strings.map((item) => `${item.identifier}@${item.offset}`).join(', ') || '(condition)',
    where: {
      file,
      node,
      ...(first
        ? { offset: first.offset, length: first.length, snippet: `${first.identifier} ${first.hex}` }
        : {}),
    },
  };
}

/** `a/b/x.txt` of a folder input `/tmp/a` -> `/tmp/a/b/x.txt`; an archive member -> the archive. */
function diskFileResolver(result: ScanResult): (node: ScanNode) => string {
  const subjects = new Map(result.subjects.map((subject) => [subject.name, subject.path]));
  return (node) => {
    const level = firstLevel(node.path);
    const top = level.split('/')[0] ?? level;
    const subject = subjects.get(top);
    if (subject === undefined) return level;
    return level === top ? subject : join(subject, level.slice(top.length + 1));
  };
}

function firstLevel(path: NodePath): string {
  const cut = path.indexOf('!/');
  return cut === -1 ? path : path.slice(0, cut);
}

export async function huntLogFiles(
  files: readonly string[],
  iocs: IocIndex | undefined,
  options: { readonly format?: LogFormat } = {},
): Promise<HuntResult> {
  if (!iocs) throw new CountersignError('E_USAGE', 'nothing to hunt for in logs: no IOCs loaded');
  const started = Date.now();
  const result = await huntLogs(files, iocs, options);
  const hits: HuntHit[] = result.hits.map((hit) => ({
    indicator: {
      type: hit.match.indicator.type,
      value: hit.match.indicator.value,
      original: hit.match.indicator.original,
    },
    source: hit.match.indicator.source,
    how: hit.match.kind,
    observed: hit.match.observable.value,
    where: {
      file: hit.file,
      line: hit.line,
      format: hit.format,
      ...(hit.time ? { time: hit.time } : {}),
      ...(hit.host ? { host: hit.host } : {}),
      snippet: hit.text,
    },
  }));
  return {
    mode: 'logs',
    hits,
    summary: summarise(hits),
    stats: {
      files: result.files.length,
      bytes: 0,
      lines: result.files.reduce((total, file) => total + file.lines, 0),
      durationMs: Date.now() - started,
    },
    gaps: [],
  };
}

function summarise(hits: readonly HuntHit[]): HuntSummaryRow[] {
  const rows = new Map<string, { row: Omit<HuntSummaryRow, 'files'>; files: Set<string> }>();
  for (const hit of hits) {
    const key = `${hit.indicator.type}\u0000${hit.indicator.value}\u0000${hit.source.name}`;
    const entry = rows.get(key) ?? {
      row: { type: hit.indicator.type, value: hit.indicator.value, source: hit.source.name, hits: 0 },
      files: new Set<string>(),
    };
    entry.row = { ...entry.row, hits: entry.row.hits + 1 };
    entry.files.add(hit.where.file);
    rows.set(key, entry);
  }
  return [...rows.values()]
    .map(({ row, files }) => ({ ...row, files: files.size }))
    .sort((a, b) => b.hits - a.hits || a.value.localeCompare(b.value));
}

/** The include/exclude globs as one test over a relative path or a name; undefined: keep all. */
function keepFilter(
  include: readonly string[],
  exclude: readonly string[],
): ((relativePath: string) => boolean) | undefined {
  if (include.length === 0 && exclude.length === 0) return undefined;
  const includes = include.map(globToRegExp);
  const excludes = exclude.map(globToRegExp);
  return (rel) => {
    const path = rel.split(sep).join('/');
    const base = path.slice(path.lastIndexOf('/') + 1);
    const hit = (re: RegExp) => re.test(path) || re.test(base);
    return (includes.length === 0 || includes.some(hit)) && !excludes.some(hit);
  };
}

/**
 * Files under the inputs that pass the globs: links are never followed (in or out of the tree),
 * sockets, FIFOs and devices are skipped.
 */
async function selectFiles(
  paths: readonly string[],
  include: readonly string[],
  exclude: readonly string[],
): Promise<string[]> {
  const keep = keepFilter(include, exclude) ?? (() => true);
  const out: string[] = [];
  const walk = async (root: string, path: string): Promise<void> => {
    const info = await lstat(path);
    if (info.isDirectory()) {
      const entries = (await readdir(path)).sort();
      for (const entry of entries) await walk(root, join(path, entry));
    } else if (info.isFile() && keep(relative(root, path) || path.slice(path.lastIndexOf(sep) + 1))) {
      out.push(path);
    }
  };
  for (const input of paths) {
    const absolute = resolve(input);
    try {
      await lstat(absolute);
    } catch (error) {
      throw new CountersignError('E_INPUT_NOT_FOUND', `${input}: cannot read: ${(error as Error).message}`, {
        cause: error,
      });
    }
    await walk(absolute, absolute);
  }
  return out;
}

/** `*` within a folder, `**` across folders, `?` one character; matched case-sensitively. */
export function globToRegExp(glob: string): RegExp {
  let out = '';
  for (let i = 0; i < glob.length; i += 1) {
    const char = glob[i]!;
    if (char === '*') {
      if (glob[i + 1] === '*') {
        out += glob[i + 2] === '/' ? '(?:.*/)?' : '.*';
        i += glob[i + 2] === '/' ? 2 : 1;
      } else out += '[^/]*';
    } else if (char === '?') out += '[^/]';
    else out += char.replace(/[.+^${}()|[\]\\]/g, '\\$&');
  }
  return new RegExp(`^${out}$`);
}
