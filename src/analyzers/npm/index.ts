import type { Analyzer } from '../../core/plugin.js';
import type { Packument } from '../../formats/npm/packument.js';
import { createNpmManifestAnalyzer } from '../npm-manifest.js';
import { npmModuleRefsAnalyzer } from './module-refs.js';

export interface NpmAnalyzerSettings {
  /** Registry metadata (`--packument` files) for the packages of the same name. */
  readonly packuments?: readonly Packument[];
}

/**
 * The npm analyzers of a scan, configured: the manifest analyzer (with registry metadata when
 * given) replaces the default one in `analyzers`, and the module-reference analyzer is added when
 * absent. Lets the CLI wire `--packument` without a second list of analyzers.
 */
export function withNpmAnalyzers(
  analyzers: readonly Analyzer[],
  settings: NpmAnalyzerSettings = {},
): Analyzer[] {
  const manifest = createNpmManifestAnalyzer(settings.packuments ? { packuments: settings.packuments } : {});
  const out = analyzers.map((analyzer) => (analyzer.id === manifest.id ? manifest : analyzer));
  if (!out.includes(manifest)) out.unshift(manifest);
  if (!out.some((analyzer) => analyzer.id === npmModuleRefsAnalyzer.id)) out.push(npmModuleRefsAnalyzer);
  return out;
}
