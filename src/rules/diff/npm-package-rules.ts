import type { ManifestDependency, NpmManifestFact, NpmRegistryFact } from '../../analyzers/npm-manifest.js';
import type { Evidence } from '../../core/findings.js';
import type { ScanNode } from '../../core/scan-result.js';
import type { TreeDiff } from '../../diff/tree-diff.js';
import { buildsNativeCode, nativeBinariesOf, type PackageView, packagesOf } from '../npm/package-view.js';
import type { DiffHit, DiffRule } from './types.js';

const AXIOS_2026 =
  'https://www.stepsecurity.io/blog/axios-compromised-on-npm-malicious-versions-drop-remote-access-trojan';
const EVENT_STREAM = 'https://github.com/dominictarr/event-stream/issues/116';
const NPM_PROVENANCE = 'https://docs.npmjs.com/generating-provenance-statements';
const SHAI_HULUD = 'https://www.wiz.io/blog/shai-hulud-npm-supply-chain-attack';

/** One package in both releases: the same name, with its view on each side. */
interface PackagePair {
  readonly baseline: PackageView;
  readonly candidate: PackageView;
}

function sideNodes(diff: TreeDiff, side: 'baseline' | 'candidate'): ScanNode[] {
  return diff.pairs.flatMap((pair) => (pair[side] ? [pair[side]!] : []));
}

const pairsOfDiff = new WeakMap<TreeDiff, PackagePair[]>();

/**
 * Packages present in both releases, matched by alignment of their package.json, else by name.
 * Computed once per diff (every npm diff rule asks), linear in the number of nodes.
 */
export function packagePairs(diff: TreeDiff): PackagePair[] {
  const known = pairsOfDiff.get(diff);
  if (known) return known;
  const before = packagesOf(sideNodes(diff, 'baseline'));
  const after = packagesOf(sideNodes(diff, 'candidate'));
  const byPath = new Map(before.map((view) => [view.manifestNode.path as string, view]));
  const byName = new Map(before.map((view) => [view.manifest.name, view]));
  const alignedBaseline = new Map<string, string>();
  for (const pair of diff.pairs) {
    if (pair.candidate && pair.baseline) alignedBaseline.set(pair.candidate.path, pair.baseline.path);
  }
  const pairs: PackagePair[] = [];
  for (const candidate of after) {
    const aligned = alignedBaseline.get(candidate.manifestNode.path);
    const baseline =
      (aligned !== undefined ? byPath.get(aligned) : undefined) ?? byName.get(candidate.manifest.name);
    if (baseline) pairs.push({ baseline, candidate });
  }
  pairsOfDiff.set(diff, pairs);
  return pairs;
}

function manifestEvidence(pair: PackagePair, snippet: string, baselineSnippet?: string): Evidence[] {
  return [
    { role: 'primary', node: pair.candidate.manifestNode.path, snippet: snippet.slice(0, 200) },
    {
      role: 'baseline',
      node: pair.baseline.manifestNode.path,
      ...(baselineSnippet ? { snippet: baselineSnippet.slice(0, 200) } : {}),
    },
  ];
}

const label = (manifest: NpmManifestFact) => `${manifest.name}@${manifest.version}`;

// ---- dependencies ----------------------------------------------------------------------------

/** Groups that a consumer's `npm install` installs (npm 7+ installs peers too). */
const INSTALLED_GROUPS = new Set(['dependencies', 'optionalDependencies', 'peerDependencies']);

function installedDependencies(manifest: NpmManifestFact): ManifestDependency[] | undefined {
  return manifest.dependencies?.filter((dependency) => INSTALLED_GROUPS.has(dependency.group));
}

/** How the candidate package uses a dependency: files that name it, scripts that run it. */
interface DependencyUse {
  readonly importers: readonly ScanNode[];
  /** Script files of the package whose module references were extracted. */
  readonly scriptsLookedAt: number;
  readonly runByScript?: string;
}

function useOf(view: PackageView, name: string): DependencyUse {
  const importers: ScanNode[] = [];
  let scriptsLookedAt = 0;
  for (const file of view.files) {
    const refs = file.facts.find((fact) => fact.kind === 'npm.module-refs');
    if (!refs) continue;
    scriptsLookedAt++;
    if (refs.packages.includes(name)) importers.push(file);
  }
  const script = (view.manifest.installScripts ?? []).find(
    (each) => each.analysis.programs.includes(name) || each.command.includes(`node_modules/${name}/`),
  );
  return { importers, scriptsLookedAt, ...(script ? { runByScript: script.hook } : {}) };
}

