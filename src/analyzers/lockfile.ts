import { isCountersignError, toCountersignError } from '../core/errors.js';
import { NESTING_SEPARATOR } from '../core/node-path.js';
import type { Analyzer, AnalyzerResult, GapInput, NodeHead, NodeView } from '../core/plugin.js';
import { isLockfileName, type LockfileName, parseLockfile } from '../formats/lockfiles/parse-lockfile.js';
import type { LockedPackage, LockfileFormat, SkippedEntry } from '../formats/lockfiles/types.js';

/** Every package a lockfile pins, as the lockfile states it. */
export interface LockfilePackagesFact {
  readonly format: LockfileFormat;
  readonly lockfileVersion: string;
  readonly importers: readonly string[];
  readonly packages: readonly LockedPackage[];
  /** Entries that could not be read (also reported as an `E_LOCKFILE_MALFORMED` gap). */
  readonly skippedCount: number;
}

declare module '../core/facts.js' {
  interface FactRegistry {
    'lockfile.packages': LockfilePackagesFact;
  }
}

/** Lockfiles of very large monorepos reach tens of MB; beyond this we say so instead of reading. */
const MAX_LOCKFILE_BYTES = 128 * 1024 * 1024;
/** How many skipped entries a gap names; the count is always complete. */
const MAX_SKIPPED_LISTED = 20;

function fileNameOf(node: NodeHead): string {
  const inner = node.path.slice(node.path.lastIndexOf(NESTING_SEPARATOR) + 1);
  return inner.slice(inner.lastIndexOf('/') + 1) || node.name;
}

/** pnpm's record of the install: a copy of pnpm-lock.yaml as the packages in its store were installed. */
const PNPM_INSTALL_RECORD = /(^|\/)node_modules\/\.pnpm\/lock\.yaml$/;

/** The lockfile a node is, by its name (or, for pnpm's record of the install, by its place). */
function lockfileNameOf(node: NodeHead): LockfileName | undefined {
  const name = fileNameOf(node);
  if (isLockfileName(name)) return name;
  return PNPM_INSTALL_RECORD.test(node.path) ? 'pnpm-lock.yaml' : undefined;
}

function skippedGap(skipped: readonly SkippedEntry[], total: number): GapInput {
  return {
    code: 'E_LOCKFILE_MALFORMED',
    stage: 'analyze',
    message: `lockfile read in part: ${skipped.length} entr${skipped.length === 1 ? 'y' : 'ies'} skipped, ${total} package(s) read (${skipped
      .slice(0, 3)
      .map((entry) => `${entry.key}: ${entry.reason}`)
      .join('; ')}${skipped.length > 3 ? '; ...' : ''})`,
    details: { skippedCount: skipped.length, skipped: skipped.slice(0, MAX_SKIPPED_LISTED) },
  };
}

export const lockfileAnalyzer: Analyzer = {
  id: 'analyzer/lockfile',
  // 2: yarn entries carry their dependency edges (`dependsOn`); pnpm's node_modules/.pnpm/lock.yaml is read.
  version: 2,
  cacheKey: () => '',
  readsPath: true,
  accepts(node: NodeHead): boolean {
    return lockfileNameOf(node) !== undefined;
  },
  async analyze(node: NodeView): Promise<AnalyzerResult> {
    const name = lockfileNameOf(node);
    if (name === undefined) return { facts: [], gaps: [] };
    if (node.size > MAX_LOCKFILE_BYTES) {
      return {
        facts: [],
        gaps: [
          {
            code: 'E_ARTIFACT_FILE_TOO_LARGE',
            stage: 'limit',
            message: `${name} is ${node.size} bytes, over the ${MAX_LOCKFILE_BYTES}-byte lockfile limit: its packages were not listed`,
            details: { size: node.size, limit: MAX_LOCKFILE_BYTES },
          },
        ],
      };
    }
    try {
      const parsed = parseLockfile(await node.read(), name);
      const gaps: GapInput[] =
        parsed.skipped.length > 0 ? [skippedGap(parsed.skipped, parsed.packages.length)] : [];
      return {
        facts: [
          {
            kind: 'lockfile.packages',
            format: parsed.format,
            lockfileVersion: parsed.lockfileVersion,
            importers: parsed.importers,
            packages: parsed.packages,
            skippedCount: parsed.skipped.length,
          },
        ],
        gaps,
      };
    } catch (error) {
      // Never an empty "all clear": a lockfile we cannot read is a loud gap with the reason.
      const typed = isCountersignError(error)
        ? error
        : toCountersignError(error, 'E_LOCKFILE_MALFORMED', name);
      return {
        facts: [],
        gaps: [
          {
            code: typed.code,
            stage: 'analyze',
            message: `${name}: no packages listed: ${typed.message}`,
            ...(typed.details !== undefined ? { details: typed.details } : {}),
          },
        ],
      };
    }
  },
};
