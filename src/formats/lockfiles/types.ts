/**
 * What a lockfile says was resolved: one entry per package the lockfile pins, with enough to
 * find it again (name, version, integrity, where it came from) and to judge how it is used.
 */

export const LOCKFILE_FORMATS = ['npm', 'pnpm', 'yarn-classic', 'yarn-berry'] as const;
export type LockfileFormat = (typeof LOCKFILE_FORMATS)[number];

/**
 * How a package is reached from the project's importers, in npm's vocabulary:
 * `prod` is needed at run time; `optional` is reached from production dependencies only
 * through optional edges; `dev` only from dev dependencies (optional ones included);
 * `dev-optional` from both dev dependencies and optional production edges, never required in
 * production (npm's `devOptional`); `config` only as a pnpm config dependency; `unknown` when
 * the format does not tell (yarn) or nothing reaches the package.
 */
export const DEPENDENCY_KINDS = ['prod', 'dev', 'optional', 'dev-optional', 'config', 'unknown'] as const;
export type DependencyKind = (typeof DEPENDENCY_KINDS)[number];

/** Where the package's content comes from, judged from its resolution. */
export const PACKAGE_SOURCES = ['registry', 'tarball', 'git', 'file', 'directory', 'unknown'] as const;
export type PackageSource = (typeof PACKAGE_SOURCES)[number];

export interface LockedPackage {
  /** The real package name (for an alias such as `old-ms@npm:ms@2.0.0`, `ms`). */
  readonly name: string;
  /** The resolved version; for sources without one (a git commit) the spec as written. */
  readonly version: string;
  /**
   * The name the package is installed under, when it differs from `name` (npm aliases). pnpm
   * shares one entry between all the names a package is installed under: the first alias is given.
   */
  readonly alias?: string;
  /** Subresource-integrity string(s) as written (`sha512-...`), when the format records one. */
  readonly integrity?: string;
  /** yarn berry's cache checksum (`10c0/<hex>`): a hash of yarn's zip, not of the tarball. */
  readonly checksum?: string;
  /** The resolved URL or spec (tarball URL, `git+https://...#commit`, `file:...`), when recorded. */
  readonly resolved?: string;
  readonly source: PackageSource;
  readonly kind: DependencyKind;
  /** npm: installed only to satisfy a peer dependency. Absent when the format does not tell. */
  readonly peer?: boolean;
  /** npm: shipped inside another package's tarball (`bundleDependencies`). */
  readonly bundled?: boolean;
  /**
   * Where the lockfile keeps this entry: the install path for npm (`node_modules/a/node_modules/b`),
   * the package key for pnpm (`ms@2.1.3`), the descriptor(s) for yarn (`ms@^2.0.0, ms@^2.1.3`).
   */
  readonly path: string;
  /**
   * yarn: the entries (by `path`) this one depends on. yarn.lock records no dev/optional flags, so
   * the kind is derived from the project's package.json with this graph (`yarn-kinds.ts`).
   */
  readonly dependsOn?: readonly LockedEdge[];
  /** The workspace importers (`.`, `packages/tool`) that reach this package, when the format tells. */
  readonly importers?: readonly string[];
  /** Package URL: `pkg:npm/%40scope/name@1.0.0`. */
  readonly purl: string;
}

/** A dependency edge between two entries of a lockfile, by their `path`. */
export interface LockedEdge {
  readonly to: string;
  readonly optional: boolean;
}

/** A lockfile entry that could not be read: reported as a coverage gap, never dropped silently. */
export interface SkippedEntry {
  readonly key: string;
  readonly reason: string;
}

export interface ParsedLockfile {
  readonly format: LockfileFormat;
  /** As the file states it: `3`, `6.0`, `9.0`, `v1` (yarn classic), `8` (berry `__metadata.version`). */
  readonly lockfileVersion: string;
  /** Workspace importers by path (`.` is the root project), when the format records them. */
  readonly importers: readonly string[];
  readonly packages: readonly LockedPackage[];
  readonly skipped: readonly SkippedEntry[];
}