function addedDependencies(pair: PackagePair): ManifestDependency[] {
  const before = installedDependencies(pair.baseline.manifest);
  const after = installedDependencies(pair.candidate.manifest);
  if (!before || !after) return [];
  const had = new Set(before.map((dependency) => dependency.name));
  return after.filter((dependency) => !had.has(dependency.name));
}

function useText(use: DependencyUse): string {
  if (use.importers.length > 0) {
    const first = use.importers[0]!.path.slice(use.importers[0]!.path.lastIndexOf('/') + 1);
    return `required by ${use.importers.length} file(s), e.g. ${first}`;
  }
  if (use.runByScript) return `run by the ${use.runByScript} script`;
  if (use.scriptsLookedAt === 0)
    return 'whether any file imports it is not known (no module references were extracted)';
  return `not imported by any of the ${use.scriptsLookedAt} script file(s)`;
}

function dependencySnippet(dependency: ManifestDependency): string {
  return `"${dependency.group}": { "${dependency.name}": ${JSON.stringify(dependency.spec)} } (${dependency.type})`;
}

export const npmDependencyAdded: DiffRule = {
  id: 'npm.dependency.added',
  version: 1,
  title: 'The package gained a dependency',
  identifies: 'capability.npm.dependency-added',
  severity: 'low',
  confidence: 'high',
  scope: 'diff',
  rationale:
    "A new dependency brings its own code and install scripts into every consumer. Most are ordinary; the evidence says whether the package's own files use it. event-stream (2018) gained flatmap-stream this way.",
  references: [EVENT_STREAM],
  *evaluate({ diff }) {
    for (const pair of packagePairs(diff)) {
      for (const dependency of addedDependencies(pair)) {
        const use = useOf(pair.candidate, dependency.name);
        yield {
          path: pair.candidate.manifestNode.path,
          message: `${label(pair.candidate.manifest)} adds ${dependency.group} ${dependency.name} ${dependency.spec} (absent from ${pair.baseline.manifest.version}); ${useText(use)}`,
          evidence: [
            ...manifestEvidence(pair, dependencySnippet(dependency), 'none'),
            ...use.importers.slice(0, 3).map((file) => ({ role: 'supporting' as const, node: file.path })),
          ],
        };
      }
    }
  },
};

export const npmDependencyAddedUnused: DiffRule = {
  id: 'npm.dependency.added-unused',
  version: 1,
  title: 'The package gained a dependency that none of its files uses',
  identifies: 'threat.npm.dependency-injection',
  severity: 'medium',
  confidence: 'medium',
  scope: 'diff',
  rationale:
    'axios 1.14.1 and 0.30.4 (March 2026) added plain-crypto-js, which no axios file imports: it was there only for its postinstall dropper. A dependency that nothing requires and no script runs has no reason to be installed, except its own install scripts. Whether that dependency has an install script cannot be known offline; look it up before installing.',
  remediation: 'Inspect the new dependency (its install scripts first) or install with --ignore-scripts.',
  references: [AXIOS_2026],
  *evaluate({ diff }) {
    for (const pair of packagePairs(diff)) {
      for (const dependency of addedDependencies(pair)) {
        if (dependency.group === 'peerDependencies') continue;
        const use = useOf(pair.candidate, dependency.name);
        if (use.importers.length > 0 || use.runByScript || use.scriptsLookedAt === 0) continue;
        yield {
          path: pair.candidate.manifestNode.path,
          message: `${label(pair.candidate.manifest)} adds ${dependency.name} ${dependency.spec}, which is not imported by any of its ${use.scriptsLookedAt} script file(s) nor run by a script`,
          evidence: manifestEvidence(pair, dependencySnippet(dependency), 'none'),
        };
      }
    }
  },
};

// ---- executables and native code ---------------------------------------------------------------

