import type { Analyzer } from '../../core/plugin.js';
import type { Packument } from '../../formats/npm/packument.js';
import { createJsCapabilitiesAnalyzer } from '../js/analyzer.js';
import { createNpmManifestAnalyzer } from '../npm-manifest.js';

export interface NpmAnalyzerSettings {
  /** Registry metadata (`--packument` files) for the packages of the same name. */
  readonly packuments?: readonly Packument[];
}

/**
 * The npm analyzers of a scan, configured: the manifest analyzer (with registry metadata when
 * given) replaces the default one in `analyzers`, and the JavaScript analyzer, which names each
 * script's module references, is added when absent. Lets the CLI wire `--packument` without a
 * second list of analyzers.
 */
export function withNpmAnalyzers(
  analyzers: readonly Analyzer[],
  settings: NpmAnalyzerSettings = {},
): Analyzer[] {
  const manifest = createNpmManifestAnalyzer(settings.packuments ? { packuments: settings.packuments } : {});
  const out = analyzers.map((analyzer) => (analyzer.id === manifest.id ? manifest : analyzer));
  if (!out.includes(manifest)) out.unshift(manifest);
  const javascript = createJsCapabilitiesAnalyzer();
  if (!out.some((analyzer) => analyzer.id === javascript.id)) out.push(javascript);
  return out;
}
