import type { Indicator, IndicatorSource } from './ioc/types.js';

/** A release a pack says is compromised: what inventory and exposure queries look for. */
export interface AffectedRelease {
  readonly product: string;
  readonly platform: 'windows' | 'macos' | 'linux';
  readonly version: string;
  /** The installer file name the vendor shipped. */
  readonly artifact?: string;
  readonly source: IndicatorSource;
}

/**
 * A curated intel set shipped with Countersign (for one incident), ready to load without a
 * network: indicators in the common shape plus the affected releases, with licence and credit.
 */
export interface IntelPack {
  readonly id: string;
  readonly name: string;
  /** Bumped whenever the pack's content changes. */
  readonly version: number;
  readonly description: string;
  readonly license: { readonly id: string; readonly file: string; readonly attribution: string };
  readonly affectedReleases: readonly AffectedRelease[];
  readonly indicators: readonly Indicator[];
}