export const npmBinAdded: DiffRule = {
  id: 'npm.bin.added',
  version: 1,
  title: 'The package installs a new command',
  identifies: 'threat.npm.bin-added',
  severity: 'medium',
  confidence: 'low',
  scope: 'diff',
  rationale:
    'A `bin` entry puts a command on the PATH of every project (and, installed globally, of the user): a new one can shadow `node`, `git` or `npm` in scripts. Libraries rarely grow commands between versions.',
  references: ['https://docs.npmjs.com/cli/v11/configuring-npm/package-json#bin'],
  *evaluate({ diff }) {
    for (const pair of packagePairs(diff)) {
      const before = pair.baseline.manifest.bin;
      const after = pair.candidate.manifest.bin;
      if (!before || !after) continue;
      for (const [command, file] of Object.entries(after)) {
        // A command pointed at another file (dotenv 18.0.10: index.cjs -> cli.cjs) is not a new
        // command: what the file does is judged by the file's own rules.
        if (before[command] !== undefined) continue;
        const had = Object.keys(before);
        yield {
          path: pair.candidate.manifestNode.path,
          message: `${label(pair.candidate.manifest)} installs a new command \`${command}\` (${file}); ${pair.baseline.manifest.version} had ${had.length === 0 ? 'none' : had.join(', ')}`,
          evidence: manifestEvidence(pair, `"bin": { "${command}": ${JSON.stringify(file)} }`, 'none'),
        };
      }
    }
  },
};

export const npmNativeBinaryAdded: DiffRule = {
  id: 'npm.native-binary.added',
  version: 1,
  title: 'A package that had no native code now ships a binary',
  identifies: 'threat.npm.native-code-added',
  severity: 'medium',
  confidence: 'medium',
  scope: 'diff',
  rationale:
    'A pure-JavaScript package that starts shipping machine code (a `.node` addon, an .exe, a .so) changes its nature: the binary cannot be reviewed like script and runs unsandboxed. Packages that build or prebuild native code by design (gypfile, binding.gyp, prebuild-install) are left to binary.native.added.',
  references: [SHAI_HULUD],
  *evaluate({ diff }) {
    for (const pair of packagePairs(diff)) {
      if (nativeBinariesOf(pair.baseline).length > 0 || buildsNativeCode(pair.baseline)) continue;
      const binaries = nativeBinariesOf(pair.candidate);
      if (binaries.length === 0) continue;
      const first = binaries[0]!;
      yield {
        path: first.path,
        message: `${label(pair.candidate.manifest)} ships ${binaries.length} native binar${binaries.length === 1 ? 'y' : 'ies'} (${binaries
          .slice(0, 3)
          .map(
            (binary) =>
              `${binary.path.slice(pair.candidate.root.length)}: ${binary.type}, ${binary.size} bytes`,
          )
          .join('; ')}); ${pair.baseline.manifest.version} shipped none and builds none`,
        evidence: [
          ...binaries
            .slice(0, 5)
            .map((binary) => ({ role: 'primary' as const, node: binary.path, snippet: binary.type })),
          { role: 'supporting', node: pair.candidate.manifestNode.path },
          { role: 'baseline', node: pair.baseline.manifestNode.path },
        ],
      };
    }
  },
};

// ---- registry metadata (--packument) -------------------------------------------------------------

function registryOf(view: PackageView): NpmRegistryFact | undefined {
  return view.manifestNode.facts.find(
    (fact): fact is { kind: 'npm.registry' } & NpmRegistryFact => fact.kind === 'npm.registry',
  );
}

function* registryPairs(
  diff: TreeDiff,
): Generator<PackagePair & { before: NpmRegistryFact; after: NpmRegistryFact }> {
  for (const pair of packagePairs(diff)) {
    const before = registryOf(pair.baseline);
    const after = registryOf(pair.candidate);
    if (before?.isListed && after?.isListed && before.version !== after.version)
      yield { ...pair, before, after };
  }
}

function registryHit(pair: PackagePair, message: string, snippet: string, baselineSnippet: string): DiffHit {
  return {
    path: pair.candidate.manifestNode.path,
    message,
    evidence: manifestEvidence(pair, snippet, baselineSnippet),
  };
}

export const npmProvenanceLost: DiffRule = {
  id: 'npm.provenance.lost',
  version: 1,
  title: 'The version was published without the provenance its predecessor had',
  identifies: 'threat.npm.provenance-lost',
  severity: 'medium',
  confidence: 'high',
  scope: 'diff',
  rationale:
    "A package published from CI with npm provenance carries a signed statement of the repository and workflow that built it. A next version without one was published some other way, e.g. with a stolen token from a laptop, the shape of Shai-Hulud's and the axios 2026 releases.",
  remediation: 'Ask the maintainers why the release skipped the provenance-publishing pipeline.',
  references: [NPM_PROVENANCE, SHAI_HULUD],
  *evaluate({ diff }) {
    for (const pair of registryPairs(diff)) {
      if (!pair.before.hasProvenance || pair.after.hasProvenance) continue;
      yield registryHit(
        pair,
        `${pair.after.name}@${pair.after.version} has no provenance attestation; ${pair.before.version} had one${pair.after.publisher ? ` (published by ${pair.after.publisher})` : ''}`,
        'dist.attestations: none',
        'dist.attestations: present',
      );
    }
  },
};

