import type { Analyzer } from '../core/plugin.js';
import { npmManifestAnalyzer } from './npm-manifest.js';

/** The analyzers a scan runs by default, in order. Later issues add PE, Authenticode, JS... */
export function defaultAnalyzers(): Analyzer[] {
  return [npmManifestAnalyzer];
}
