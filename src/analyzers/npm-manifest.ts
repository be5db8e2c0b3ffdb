import type { Analyzer, AnalyzerResult, NodeHead, NodeView } from '../core/plugin.js';

/** The identity of an npm package, read from a `package.json` that sits at a package root. */
export interface NpmManifestFact {
  readonly name: string;
  readonly version: string;
  readonly license?: string;
  /** Lifecycle scripts as written (`preinstall`, `install`, `postinstall`, `prepare`). */
  readonly lifecycleScripts: Readonly<Record<string, string>>;
}

declare module '../core/facts.js' {
  interface FactRegistry {
    'npm.manifest': NpmManifestFact;
  }
}

const LIFECYCLE_SCRIPTS = ['preinstall', 'install', 'postinstall', 'prepare', 'prepublish'] as const;
const MAX_MANIFEST_BYTES = 4 * 1024 * 1024;

export const npmManifestAnalyzer: Analyzer = {
  id: 'analyzer/npm-manifest',
  version: 1,
  accepts(node: NodeHead): boolean {
    return node.name.endsWith('package.json') && node.type === 'json' && node.size <= MAX_MANIFEST_BYTES;
  },
  async analyze(node: NodeView): Promise<AnalyzerResult> {
    const inner = node.path.slice(node.path.lastIndexOf('!/') + 1);
    if (!/(^|\/)package\.json$/.test(inner)) return { facts: [], gaps: [] };
    let manifest: unknown;
    try {
      manifest = JSON.parse(Buffer.from(await node.read()).toString('utf8'));
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
    if (typeof manifest !== 'object' || manifest === null) return { facts: [], gaps: [] };
    const record = manifest as Record<string, unknown>;
    // A package.json without a name and version (a workspace root, a test fixture) is no package.
    if (typeof record.name !== 'string' || typeof record.version !== 'string') return { facts: [], gaps: [] };
    const scripts =
      typeof record.scripts === 'object' && record.scripts !== null
        ? (record.scripts as Record<string, unknown>)
        : {};
    const lifecycleScripts: Record<string, string> = {};
    for (const hook of LIFECYCLE_SCRIPTS) {
      const script = scripts[hook];
      if (typeof script === 'string') lifecycleScripts[hook] = script;
    }
    return {
      facts: [
        {
          kind: 'npm.manifest',
          name: record.name,
          version: record.version,
          ...(typeof record.license === 'string' ? { license: record.license } : {}),
          lifecycleScripts,
        },
      ],
      gaps: [],
    };
  },
};
