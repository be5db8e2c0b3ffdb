import type { NpmManifestConfusionFact, NpmManifestFact } from '../../analyzers/npm-manifest.js';
import type { ScanNode } from '../../core/scan-result.js';
import type { NodeRule } from '../evaluate.js';

const MANIFEST_CONFUSION = 'https://blog.vlt.sh/blog/the-massive-hole-in-the-npm-ecosystem';
const PHANTOM_RAVEN = 'https://www.koi.ai/blog/phantomraven-npm-malware-hidden-in-invisible-dependencies';

function factOf<K extends 'npm.manifest' | 'npm.manifest-confusion'>(
  node: ScanNode,
  kind: K,
): (K extends 'npm.manifest' ? NpmManifestFact : NpmManifestConfusionFact) | undefined {
  return node.facts.find((fact) => fact.kind === kind) as
    | (K extends 'npm.manifest' ? NpmManifestFact : NpmManifestConfusionFact)
    | undefined;
}

export const npmManifestConfusion: NodeRule = {
  id: 'npm.manifest-confusion',
  version: 1,
  title: "The registry's manifest is not the tarball's package.json",
  identifies: 'threat.npm.manifest-confusion',
  severity: 'high',
  confidence: 'high',
  scope: 'node',
  factKinds: ['npm.manifest-confusion'],
  rationale:
    "npm installs from the tarball's package.json, while the registry page, `npm view` and most scanners read the manifest the publisher sent beside it. Scripts, dependencies or executables present in one and not the other hide what an install really does.",
  remediation: "Judge the package by the tarball's package.json, not by the registry's metadata.",
  references: [MANIFEST_CONFUSION],
  *evaluate({ node }) {
    const confusion = factOf(node, 'npm.manifest-confusion');
    const manifest = factOf(node, 'npm.manifest');
    if (!confusion || confusion.differences.length === 0) return;
    const shown = confusion.differences
      .slice(0, 4)
      .map(
        (difference) =>
          `${difference.key}: registry ${difference.registry ?? 'none'}, tarball ${difference.tarball ?? 'none'}`,
      );
    yield {
      path: node.path,
      message: `${manifest ? `${manifest.name}@${manifest.version}: ` : ''}${confusion.differences.length} difference(s) between the registry manifest and the tarball: ${shown.join('; ')}`,
      evidence: confusion.differences.slice(0, 10).map((difference) => ({
        role: 'primary' as const,
        node: node.path,
        snippet:
          `${difference.key}: ${JSON.stringify(difference.tarball ?? null)} (registry: ${JSON.stringify(difference.registry ?? null)})`.slice(
            0,
            200,
          ),
      })),
    };
  },
};

/** Specifier types that fetch from wherever the author points, outside the registry's integrity. */
const REMOTE = new Set(['git', 'hosted-git', 'tarball-url']);

export const npmDependencyRemoteSpec: NodeRule = {
  id: 'npm.dependency.remote-spec',
  version: 1,
  title: 'A dependency is fetched from a URL or a git repository',
  identifies: 'threat.npm.remote-dependency',
  severity: 'medium',
  confidence: 'medium',
  scope: 'node',
  factKinds: ['npm.manifest'],
  rationale:
    'A dependency given as an http(s) URL or a git reference is fetched at install time from outside the registry: no registry integrity, no advisory coverage, and the target can change after review. PhantomRaven (2025) hid its payload in such "remote dynamic dependencies". Development dependencies are not installed by consumers and are left out.',
  remediation: 'Prefer a registry version; otherwise pin the git commit or the tarball integrity.',
  references: [PHANTOM_RAVEN],
  *evaluate({ node }) {
    const manifest = factOf(node, 'npm.manifest');
    if (!manifest) return;
    const remote = (manifest.dependencies ?? []).filter(
      (dependency) => dependency.group !== 'devDependencies' && REMOTE.has(dependency.type),
    );
    if (remote.length === 0) return;
    yield {
      path: node.path,
      message: `${manifest.name}@${manifest.version} installs ${remote.length} dependenc${remote.length === 1 ? 'y' : 'ies'} from outside the registry: ${remote
        .slice(0, 4)
        .map((dependency) => `${dependency.name} (${dependency.type}: ${dependency.spec})`)
        .join(', ')}`,
      evidence: remote.slice(0, 10).map((dependency) => ({
        role: 'primary' as const,
        node: node.path,
        snippet: `"${dependency.group}": { "${dependency.name}": ${JSON.stringify(dependency.spec)} }`.slice(
          0,
          200,
        ),
      })),
    };
  },
};

export const NPM_MANIFEST_RULES = [npmManifestConfusion, npmDependencyRemoteSpec] as const;
