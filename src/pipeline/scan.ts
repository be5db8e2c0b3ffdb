import { defaultAnalyzers } from '../analyzers/index.js';
import { buildTree, type TreeProgress } from '../artifact/engine.js';
import { defaultUnpackers } from '../artifact/unpackers/index.js';
import type { CoverageGap } from '../core/coverage.js';
import { type Limits, resolveLimits } from '../core/limits.js';
import type { AnalysisCache, Analyzer, Unpacker } from '../core/plugin.js';
import {
  type DigestAlgorithm,
  SCAN_REPORT_SCHEMA_VERSION,
  type ScanNode,
  type ScanResult,
  type ScanStats,
} from '../core/scan-result.js';
import { TOOL_VERSION } from '../core/version.js';
import type { LockedPackage } from '../formats/lockfiles/types.js';
import { yarnKindsFromManifest } from '../formats/lockfiles/yarn-kinds.js';
import { digestsForIntel, intelAnalyzers } from '../intel/scan-needs.js';
import type { LoadedIntel } from '../intel/store-files.js';
import { yaraAnalyzer } from '../intel/yara/analyzer.js';
import { scanRules } from '../rules/catalogue.js';
import { evaluateRules, type ScanRule } from '../rules/evaluate.js';
import { compareInstalled, type InstalledComparison } from '../rules/npm/installed-packages.js';
import type { ScanCache } from './cache/scan-cache.js';
import { matchIntel } from './match-intel.js';

export interface ScanOptions {
  readonly limits?: Partial<Limits>;
  /**
   * sha256 is always computed; md5 and sha1 on request (IOC lists use all three). By default, the
   * ones the hash indicators of `intel` use: nothing else asks for them, and they cost twice what
   * sha256 does (md5 alone is slower than sha256 with SHA-NI).
   */
  readonly digests?: readonly DigestAlgorithm[];
  readonly unpackers?: readonly Unpacker[];
  readonly analyzers?: readonly Analyzer[];
  readonly rules?: readonly ScanRule[];
  /** Loaded intel: YARA rules run as an analyzer; IOCs and OSV records are matched afterwards. */
  readonly intel?: LoadedIntel;
  readonly scratchParent?: string;
  /** Trees and analyzer results seen before (see `openScanCache`); none by default. */
  readonly cache?: ScanCache;
  /** A per-content analysis cache of its own (a worker's, kept in the store); overrides `cache.analysis`. */
  readonly analysisCache?: AnalysisCache;
  readonly onProgress?: (progress: TreeProgress) => void;
  readonly signal?: AbortSignal;
  /**
   * The `node_modules` folders of folder inputs (the CLI's `--deep`). `skip`: not walked, one
   * `E_SCAN_NOT_DEEP` gap each (an input inside node_modules is still walked in full).
   * `analyse`: walked, and locked npm packages absent from them become `E_LOCKFILE_NOT_INSTALLED`
   * gaps. Absent: walked, without the install check (vet and the server scan what they are given).
   */
  readonly nodeModules?: 'skip' | 'analyse';
}

/** Every digest a node can carry: what stored releases keep, so that intel imported later matches them. */
export const ALL_DIGESTS: readonly DigestAlgorithm[] = ['sha256', 'sha1', 'md5'];

/**
 * The scan use case: build the artifact tree of the inputs, describe it, and judge it with the
 * node- and release-scope rules. Vetting adds intel and the diff against a baseline.
 */
export async function scan(inputs: readonly string[], options: ScanOptions = {}): Promise<ScanResult> {
  const startedAt = new Date();
  const limits = resolveLimits(options.limits);
  const digestAlgorithms = options.digests ?? digestsForIntel(options.intel);
  const unpackers = options.unpackers ?? defaultUnpackers();
  const base = options.analyzers ?? defaultAnalyzers();
  const analyzers = [
    ...base,
    ...(options.intel?.yara ? [yaraAnalyzer(options.intel.yara)] : []),
    // npm tarball digests when the intel names tarballs that way (vet may have added it already).
    ...intelAnalyzers(options.intel).filter((extra) => !base.some((analyzer) => analyzer.id === extra.id)),
  ];
  const cache = options.cache;
  const treeKey = await cache?.trees.keyOf(inputs, { limits, unpackers, analyzers });
  let tree = treeKey ? await cache?.trees.get(treeKey, inputs, digestAlgorithms) : undefined;
  if (!tree) {
    tree = await buildTree(inputs, {
      limits,
      unpackers,
      analyzers,
      digestAlgorithms,
      ...((options.analysisCache ?? cache?.analysis)
        ? { analysisCache: options.analysisCache ?? cache?.analysis }
        : {}),
      ...(options.scratchParent ? { scratchParent: options.scratchParent } : {}),
      ...(options.onProgress ? { onProgress: options.onProgress } : {}),
      ...(options.signal ? { signal: options.signal } : {}),
      ...(options.nodeModules === 'skip' ? { skipNodeModules: true } : {}),
    });
    if (treeKey && !options.signal?.aborted) await cache?.trees.put(treeKey, tree, digestAlgorithms);
  }
  const { findings, failures } = evaluateRules(options.rules ?? scanRules(), tree.nodes);
  const gaps = [
    ...tree.gaps,
    ...failures.map((failure) => ({
      node: failure.path ?? tree.nodes[0]?.path ?? ('' as ScanResult['nodes'][number]['path']),
      code: 'E_PLUGIN_FAILED' as const,
      stage: 'analyze' as const,
      plugin: `rule/${failure.ruleId}`,
      message: `rule failed: ${failure.message}`,
    })),
    ...(options.nodeModules === 'analyse' ? notInstalledGaps(tree.nodes) : []),
  ];
  const finishedAt = new Date();
  const files = tree.nodes.filter((node) => node.entryKind === 'file');
  const stats: ScanStats = {
    nodes: tree.nodes.length,
    files: files.length,
    containers: tree.nodes.filter((node) => node.unpackedBy !== undefined).length,
    // Bytes actually read: an entry refused by a limit keeps its declared size but adds nothing here.
    bytes: files.reduce((total, node) => total + (node.digests ? node.size : 0), 0),
    gaps: gaps.length,
    durationMs: finishedAt.getTime() - startedAt.getTime(),
  };
  const result: ScanResult = {
    schemaVersion: SCAN_REPORT_SCHEMA_VERSION,
    tool: { name: 'countersign', version: TOOL_VERSION },
    startedAt: startedAt.toISOString(),
    finishedAt: finishedAt.toISOString(),
    limits,
    digestAlgorithms: [...new Set<DigestAlgorithm>(['sha256', ...digestAlgorithms])],
    subjects: tree.subjects,
    nodes: tree.nodes,
    gaps,
    findings,
    stats,
  };
  if (!options.intel) return result;
  // Intel findings come after the scan rules, judged over the finished tree (digests included).
  return { ...result, findings: [...result.findings, ...matchIntel(result, options.intel)] };
}

