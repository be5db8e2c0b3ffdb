import { createHash, randomUUID } from 'node:crypto';
import { mkdir, mkdtemp, rm, symlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { defaultAnalyzers } from '../analyzers/index.js';
import { defaultUnpackers } from '../artifact/unpackers/index.js';
import type { CoverageGap } from '../core/coverage.js';
import { CountersignError } from '../core/errors.js';
import type { Evidence, Finding } from '../core/findings.js';
import { resolveLimits } from '../core/limits.js';
import { NESTING_SEPARATOR, type NodePath } from '../core/node-path.js';
import { SCAN_REPORT_SCHEMA_VERSION, type ScanNode, type ScanResult } from '../core/scan-result.js';
import { TOOL_VERSION } from '../core/version.js';
import { scanRules } from '../rules/catalogue.js';
import { evaluateRules, fingerprintOf, type ScanRule } from '../rules/evaluate.js';
import type {
  Actor,
  AnalysisRecord,
  BlobStore,
  Release,
  ReleaseArtifact,
  SeenNode,
  Store,
  StoredFinding,
  VetRecord,
} from '../store/types.js';
import { ALL_DIGESTS, type ScanOptions, scan } from './scan.js';
import { type VetResult, vet } from './vet.js';
import { storedIntelFindings } from './vet-release-intel.js';
import type { VetPolicy } from './vet-verdict.js';

/** Where a vet is; a hook sees each stage as it is reached (progress, logs, and the kill -9 test). */
export const VET_RELEASE_STAGES = ['started', 'scanned', 'judged', 'stored', 'finished'] as const;
export type VetReleaseStage = (typeof VET_RELEASE_STAGES)[number];

export interface VetReleaseInput {
  readonly store: Store;
  readonly blobs: BlobStore;
  readonly releaseId: string;
  /** Overrides the release's own baseline and the product's trusted release. */
  readonly baselineReleaseId?: string;
  /** The idempotency key (the job's): a vet stored under it is found again instead of redone. */
  readonly key: string;
  readonly actor?: Actor;
  readonly policy?: Partial<VetPolicy>;
  /** Scan settings: limits, scratch folder, intel. Digests are always sha256 + sha1 + md5. */
  readonly scan?: Omit<ScanOptions, 'digests' | 'signal' | 'onProgress'>;
  readonly signal?: AbortSignal;
  readonly onStage?: (stage: VetReleaseStage) => void | Promise<void>;
  /**
   * Match the indicators stored in the store (imported through the API or import jobs) against
   * the candidate release (default true); `scan.intel` adds intel loaded from files on top.
   */
  readonly storedIntel?: boolean;
}

export interface VetReleaseOutcome {
  readonly vet: VetRecord;
  /** True when the vet under this key was already stored (a retried job) and nothing was redone. */
  readonly isReplay: boolean;
  /** The release it was judged against; absent when there was none (a scan-only verdict). */
  readonly baselineReleaseId?: string;
  /** Artifacts whose stored analysis was reused rather than scanned again (both releases). */
  readonly analysesReused: number;
  readonly analysesMade: number;
}

const WORKER: Actor = { kind: 'system', id: 'worker' };

// ---- the cache key of an analysis ---------------------------------------------------------------

/**
 * What an artifact's stored analysis depends on besides its bytes: the tool version, every
 * unpacker, analyzer (with its cache key) and scan rule with its version, the limits and the
 * digests. Any change gives a new key, so an analysis is reused only when a fresh scan would say
 * the same. Unlike the local scan cache it leaves out the code's file times: workers on other
 * machines share the store, and the same release of Countersign must find the same analyses there.
 */
export function analyzerVersionOf(options: VetReleaseInput['scan'] = {}): string {
  const parts = [
    ...(options.unpackers ?? defaultUnpackers()).map((plugin) => `${plugin.id}@${plugin.version}`),
    // An analyzer's cacheKey() names what else its output depends on (trust anchors, the day);
    // one without it must never be served from a cache: a fresh nonce keeps its scans apart.
    ...(options.analyzers ?? defaultAnalyzers()).map(
      (plugin) =>
        `${plugin.id}@${plugin.version}:${plugin.cacheKey ? plugin.cacheKey() : `uncached-${randomUUID()}`}`,
    ),
    ...(options.rules ?? scanRules()).map((rule) => `${rule.id}@${rule.version}`),
    `limits:${JSON.stringify(resolveLimits(options.limits))}`,
    `digests:${ALL_DIGESTS.join(',')}`,
    // Intel changes what a scan finds; scans with intel carry its identity in the key.
    `intel:${options.intel ? 'loaded' : 'none'}`,
  ].sort();
  const digest = createHash('sha256').update(parts.join('\n')).digest('hex').slice(0, 16);
  return `countersign@${TOOL_VERSION}+${digest}`;
}

// ---- one release's scan from per-artifact analyses ---------------------------------------------

/** True when `path` is `root` or lies under it (inside the artifact or, for a folder, below it). */
function isUnder(path: string, root: string): boolean {
  return path === root || path.startsWith(`${root}${NESTING_SEPARATOR}`) || path.startsWith(`${root}/`);
}

function rebase(path: string, from: string, to: string): NodePath {
  return (isUnder(path, from) ? `${to}${path.slice(from.length)}` : path) as NodePath;
}

/**
 * The same analysis under another root name: an artifact uploaded as `a.zip` and attached to a
 * later release as `b.zip` keeps its nodes, with paths (and fingerprints, which name paths) rebased.
 */
export function renameRoot(result: ScanResult, from: string, to: string): ScanResult {
  if (from === to) return result;
  const moveEvidence = (evidence: Evidence): Evidence => ({
    ...evidence,
    node: rebase(evidence.node, from, to),
  });
  return {
    ...result,
    subjects: result.subjects.map((subject) => (subject.name === from ? { ...subject, name: to } : subject)),
    nodes: result.nodes.map((node) => ({
      ...node,
      path: rebase(node.path, from, to),
      ...(node.parent !== undefined ? { parent: rebase(node.parent, from, to) } : {}),
      ...(node.depth === 0 && node.name === from ? { name: to } : {}),
    })),
    gaps: result.gaps.map((gap) => ({ ...gap, node: rebase(gap.node, from, to) })),
    findings: result.findings.map((finding) => {
      const path = rebase(finding.path, from, to);
      const evidence = finding.evidence.map(moveEvidence);
      return { ...finding, path, evidence, fingerprint: fingerprintOf(finding.ruleId, path, evidence) };
    }),
  };
}

const extensionOf = (name: string): string => {
  const dot = name.lastIndexOf('.');
  return dot <= 0 ? '' : name.slice(dot).toLowerCase();
};

/**
 * Whether an analysis made under one root name holds under another. Analyzers see the root's own
 * name (type hints and parsers by extension; lockfiles and manifests by file name), but nodes
 * inside a container only their names inside it: a renamed container with the same extension
 * reads the same, a renamed single file may not.
 */
export function canReuseUnder(result: ScanResult, name: string): boolean {
  const root = result.nodes.find((node) => node.depth === 0);
  if (!root || root.name === name) return root !== undefined;
  return (
    root.unpackedBy !== undefined &&
    extensionOf(root.name) !== '' &&
    extensionOf(root.name) === extensionOf(name)
  );
}

/** One scan of several artifacts cut into one result per artifact (by root name). */
export function splitByRoot(result: ScanResult, roots: readonly string[]): Map<string, ScanResult> {
  const parts = new Map<string, ScanResult>();
  for (const root of roots) {
    const nodes = result.nodes.filter((node) => isUnder(node.path, root));
    const files = nodes.filter((node) => node.entryKind === 'file');
    const gaps = result.gaps.filter((gap) => isUnder(gap.node, root));
    parts.set(root, {
      ...result,
      subjects: result.subjects.filter((subject) => subject.name === root),
      nodes,
      gaps,
      findings: result.findings.filter((finding) => isUnder(finding.path, root)),
      stats: {
        nodes: nodes.length,
        files: files.length,
        containers: nodes.filter((node) => node.unpackedBy !== undefined).length,
        bytes: files.reduce((total, node) => total + (node.digests ? node.size : 0), 0),
        gaps: gaps.length,
        durationMs: result.stats.durationMs,
      },
    });
  }
  return parts;
}

/**
 * Per-artifact results joined into the scan of one release, as if scanned together: node-scope
 * findings come from the parts; release-scope rules are judged again over the joined tree.
 */
export function mergeScans(
  parts: readonly ScanResult[],
  rules: readonly ScanRule[] = scanRules(),
): ScanResult {
  const releaseRules = rules.filter((rule) => rule.scope === 'release');
  const releaseRuleIds = new Set(releaseRules.map((rule) => rule.id));
  const nodes: ScanNode[] = parts.flatMap((part) => part.nodes);
  const judged = evaluateRules(releaseRules, nodes);
  const findings: Finding[] = [
    ...parts.flatMap((part) => part.findings.filter((finding) => !releaseRuleIds.has(finding.ruleId))),
    ...judged.findings,
  ];
  const gaps: CoverageGap[] = [
    ...parts.flatMap((part) => part.gaps.filter((gap) => !releaseRuleIds.has(gap.plugin?.slice(5) ?? ''))),
    ...judged.failures.map(
      (failure): CoverageGap => ({
        node: failure.path ?? nodes[0]?.path ?? ('' as NodePath),
        code: 'E_PLUGIN_FAILED',
        stage: 'analyze',
        plugin: `rule/${failure.ruleId}`,
        message: `rule failed: ${failure.message}`,
      }),
    ),
  ];
  const first = parts[0];
  const times = parts.map((part) => part.startedAt).sort();
  const ends = parts.map((part) => part.finishedAt).sort();
  const now = new Date().toISOString();
  return {
    schemaVersion: first?.schemaVersion ?? SCAN_REPORT_SCHEMA_VERSION,
    tool: first?.tool ?? { name: 'countersign', version: TOOL_VERSION },
    startedAt: times[0] ?? now,
    finishedAt: ends[ends.length - 1] ?? now,
    limits: first?.limits ?? resolveLimits(undefined),
    digestAlgorithms: first?.digestAlgorithms ?? ALL_DIGESTS,
    subjects: parts.flatMap((part) => part.subjects),
    nodes,
    gaps,
    findings,
    stats: {
      nodes: nodes.length,
      files: parts.reduce((total, part) => total + part.stats.files, 0),
      containers: parts.reduce((total, part) => total + part.stats.containers, 0),
      bytes: parts.reduce((total, part) => total + part.stats.bytes, 0),
      gaps: gaps.length,
      durationMs: parts.reduce((total, part) => total + part.stats.durationMs, 0),
    },
  };
}

/** An empty release: what a release with no trusted baseline is compared with. */
export function emptyScan(): ScanResult {
  return mergeScans([], []);
}

/** The nodes kept for "where have we seen this file?". */
export function seenNodesOf(artifactSha256: string, result: ScanResult): SeenNode[] {
  return result.nodes
    .filter((node) => node.entryKind === 'file')
    .map((node) => ({
      artifactSha256,
      path: node.path,
      size: node.size,
      type: node.type,
      ...(node.digests?.sha256 ? { sha256: node.digests.sha256 } : {}),
      ...(node.digests?.sha1 ? { sha1: node.digests.sha1 } : {}),
      ...(node.digests?.md5 ? { md5: node.digests.md5 } : {}),
    }));
}

interface ReleaseScan {
  readonly result: ScanResult;
  readonly reused: number;
  readonly made: number;
}

/**
 * A release's scan: each artifact's stored analysis when there is one for this analyzer version,
 * the others scanned together (one tree walk) and stored per artifact. Artifacts are scanned
 * under their names in the release (the blob store names files by digest), through symlinks in
 * a scratch folder: the names matter for type detection and for the reports.
 */
async function scanRelease(
  input: VetReleaseInput,
  release: Release,
  analyzerVersion: string,
  actor: Actor,
): Promise<ReleaseScan> {
  const { store, blobs } = input;
  const artifacts = [...(await store.releaseArtifacts(release.id))].sort((a, b) =>
    a.name < b.name ? -1 : a.name > b.name ? 1 : 0,
  );
  if (artifacts.length === 0) {
    throw new CountersignError(
      'E_INPUT_NOT_FOUND',
      `release ${release.version} (${release.id}) has no artifacts`,
    );
  }
  const stored = new Map<string, AnalysisRecord>();
  for (const artifact of artifacts) {
    const analysis = await store.getAnalysis(artifact.sha256, analyzerVersion);
    // Under another name that may read differently, scan again (the first analysis stays stored).
    if (analysis && canReuseUnder(analysis.result as ScanResult, artifact.name)) {
      stored.set(artifact.sha256, analysis);
    }
  }
  const missing = artifacts.filter((artifact) => !stored.has(artifact.sha256));
  const fresh = missing.length > 0 ? await scanArtifacts(input, missing) : new Map<string, ScanResult>();
  const parts: ScanResult[] = [];
  for (const artifact of artifacts) {
    let part = fresh.get(artifact.name);
    if (part) {
      await store.saveAnalysis(actor, {
        artifactSha256: artifact.sha256,
        analyzerVersion,
        // The scratch path it was scanned from is gone: the stored subject names the artifact only.
        result: { ...part, subjects: part.subjects.map((subject) => ({ ...subject, path: artifact.name })) },
        nodes: seenNodesOf(artifact.sha256, part),
      });
    } else {
      const analysis = stored.get(artifact.sha256)!;
      const result = analysis.result as ScanResult;
      part = renameRoot(result, result.subjects[0]?.name ?? artifact.name, artifact.name);
    }
    // Subjects point at the blob, so diff's fuzzy matching can read root files from disk.
    const path = await blobs.localPath(artifact.sha256);
    parts.push({ ...part, subjects: part.subjects.map((subject) => ({ ...subject, path })) });
  }
  return { result: mergeScans(parts, input.scan?.rules), reused: stored.size, made: missing.length };
}

async function scanArtifacts(
  input: VetReleaseInput,
  artifacts: readonly ReleaseArtifact[],
): Promise<Map<string, ScanResult>> {
  const scratch = await mkdtemp(join(input.scan?.scratchParent ?? tmpdir(), 'countersign-release-'));
  try {
    const inputs: string[] = [];
    for (const [index, artifact] of artifacts.entries()) {
      // One folder per artifact: names are unique in a release, but stay safe if they were not.
      const folder = join(scratch, String(index));
      await mkdir(folder);
      const link = join(folder, artifact.name);
      await symlink(await input.blobs.localPath(artifact.sha256), link);
      inputs.push(link);
    }
    const result = await scan(inputs, {
      ...input.scan,
      digests: ALL_DIGESTS,
      scratchParent: input.scan?.scratchParent ?? scratch,
      ...(input.signal ? { signal: input.signal } : {}),
    });
    return splitByRoot(
      result,
      artifacts.map((artifact) => artifact.name),
    );
  } finally {
    await rm(scratch, { recursive: true, force: true });
  }
}

// ---- the use case -------------------------------------------------------------------------------

function storedFindings(result: VetResult): Omit<StoredFinding, 'id' | 'vetId'>[] {
  return result.findings.map((finding) => ({
    ruleId: finding.ruleId,
    severity: finding.severity,
    confidence: finding.confidence,
    path: finding.path,
    message: finding.message,
    fingerprint: finding.fingerprint,
    origin: finding.origin,
    evidence: finding.evidence,
  }));
}

async function baselineOf(input: VetReleaseInput, release: Release): Promise<Release | undefined> {
  const { store } = input;
  let id = input.baselineReleaseId ?? release.baselineReleaseId;
  if (id === undefined) {
    const product = await store.getProduct(release.productId);
    id = product?.trustedReleaseId;
  }
  // A trusted release re-vetted against itself would show no change at all: judge it alone.
  if (id === undefined || id === release.id) return undefined;
  const baseline = await store.getRelease(id);
  if (!baseline) throw new CountersignError('E_STORE_NOT_FOUND', `baseline release ${id} does not exist`);
  return baseline;
}

/**
 * Vets one stored release against its baseline (the explicit one, else the release's own, else
 * the product's trusted release) and stores the outcome: analyses and seen nodes per artifact,
 * the vet with its findings under `key`, and the release's state and verdict.
 *
 * Without any baseline the release is judged alone: the candidate is compared with an empty
 * release and no diff rules run (every file would otherwise be "added"), so the verdict comes from
 * the candidate's own node findings. The vet record then has no `baselineReleaseId`.
 *
 * Idempotent: a retried job finds the vet stored under its key and only settles the release state;
 * a worker killed between storing and settling leaves nothing that a retry would duplicate.
 */
export async function vetRelease(input: VetReleaseInput): Promise<VetReleaseOutcome> {
  const { store } = input;
  const actor = input.actor ?? WORKER;
  const release = await store.getRelease(input.releaseId);
  if (!release) throw new CountersignError('E_STORE_NOT_FOUND', `release ${input.releaseId} does not exist`);
  await input.onStage?.('started');

  const previous = await store.latestVet(release.id);
  if (previous && previous.jobKey === input.key) {
    await store.setReleaseState(actor, release.id, 'vetted', previous.verdict);
    await input.onStage?.('finished');
    return {
      vet: previous,
      isReplay: true,
      ...(previous.baselineReleaseId ? { baselineReleaseId: previous.baselineReleaseId } : {}),
      analysesReused: 0,
      analysesMade: 0,
    };
  }
  if (release.state !== 'vetting') await store.setReleaseState(actor, release.id, 'vetting');

  const baseline = await baselineOf(input, release);
  const analyzerVersion = analyzerVersionOf(input.scan);
  const candidateScan = await scanRelease(input, release, analyzerVersion, actor);
  const baselineScan = baseline ? await scanRelease(input, baseline, analyzerVersion, actor) : undefined;
  // The store's intel is matched after the analyses, not inside them: a stored analysis stays
  // reusable when indicators are imported, and a re-vet sees today's intel without a rescan.
  const intelFindings =
    input.storedIntel === false
      ? []
      : await storedIntelFindings(store, candidateScan.result, {
          ...(input.signal ? { signal: input.signal } : {}),
        });
  const candidate =
    intelFindings.length === 0
      ? candidateScan.result
      : { ...candidateScan.result, findings: [...candidateScan.result.findings, ...intelFindings] };
  input.signal?.throwIfAborted();
  await input.onStage?.('scanned');

  const result = await vet(candidate, baselineScan?.result ?? emptyScan(), {
    ...(input.policy ? { policy: input.policy } : {}),
    ...(baselineScan ? {} : { diffRules: [] }),
  });
  input.signal?.throwIfAborted();
  await input.onStage?.('judged');

  const stored = await store.saveVet(actor, {
    releaseId: release.id,
    ...(baseline ? { baselineReleaseId: baseline.id } : {}),
    verdict: result.verdict.decision,
    score: result.verdict.score.total,
    detail: {
      verdict: result.verdict,
      baseline: baseline ? { releaseId: baseline.id, version: baseline.version } : null,
      gaps: result.gaps,
      analyzerVersion,
      candidate: { nodes: result.candidate.stats.nodes, subjects: result.candidate.subjects },
    },
    jobKey: input.key,
    findings: storedFindings(result),
  });
  await input.onStage?.('stored');
  await store.setReleaseState(actor, release.id, 'vetted', stored.verdict);
  await input.onStage?.('finished');
  return {
    vet: stored,
    isReplay: false,
    ...(baseline ? { baselineReleaseId: baseline.id } : {}),
    analysesReused: candidateScan.reused + (baselineScan?.reused ?? 0),
    analysesMade: candidateScan.made + (baselineScan?.made ?? 0),
  };
}
