import type { Analyzer } from '../core/plugin.js';
import type { DigestAlgorithm } from '../core/scan-result.js';
import { npmTarballAnalyzer } from './osv/tarball-analyzer.js';
import type { LoadedIntel } from './store-files.js';

/**
 * What a scan must compute for the loaded intel to match, and no more: the digests the hash
 * indicators use (sha256 always: it names every node), and the tarball digests of npm packages
 * when an OSV record or an IOC list names tarballs that way.
 */
export function digestsForIntel(intel: Pick<LoadedIntel, 'iocs'> | undefined): DigestAlgorithm[] {
  const wanted: DigestAlgorithm[] = ['sha256'];
  for (const type of ['sha1', 'md5'] as const) if (intel?.iocs?.hashTypes.has(type)) wanted.push(type);
  return wanted;
}

/** Analyzers the matching needs besides the YARA one (which `scan` adds itself). */
export function intelAnalyzers(intel: Pick<LoadedIntel, 'iocs' | 'osv'> | undefined): Analyzer[] {
  const needsTarballDigests =
    (intel?.osv?.digestAlgorithms.size ?? 0) > 0 || (intel?.iocs?.hashTypes.has('sha512') ?? false);
  return needsTarballDigests ? [npmTarballAnalyzer] : [];
}