export const npmPublisherChanged: DiffRule = {
  id: 'npm.publisher.changed',
  version: 1,
  title: 'Published by an account that did not maintain the previous version',
  identifies: 'threat.npm.publisher-changed',
  severity: 'medium',
  confidence: 'low',
  scope: 'diff',
  rationale:
    'A release by an account outside the previous maintainers is a hand-over or a takeover (event-stream, 2018, was handed to a stranger). A co-maintainer publishing in turn is ordinary and stays quiet.',
  references: [EVENT_STREAM],
  *evaluate({ diff }) {
    for (const pair of registryPairs(diff)) {
      const { before, after } = pair;
      if (!after.publisher || !before.publisher || after.publisher === before.publisher) continue;
      if (before.maintainers.includes(after.publisher)) continue;
      yield registryHit(
        pair,
        `${after.name}@${after.version} was published by ${after.publisher}, who was not a maintainer of ${before.version} (published by ${before.publisher}; maintainers ${before.maintainers.join(', ') || 'none listed'})`,
        `_npmUser: ${after.publisher}`,
        `_npmUser: ${before.publisher}`,
      );
    }
  },
};

export const npmMaintainersChanged: DiffRule = {
  id: 'npm.maintainers.changed',
  version: 1,
  title: 'New maintainers since the previous version',
  identifies: 'threat.npm.maintainers-changed',
  severity: 'medium',
  confidence: 'low',
  scope: 'diff',
  rationale:
    'Accounts that gained publish rights between two releases can publish anything under the name. In event-stream the new maintainer published the malicious version days after being added.',
  references: [EVENT_STREAM],
  *evaluate({ diff }) {
    for (const pair of registryPairs(diff)) {
      const { before, after } = pair;
      if (before.maintainers.length === 0) continue;
      const added = after.maintainers.filter((name) => !before.maintainers.includes(name));
      if (added.length === 0) continue;
      const removed = before.maintainers.filter((name) => !after.maintainers.includes(name));
      yield registryHit(
        pair,
        `${after.name}@${after.version} lists new maintainer(s) ${added.join(', ')}${removed.length > 0 ? ` and dropped ${removed.join(', ')}` : ''} since ${before.version}`,
        `maintainers: ${after.maintainers.join(', ')}`,
        `maintainers: ${before.maintainers.join(', ')}`,
      );
    }
  },
};

export const npmVersionOutOfOrder: DiffRule = {
  id: 'npm.version.out-of-order',
  version: 1,
  title: 'The version was published out of order',
  identifies: 'threat.npm.version-out-of-order',
  severity: 'medium',
  confidence: 'low',
  scope: 'diff',
  rationale:
    'Releases normally appear in version order. A version published after higher ones (a new patch on an old line) or before its predecessor is a backport at best; a hijacked account publishing to every line at once (axios 1.14.1 and 0.30.4, March 2026) looks the same.',
  references: [AXIOS_2026],
  *evaluate({ diff }) {
    for (const pair of registryPairs(diff)) {
      const { before, after } = pair;
      const beforeTime = Date.parse(before.publishedAt ?? '');
      const afterTime = Date.parse(after.publishedAt ?? '');
      const newer = after.higherVersionsPublishedBefore.filter(
        (version) => !before.higherVersionsPublishedBefore.includes(version) && version !== after.version,
      );
      const earlier = Number.isFinite(beforeTime) && Number.isFinite(afterTime) && afterTime < beforeTime;
      if (newer.length === 0 && !earlier) continue;
      yield registryHit(
        pair,
        earlier
          ? `${after.name}@${after.version} was published (${after.publishedAt}) before the version it follows, ${before.version} (${before.publishedAt})`
          : `${after.name}@${after.version} was published (${after.publishedAt}) after higher version(s) ${newer.slice(0, 5).join(', ')}`,
        `time: ${after.publishedAt ?? 'unknown'}`,
        `time: ${before.publishedAt ?? 'unknown'}`,
      );
    }
  },
};

export const NPM_PACKAGE_DIFF_RULES: readonly DiffRule[] = [
  npmDependencyAdded,
  npmDependencyAddedUnused,
  npmBinAdded,
  npmNativeBinaryAdded,
  npmProvenanceLost,
  npmPublisherChanged,
  npmMaintainersChanged,
  npmVersionOutOfOrder,
];
