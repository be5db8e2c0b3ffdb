import type { Fact, FactKind } from '../core/facts.js';
import type { ScanNode, ScanSubject } from '../core/scan-result.js';

/** How a candidate node relates to the baseline. */
export const PAIR_STATUSES = ['unchanged', 'modified', 'moved', 'renamed', 'added', 'removed'] as const;
export type PairStatus = (typeof PAIR_STATUSES)[number];

/** One fact's change between the baseline node and the candidate node. */
export type FactChange =
  | { readonly change: 'added'; readonly kind: FactKind; readonly key: string; readonly after: Fact }
  | { readonly change: 'removed'; readonly kind: FactKind; readonly key: string; readonly before: Fact }
  | {
      readonly change: 'changed';
      readonly kind: FactKind;
      readonly key: string;
      readonly before: Fact;
      readonly after: Fact;
    };

/**
 * A baseline node and the candidate node it was aligned with. `added` has only a candidate,
 * `removed` only a baseline. `moved` matched by content digest at another path; `renamed` by
 * fuzzy similarity (`distance` is the TLSH distance: 0 identical, ~7 for a 1% edit).
 */
export interface NodePair {
  /** The alignment key: the path with the root and version runs normalised. */
  readonly key: string;
  readonly status: PairStatus;
  readonly baseline?: ScanNode;
  readonly candidate?: ScanNode;
  readonly distance?: number;
  /** Fact changes; for `added` every candidate fact is `added`, for `removed` every baseline fact is `removed`. */
  readonly facts: readonly FactChange[];
}

export interface TreeDiff {
  readonly baselineSubjects: readonly ScanSubject[];
  readonly candidateSubjects: readonly ScanSubject[];
  /** Candidate order (pre-order of the candidate tree), then the removed baseline nodes. */
  readonly pairs: readonly NodePair[];
  readonly counts: Readonly<Record<PairStatus, number>>;
  /** The candidate-tree nodes that are not files (directories, links), which the diff does not align. */
  readonly candidateNodes: readonly ScanNode[];
  readonly baselineNodes: readonly ScanNode[];
}
