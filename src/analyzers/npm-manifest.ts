import { createHash } from 'node:crypto';
import type { Fact } from '../core/facts.js';
import type { Analyzer, AnalyzerResult, NodeHead, NodeView } from '../core/plugin.js';
import { compareManifests, type ManifestDifference } from '../formats/npm/compare-manifests.js';
import {
  type ManifestDependency,
  type ManifestInstallScript,
  type NpmManifest,
  readManifest,
} from '../formats/npm/manifest.js';
import { higherVersionsPublishedBefore, type Packument } from '../formats/npm/packument.js';
import type { JsCapability } from './js/facts.js';
import { signalsOf } from './js/string-signals.js';

export type { ManifestDifference } from '../formats/npm/compare-manifests.js';
export type { ManifestDependency, ManifestInstallScript } from '../formats/npm/manifest.js';

/** What an install script's command line names, read as a string in code would be. */
export interface ScriptSignal {
  readonly capability: JsCapability;
  readonly detail: string;
}

/** A lifecycle script with what its command line runs and names. */
export interface AnalysedInstallScript extends ManifestInstallScript {
  /**
   * Credential files, persistence places, workflow files, tokens, publishing... named on the line
   * (`echo x >> ~/.bashrc`, `cat ~/.npmrc`); absent when none.
   */
  readonly signals?: readonly ScriptSignal[];
}

/** The identity and install-time behaviour of an npm package, read from its root `package.json`. */
export interface NpmManifestFact {
  readonly name: string;
  readonly version: string;
  readonly license?: string;
  /** Lifecycle scripts as written (`preinstall`, `install`, `postinstall`, `prepare`, ...). */
  readonly lifecycleScripts: Readonly<Record<string, string>>;
  /*
   * The fields below are absent from facts made by version 1 of the analyzer (a stored baseline
   * scanned before they existed): rules treat a missing field as "not known", never as "none".
   */
  /** Each lifecycle script with what its command line runs (downloads, node files, known tools). */
  readonly installScripts?: readonly AnalysedInstallScript[];
  readonly bin?: Readonly<Record<string, string>>;
  /** Every kind (dependencies, optional, peer, dev, bundled) with where the specifier points. */
  readonly dependencies?: readonly ManifestDependency[];
  /** `gypfile` as written; a `binding.gyp` in the package implies it (see the package's nodes). */
  readonly gypfile?: boolean;
  readonly os?: readonly string[];
  readonly cpu?: readonly string[];
  readonly publishConfig?: Readonly<Record<string, string>>;
  readonly repository?: string;
}

/** What the registry says about this name and version, when a packument was given. */
export interface NpmRegistryFact {
  readonly name: string;
  readonly version: string;
  /** The packument lists this version. An unlisted tarball was never published under this name. */
  readonly isListed: boolean;
  readonly publishedAt?: string;
  /** `_npmUser` of this version. */
  readonly publisher?: string;
  /** Maintainer names at the time of publishing, sorted. */
  readonly maintainers: readonly string[];
  /** `dist.attestations` present: npm provenance (a signed SLSA statement of where it was built). */
  readonly hasProvenance: boolean;
  readonly hasSignatures: boolean;
  /** Semver-higher (non-prerelease) versions published before this one. */
  readonly higherVersionsPublishedBefore: readonly string[];
  /** Versions the registry lists, for context in messages. */
  readonly versionCount: number;
}

/** The registry's manifest of this version differs from the tarball's `package.json`. */
export interface NpmManifestConfusionFact {
  readonly differences: readonly ManifestDifference[];
}

declare module '../core/facts.js' {
  interface FactRegistry {
    'npm.manifest': NpmManifestFact;
    'npm.registry': NpmRegistryFact;
    'npm.manifest-confusion': NpmManifestConfusionFact;
  }
}

export interface NpmManifestOptions {
  /** Registry metadata (`--packument`): used for the package of the same name. */
  readonly packuments?: readonly Packument[];
}

const MAX_MANIFEST_BYTES = 4 * 1024 * 1024;

function withSignals(script: ManifestInstallScript): AnalysedInstallScript {
  const signals = signalsOf(script.command).map(({ capability, detail }) => ({ capability, detail }));
  return signals.length === 0 ? script : { ...script, signals };
}

