import { type ImporterRoot, type RootEdge, walkFromImporters } from './importer-walk.js';
import type { DependencyKind, LockedPackage } from './types.js';

/** A dependency as the project's package.json declares it. */
export interface DeclaredDependency {
  readonly name: string;
  readonly spec: string;
  readonly group: string;
}

const ROOT_EDGES: Readonly<Record<string, RootEdge>> = {
  dependencies: 'prod',
  optionalDependencies: 'optional',
  devDependencies: 'dev',
};

/**
 * The kinds yarn.lock does not record, by the path of each entry: yarn classic keeps no dev flag
 * and berry merges a workspace's dev and production dependencies, but the project's package.json
 * says which of its dependencies are which, and the lockfile's graph (`dependsOn`) carries that to
 * every package, as npm computes its `dev`/`optional` flags. Entries nothing declared reaches stay
 * `unknown`.
 */
export function yarnKindsFromManifest(
  packages: readonly LockedPackage[],
  declared: readonly DeclaredDependency[],
): ReadonlyMap<string, DependencyKind> {
  const byPath = new Map(packages.map((locked) => [locked.path, locked]));
  const pathOfDescriptor = new Map<string, string>();
  for (const locked of packages) {
    for (const descriptor of locked.path.split(', ')) pathOfDescriptor.set(descriptor, locked.path);
  }
  const roots: ImporterRoot[] = [];
  for (const dependency of declared) {
    const edge = ROOT_EDGES[dependency.group];
    if (edge === undefined) continue;
    // classic keys descriptors as written (`ms@^2.1.3`), berry with the protocol (`ms@npm:^2.1.3`).
    const to =
      pathOfDescriptor.get(`${dependency.name}@${dependency.spec}`) ??
      pathOfDescriptor.get(`${dependency.name}@npm:${dependency.spec}`);
    if (to !== undefined) roots.push({ importer: '.', edge, to });
  }
  const reach = walkFromImporters(roots, (path) => byPath.get(path)?.dependsOn ?? []);
  return new Map(packages.map((locked) => [locked.path, reach.kindOf(locked.path)]));
}