/** Lockfile kinds that an install may leave out by design: `--omit=dev`, optional packages for other platforms. */
const OMITTABLE_KINDS: ReadonlySet<LockedPackage['kind']> = new Set([
  'dev',
  'optional',
  'dev-optional',
  'config',
]);
/** How many missing packages a gap names; the count is always complete. */
const MAX_MISSING_LISTED = 20;

/** npm names a package by its install path; pnpm and yarn keys already hold the version. */
function missingName(entry: LockedPackage): string {
  return entry.path.startsWith('node_modules/')
    ? `${entry.path}@${entry.version}`
    : `${entry.name}@${entry.version}`;
}

/**
 * A deep scan analyses what node_modules holds, so locked packages that are not there were not
 * analysed: said per lockfile, production packages apart from those an install may omit.
 */
function notInstalledGaps(nodes: ScanResult['nodes']): CoverageGap[] {
  const gaps: CoverageGap[] = [];
  const byPath = new Map(nodes.map((node) => [node.path as string, node]));
  for (const project of compareInstalled(nodes)) {
    const kindOf = kindsOf(project.locks, byPath.get(`${project.root}package.json`));
    const omittable = project.missing.filter((entry) => OMITTABLE_KINDS.has(kindOf(entry)));
    const required = project.missing.filter((entry) => !OMITTABLE_KINDS.has(kindOf(entry)));
    for (const [missing, isOmittable] of [
      [required, false],
      [omittable, true],
    ] as const) {
      if (missing.length === 0) continue;
      const named = missing.slice(0, MAX_MISSING_LISTED).map(missingName);
      gaps.push({
        node: project.lockfile.path,
        code: 'E_LOCKFILE_NOT_INSTALLED',
        stage: 'read',
        message: `${missing.length} of ${project.locked} locked packages ${
          isOmittable
            ? '(development or optional: production installs and installs on other platforms leave them out) '
            : ''
        }are not installed: not analysed (${named.slice(0, 3).join(', ')}${missing.length > 3 ? ', ...' : ''})`,
        details: { missing: missing.length, locked: project.locked, isOmittable, packages: named },
      });
    }
  }
  return gaps;
}

/**
 * The kind of each locked package: as the lockfile states it, or, for yarn (which records none),
 * derived from the project's package.json through the lockfile's graph. Without a readable
 * package.json a yarn package stays `unknown`, which counts as required.
 */
function kindsOf(
  locks: InstalledComparison['locks'],
  manifestNode: ScanNode | undefined,
): (entry: LockedPackage) => LockedPackage['kind'] {
  const manifest = manifestNode?.facts.find((each) => each.kind === 'npm.manifest');
  if (!locks.format.startsWith('yarn') || manifest?.kind !== 'npm.manifest') return (entry) => entry.kind;
  const kinds = yarnKindsFromManifest(locks.packages, manifest.dependencies ?? []);
  return (entry) => (entry.kind === 'unknown' ? (kinds.get(entry.path) ?? entry.kind) : entry.kind);
}

/**
 * Gaps the user chose, which `--strict` does not count: node_modules folders left out of a scan
 * without `--deep`, and development or optional packages an install left out. The report still
 * lists them (never less than it saw without saying so), but nothing failed to be read.
 */
export function isChosenOmission(gap: CoverageGap): boolean {
  if (gap.code === 'E_SCAN_NOT_DEEP') return true;
  return gap.code === 'E_LOCKFILE_NOT_INSTALLED' && gap.details?.isOmittable === true;
}
