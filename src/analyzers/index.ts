import type { Analyzer } from '../core/plugin.js';
import { createAuthenticodeAnalyzer } from './authenticode.js';
import { createJsCapabilitiesAnalyzer } from './js/analyzer.js';
import { lockfileAnalyzer } from './lockfile.js';
import { createMsiSignatureAnalyzer } from './msi-signature.js';
import { npmManifestAnalyzer } from './npm-manifest.js';
import { peAnalyzer } from './pe.js';

export interface AnalyzerSettings {
  /** DER certificates that Authenticode chains must end in (empty: every chain is "untrusted root"). */
  readonly trustAnchors?: readonly Uint8Array[];
  /** The clock Authenticode validity is judged by (tests fix it). */
  readonly now?: () => Date;
}

/** The analyzers a scan runs, in order. Each accepts nodes by type, so order only affects fact order. */
export function defaultAnalyzers(settings: AnalyzerSettings = {}): Analyzer[] {
  return [
    npmManifestAnalyzer,
    lockfileAnalyzer,
    peAnalyzer,
    createAuthenticodeAnalyzer({
      trustAnchors: settings.trustAnchors ?? [],
      ...(settings.now ? { now: settings.now } : {}),
    }),
    createMsiSignatureAnalyzer({
      trustAnchors: settings.trustAnchors ?? [],
      ...(settings.now ? { now: settings.now } : {}),
    }),
    // Also names the packages each script requires: whether a new dependency is used at all.
    createJsCapabilitiesAnalyzer(),
  ];
}
