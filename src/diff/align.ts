import type { ScanNode, ScanResult, ScanSubject } from '../core/scan-result.js';
import { alignKey, withoutVersions } from './align-key.js';
import { diffFacts } from './fact-diff.js';
import { type NodePair, PAIR_STATUSES, type PairStatus, type TreeDiff } from './tree-diff.js';

/**
 * Fuzzy distance between two nodes' contents (TLSH: 0 identical, ~7 for a 1% edit, >200
 * unrelated), or undefined when it cannot be computed (content not at hand, too small).
 */
export type NodeDistance = (baseline: ScanNode, candidate: ScanNode) => Promise<number | undefined>;

export interface AlignOptions {
  /** Used only for nodes left over after path and digest matching, on candidate pairs. */
  readonly distance?: NodeDistance;
  /** Largest distance still taken as a rename (default 60). */
  readonly maxDistance?: number;
  /** At most this many distance computations per diff: TLSH reads ~5 MiB/s (default 256). */
  readonly maxComparisons?: number;
}

type Tree = Pick<ScanResult, 'subjects' | 'nodes'>;

/** The root name that prefixes a node's path: the scanned input it came from. */
function subjectOf(node: ScanNode, subjects: readonly ScanSubject[]): ScanSubject | undefined {
  let best: ScanSubject | undefined;
  for (const subject of subjects) {
    const name = subject.name;
    const isPrefix =
      node.path === name || node.path.startsWith(`${name}/`) || node.path.startsWith(`${name}!/`);
    if (isPrefix && (!best || name.length > best.name.length)) best = subject;
  }
  return best;
}

function keyOf(node: ScanNode, subjects: readonly ScanSubject[]): string {
  const subject = subjectOf(node, subjects);
  const key = alignKey(node.path, subject?.name ?? node.path.split('/')[0] ?? '');
  // With several inputs, each keeps its own (version-free) root so they do not collide.
  return subjects.length > 1 && subject
    ? key.replace('<root>', `<root:${withoutVersions(subject.name)}>`)
    : key;
}

/** Files take part in alignment; directories and links are structure, not content. */
function isContent(node: ScanNode): boolean {
  return node.entryKind === 'file';
}

function sameBytes(a: ScanNode, b: ScanNode): boolean {
  return a.digests !== undefined && b.digests !== undefined && a.digests.sha256 === b.digests.sha256;
}

/** Similar enough in kind and size to be worth a fuzzy comparison. */
function isRenameCandidate(a: ScanNode, b: ScanNode): boolean {
  const [small, large] = a.size < b.size ? [a.size, b.size] : [b.size, a.size];
  return a.type === b.type && small > 0 && large <= small * 2;
}

/**
 * Aligns two scanned trees: by normalised path, then by content digest (moved files), then by
 * fuzzy distance (renamed files), and diffs each pair's facts.
 */
export async function alignTrees(
  baseline: Tree,
  candidate: Tree,
  options: AlignOptions = {},
): Promise<TreeDiff> {
  const maxDistance = options.maxDistance ?? 60;
  let comparisonsLeft = options.maxComparisons ?? 256;
  const baseFiles = baseline.nodes.filter(isContent);
  const candFiles = candidate.nodes.filter(isContent);

  const unmatchedBase = new Map<string, ScanNode[]>();
  for (const node of baseFiles) {
    const key = keyOf(node, baseline.subjects);
    const list = unmatchedBase.get(key);
    if (list) list.push(node);
    else unmatchedBase.set(key, [node]);
  }
  const taken = new Set<ScanNode>();
  const pairs = new Map<ScanNode, Omit<NodePair, 'facts'>>();
  const leftovers: Array<{ key: string; node: ScanNode }> = [];

  // 1. Same place.
  for (const node of candFiles) {
    const key = keyOf(node, candidate.subjects);
    const match = unmatchedBase.get(key)?.find((base) => !taken.has(base));
    if (match) {
      taken.add(match);
      pairs.set(node, {
        key,
        status: sameBytes(match, node) ? 'unchanged' : 'modified',
        baseline: match,
        candidate: node,
      });
    } else leftovers.push({ key, node });
  }
  // 2. Same bytes elsewhere.
  const baseByDigest = new Map<string, ScanNode[]>();
  for (const node of baseFiles) {
    if (taken.has(node) || !node.digests) continue;
    const list = baseByDigest.get(node.digests.sha256);
    if (list) list.push(node);
    else baseByDigest.set(node.digests.sha256, [node]);
  }
  const stillLeft: typeof leftovers = [];
  for (const item of leftovers) {
    const match = item.node.digests
      ? baseByDigest.get(item.node.digests.sha256)?.find((base) => !taken.has(base))
      : undefined;
    if (match) {
      taken.add(match);
      pairs.set(item.node, { key: item.key, status: 'moved', baseline: match, candidate: item.node });
    } else stillLeft.push(item);
  }
  // 3. Similar bytes under another name: only same-type, similar-size candidates, within a budget.
  //    Only leftovers are looked at, grouped by type, and the walk stops when the budget is spent,
  //    so a release that adds and removes many files costs no more than the budget.
  if (options.distance) {
    const orphansByType = new Map<string, ScanNode[]>();
    for (const node of baseFiles) {
      if (taken.has(node)) continue;
      const list = orphansByType.get(node.type);
      if (list) list.push(node);
      else orphansByType.set(node.type, [node]);
    }
    for (const item of stillLeft) {
      if (comparisonsLeft <= 0) break;
      let best: { node: ScanNode; distance: number } | undefined;
      for (const base of orphansByType.get(item.node.type) ?? []) {
        if (comparisonsLeft <= 0) break;
        if (taken.has(base) || !isRenameCandidate(base, item.node)) continue;
        comparisonsLeft -= 1;
        const distance = await options.distance(base, item.node);
        if (distance !== undefined && distance <= maxDistance && (!best || distance < best.distance)) {
          best = { node: base, distance };
        }
      }
      if (best) {
        taken.add(best.node);
        pairs.set(item.node, {
          key: item.key,
          status: 'renamed',
          baseline: best.node,
          candidate: item.node,
          distance: best.distance,
        });
      }
    }
  }

  const ordered: NodePair[] = [];
  for (const node of candFiles) {
    const pair = pairs.get(node);
    if (pair) {
      ordered.push({ ...pair, facts: diffFacts(pair.baseline?.facts ?? [], node.facts) });
    } else {
      ordered.push({
        key: keyOf(node, candidate.subjects),
        status: 'added',
        candidate: node,
        facts: diffFacts([], node.facts),
      });
    }
  }
  for (const node of baseFiles) {
    if (taken.has(node)) continue;
    ordered.push({
      key: keyOf(node, baseline.subjects),
      status: 'removed',
      baseline: node,
      facts: diffFacts(node.facts, []),
    });
  }
  const counts = Object.fromEntries(PAIR_STATUSES.map((status) => [status, 0])) as Record<PairStatus, number>;
  for (const pair of ordered) counts[pair.status] += 1;
  return {
    baselineSubjects: baseline.subjects,
    candidateSubjects: candidate.subjects,
    pairs: ordered,
    counts,
    candidateNodes: candidate.nodes,
    baselineNodes: baseline.nodes,
  };
}
