import { defaultAnalyzers } from '../analyzers/index.js';
import type { CoverageGap } from '../core/coverage.js';
import type { Finding } from '../core/findings.js';
import type { ScanResult } from '../core/scan-result.js';
import { type AlignOptions, alignTrees } from '../diff/align.js';
import type { TreeDiff } from '../diff/tree-diff.js';
import { intelAnalyzers } from '../intel/scan-needs.js';
import { diffRules } from '../rules/diff/catalogue.js';
import { evaluateDiffRules } from '../rules/diff/evaluate.js';
import type { DiffRule } from '../rules/diff/types.js';
import { type ScanOptions, scan } from './scan.js';
import { diskTlshDistance } from './vet-content.js';
import { decide, resolvePolicy, type Verdict, type VetFinding, type VetPolicy } from './vet-verdict.js';

/**
 * How a release is scanned. The default scans from scratch; a cache keyed by content digest and
 * analyzer version (issue 5, item 5) plugs in here, so that vetting N+1 against N does not
 * re-analyse N's unchanged bytes.
 */
export type Scanner = (inputs: readonly string[], options: ScanOptions) => Promise<ScanResult>;

/** A release to vet: input paths to scan, or a scan already made (a stored baseline). */
export type Release = readonly string[] | ScanResult;

export interface VetOptions extends ScanOptions {
  readonly policy?: Partial<VetPolicy>;
  readonly diffRules?: readonly DiffRule[];
  readonly align?: AlignOptions;
  /** Fuzzy matching of renamed files (TLSH over files on disk); default on. */
  readonly fuzzy?: boolean;
  readonly scanner?: Scanner;
}

export interface VetResult {
  readonly baseline: ScanResult;
  readonly candidate: ScanResult;
  readonly diff: TreeDiff;
  /** Diff findings first, then the candidate's node findings (marked when the baseline had them too). */
  readonly findings: readonly VetFinding[];
  /**
   * What was not looked at: the candidate's gaps, the baseline's (a part of the baseline not seen
   * is a part the diff cannot compare; their node paths name the baseline) and failed diff rules.
   */
  readonly gaps: readonly CoverageGap[];
  readonly verdict: Verdict;
}

function isScanResult(release: Release): release is ScanResult {
  return !Array.isArray(release);
}

async function scanned(release: Release, scanner: Scanner, options: ScanOptions): Promise<ScanResult> {
  return isScanResult(release) ? release : scanner(release as readonly string[], options);
}

/** The alignment key of each path on one side, so a finding can be matched across releases. */
function keysByPath(diff: TreeDiff, side: 'baseline' | 'candidate'): Map<string, string> {
  const keys = new Map<string, string>();
  for (const pair of diff.pairs) {
    const node = pair[side];
    if (node) keys.set(node.path, pair.key);
  }
  return keys;
}

const isIntelFinding = (finding: Finding) => finding.ruleId.startsWith('intel.');

/** A candidate node finding that the baseline had at the same aligned place is inherited. */
function withOrigin(
  diff: TreeDiff,
  baseline: readonly Finding[],
  candidate: readonly Finding[],
): VetFinding[] {
  const baseKeys = keysByPath(diff, 'baseline');
  const candKeys = keysByPath(diff, 'candidate');
  const before = new Set(
    baseline.map((finding) => `${finding.ruleId}\u0000${baseKeys.get(finding.path) ?? finding.path}`),
  );
  return candidate.map((finding) => ({
    ...finding,
    // Intel judges the release as it is known today: a package flagged malicious this morning was
    // in the baseline too, and that makes it no less malicious. Intel findings always count.
    origin:
      !isIntelFinding(finding) &&
      before.has(`${finding.ruleId}\u0000${candKeys.get(finding.path) ?? finding.path}`)
        ? 'inherited'
        : 'candidate',
  }));
}

/**
 * The vet use case: scan the candidate release and its trusted baseline, align the two trees,
 * diff their facts, judge the diff and the candidate's own nodes, and decide pass / review / block.
 */
export async function vet(
  candidate: Release,
  baseline: Release,
  options: VetOptions = {},
): Promise<VetResult> {
  const scanner = options.scanner ?? scan;
  // Both sides get the same analyzers (the diff compares their facts); with intel, npm tarballs
  // are hashed the way OSV records and IOC lists name them.
  const extra = intelAnalyzers(options.intel);
  const scanOptions: ScanOptions =
    extra.length > 0
      ? { ...options, analyzers: [...(options.analyzers ?? defaultAnalyzers()), ...extra] }
      : options;
  const baseScan = await scanned(baseline, scanner, scanOptions);
  const candScan = await scanned(candidate, scanner, scanOptions);
  const diff = await alignTrees(baseScan, candScan, {
    ...(options.fuzzy === false ? {} : { distance: diskTlshDistance(baseScan, candScan) }),
    ...options.align,
  });
  const judged = evaluateDiffRules(options.diffRules ?? diffRules(), diff);
  const findings: VetFinding[] = [
    ...judged.findings.map((finding) => ({ ...finding, origin: 'diff' as const })),
    ...withOrigin(diff, baseScan.findings, candScan.findings),
  ];
  const root = candScan.nodes[0]?.path;
  const gaps: CoverageGap[] = [
    ...candScan.gaps,
    ...baseScan.gaps,
    ...judged.failures.map(
      (failure): CoverageGap => ({
        node: failure.path ?? root ?? ('' as CoverageGap['node']),
        code: 'E_PLUGIN_FAILED',
        stage: 'analyze',
        plugin: `rule/${failure.ruleId}`,
        message: `diff rule failed: ${failure.message}`,
      }),
    ),
  ];
  return {
    baseline: baseScan,
    candidate: candScan,
    diff,
    findings,
    gaps,
    verdict: decide(findings, resolvePolicy(options.policy)),
  };
}
