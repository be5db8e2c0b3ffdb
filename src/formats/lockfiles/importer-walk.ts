import type { DependencyKind } from './types.js';

/**
 * How each package of a lockfile graph is reached from the importers: the reachability that
 * npm writes as `dev`/`optional`/`devOptional` flags, computed for formats that only record
 * the graph (pnpm 9 has no `dev` flag). Linear in the graph's size per pass.
 */

/** The kind of edge that leaves an importer (`dependencies` are `prod`, etc.). */
export type RootEdge = 'prod' | 'optional' | 'dev' | 'config';

export interface GraphEdge {
  readonly to: string;
  readonly optional: boolean;
}

export interface ImporterRoot {
  readonly importer: string;
  readonly edge: RootEdge;
  readonly to: string;
}

type Reach = 'prod' | 'optional' | 'dev' | 'config';

export interface Reachability {
  readonly kindOf: (node: string) => DependencyKind;
  readonly importersOf: (node: string) => readonly string[];
}

export function walkFromImporters(
  roots: readonly ImporterRoot[],
  edgesOf: (node: string) => readonly GraphEdge[],
): Reachability {
  // Pass 1: the ways each node is reached. An optional edge demotes `prod` to `optional`.
  const reached = new Map<string, Set<Reach>>();
  const queue: [string, Reach][] = roots.map((root) => [root.to, root.edge]);
  for (let head = 0; head < queue.length; head++) {
    const [node, reach] = queue[head]!;
    let seen = reached.get(node);
    if (seen === undefined) {
      seen = new Set();
      reached.set(node, seen);
    }
    if (seen.has(reach)) continue;
    seen.add(reach);
    for (const edge of edgesOf(node))
      queue.push([edge.to, reach === 'prod' && edge.optional ? 'optional' : reach]);
  }
  // Pass 2: which importers reach each node, whatever the edge kind.
  const importers = new Map<string, Set<string>>();
  const byImporter = new Map<string, string[]>();
  for (const root of roots) {
    const starts = byImporter.get(root.importer);
    if (starts === undefined) byImporter.set(root.importer, [root.to]);
    else starts.push(root.to);
  }
  for (const [importer, starts] of byImporter) {
    const stack = [...starts];
    for (let node = stack.pop(); node !== undefined; node = stack.pop()) {
      let set = importers.get(node);
      if (set === undefined) {
        set = new Set();
        importers.set(node, set);
      }
      if (set.has(importer)) continue;
      set.add(importer);
      for (const edge of edgesOf(node)) stack.push(edge.to);
    }
  }
  return {
    kindOf(node: string): DependencyKind {
      const seen = reached.get(node);
      if (seen === undefined) return 'unknown';
      if (seen.has('prod')) return 'prod';
      if (seen.has('optional') && seen.has('dev')) return 'dev-optional';
      if (seen.has('optional')) return 'optional';
      if (seen.has('dev')) return 'dev';
      return 'config';
    },
    importersOf(node: string): readonly string[] {
      return [...(importers.get(node) ?? [])].sort();
    },
  };
}

/** Combines the kinds of several graph nodes that are one package (pnpm peer variants). */
export function combineKinds(kinds: readonly DependencyKind[]): DependencyKind {
  const has = (kind: DependencyKind): boolean => kinds.includes(kind);
  if (has('prod')) return 'prod';
  const optional = has('optional') || has('dev-optional');
  const dev = has('dev') || has('dev-optional');
  if (optional && dev) return 'dev-optional';
  if (optional) return 'optional';
  if (dev) return 'dev';
  if (has('config')) return 'config';
  return 'unknown';
}