function manifestFact(manifest: NpmManifest): Fact {
  const lifecycleScripts: Record<string, string> = {};
  for (const script of manifest.installScripts) lifecycleScripts[script.hook] = script.command;
  return {
    kind: 'npm.manifest',
    name: manifest.name,
    version: manifest.version,
    ...(manifest.license !== undefined ? { license: manifest.license } : {}),
    lifecycleScripts,
    installScripts: manifest.installScripts.map(withSignals),
    bin: manifest.bin,
    dependencies: manifest.dependencies,
    ...(manifest.gypfile !== undefined ? { gypfile: manifest.gypfile } : {}),
    ...(manifest.os ? { os: manifest.os } : {}),
    ...(manifest.cpu ? { cpu: manifest.cpu } : {}),
    ...(manifest.publishConfig ? { publishConfig: manifest.publishConfig } : {}),
    ...(manifest.repository !== undefined ? { repository: manifest.repository } : {}),
  };
}

/** The registry facts of one tarball manifest, from the packument of the same name. */
export function registryFacts(manifest: NpmManifest, packument: Packument): Fact[] {
  const listed = packument.versions.get(manifest.version);
  const publishedAt = packument.time[manifest.version];
  const facts: Fact[] = [
    {
      kind: 'npm.registry',
      name: manifest.name,
      version: manifest.version,
      isListed: listed !== undefined,
      ...(publishedAt !== undefined ? { publishedAt } : {}),
      ...(listed?.publisher ? { publisher: listed.publisher.name } : {}),
      maintainers: [...new Set((listed?.maintainers ?? []).map((person) => person.name))].sort(),
      hasProvenance: listed?.hasProvenance ?? false,
      hasSignatures: listed?.hasSignatures ?? false,
      higherVersionsPublishedBefore: higherVersionsPublishedBefore(packument, manifest.version).slice(0, 20),
      versionCount: packument.versions.size,
    },
  ];
  const served = listed ? readManifest(listed.manifest) : undefined;
  if (served) {
    const differences = compareManifests(served, manifest);
    if (differences.length > 0) facts.push({ kind: 'npm.manifest-confusion', differences });
  }
  return facts;
}

/**
 * `analyzer/npm-manifest`: a package's root `package.json` -> `npm.manifest` (lifecycle scripts and
 * what they run, bin, dependencies and their specifier types, gypfile, os/cpu, publishConfig,
 * repository) and, given a packument of that name, `npm.registry` and `npm.manifest-confusion`.
 */
export function createNpmManifestAnalyzer(options: NpmManifestOptions = {}): Analyzer {
  const packuments = new Map((options.packuments ?? []).map((packument) => [packument.name, packument]));
  // The registry facts depend on the packuments: they are part of the cache key.
  const registryKey = createHash('sha256')
    .update(
      JSON.stringify(
        [...packuments.values()].map((packument) => [
          packument.name,
          packument.time,
          [...packument.versions.entries()],
        ]),
      ),
    )
    .digest('hex');
  return {
    id: 'analyzer/npm-manifest',
    version: 2,
    cacheKey: () => (packuments.size === 0 ? '' : registryKey),
    // Only a package.json at a package root is a manifest: the answer depends on the path.
    readsPath: true,
    accepts(node: NodeHead): boolean {
      return node.name.endsWith('package.json') && node.type === 'json' && node.size <= MAX_MANIFEST_BYTES;
    },
    async analyze(node: NodeView): Promise<AnalyzerResult> {
      const inner = node.path.slice(node.path.lastIndexOf('!/') + 1);
      if (!/(^|\/)package\.json$/.test(inner)) return { facts: [], gaps: [] };
      let json: unknown;
      try {
        json = JSON.parse(Buffer.from(await node.read()).toString('utf8'));
      } catch (error) {
        return {
          facts: [],
          gaps: [
            {
              code: 'E_FORMAT_MALFORMED',
              stage: 'analyze',
              message: `package.json is not valid JSON: ${(error as Error).message}`,
            },
          ],
        };
      }
      // A package.json without a name and version (a workspace root, a test fixture) is no package.
      const manifest = readManifest(json);
      if (!manifest) return { facts: [], gaps: [] };
      const packument = packuments.get(manifest.name);
      return {
        facts: [manifestFact(manifest), ...(packument ? registryFacts(manifest, packument) : [])],
        gaps: [],
      };
    },
  };
}

export const npmManifestAnalyzer: Analyzer = createNpmManifestAnalyzer();
