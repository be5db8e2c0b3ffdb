import type { Finding } from '../core/findings.js';
import type { ScanResult } from '../core/scan-result.js';
import { compileIocIndex, type IocIndex, type Observable } from '../intel/ioc/match.js';
import { canonicalIp, normaliseDomain, normaliseUrl } from '../intel/ioc/normalize.js';
import { type Indicator, IOC_TYPES, type IocType } from '../intel/ioc/types.js';
import type { IndicatorRecord, Store } from '../store/types.js';
import { matchIntel, nodeObservables } from './match-intel.js';

/**
 * The store's intel on a vetted release: the indicators imported through the API and the import
 * jobs, matched like the IOC files `countersign vet --intel-dir` loads (same observables, same
 * intel rules, same findings). The store is never read whole: the release's observables are
 * looked up by value (digests, hosts and every parent domain, IPs, URLs), and only the
 * indicators no value lookup can find (URL patterns, CIDR blocks) are read, a page at a time,
 * keeping the ones that match. The findings are then made by the ordinary matcher over an index of
 * just the indicators found.
 */

export interface StoredIntelOptions {
  /** Pattern indicators read per query (default 500). */
  readonly pageSize?: number;
  readonly signal?: AbortSignal;
}

/** Stored kinds the IOC matcher knows; other kinds (advisories kept by other importers) are not IOCs. */
const IOC_KINDS: ReadonlySet<string> = new Set(IOC_TYPES);

/** The values under which an observable's indicators are stored, by kind. */
function lookupKeys(observable: Observable, keys: Map<string, Set<string>>): void {
  const add = (kind: string, value: string) => {
    const values = keys.get(kind) ?? new Set<string>();
    keys.set(kind, values);
    values.add(value);
  };
  // evil.invalid matches cdn.evil.invalid: every parent domain is a key (as the matcher walks them).
  const addHost = (host: string) => {
    const ip = canonicalIp(host);
    if (ip !== undefined) return add('ip', ip);
    const domain = normaliseDomain(host);
    if (domain === undefined) return;
    const labels = domain.split('.');
    for (let i = 0; i < labels.length - 1; i += 1) add('domain', labels.slice(i).join('.'));
  };
  const value = observable.value.trim();
  switch (observable.type) {
    case 'md5':
    case 'sha1':
    case 'sha256':
    case 'sha512':
      add(observable.type, value.toLowerCase());
      return;
    case 'domain':
    case 'ip':
      addHost(value);
      return;
    case 'url': {
      const url = normaliseUrl(value);
      if (url === undefined) return;
      add('url', url);
      addHost(new URL(url).hostname);
      return;
    }
    case 'path':
      return; // vets do not match paths (a vendor's ffmpeg.dll is not news)
  }
}

function indicatorOf(
  record: IndicatorRecord,
  sourceNames: ReadonlyMap<string, string>,
): Indicator | undefined {
  if (!IOC_KINDS.has(record.kind)) return undefined;
  const confidence = record.confidence === undefined ? Number.NaN : Number(record.confidence);
  return {
    type: record.kind as IocType,
    value: record.value,
    original: record.value,
    source: {
      name: sourceNames.get(record.sourceId) ?? record.sourceId,
      ...(record.reference !== undefined ? { reference: record.reference } : {}),
    },
    tags: record.tags,
    ...(Number.isFinite(confidence) ? { confidence } : {}),
    ...(record.expiresAt !== undefined ? { expiresAt: record.expiresAt } : {}),
  };
}

/** An index of these indicators, leaving out any whose pattern does not compile (one bad row is not a failed vet). */
function compileLeniently(indicators: readonly Indicator[]): IocIndex {
  try {
    return compileIocIndex(indicators);
  } catch {
    return compileIocIndex(
      indicators.filter((indicator) => {
        try {
          compileIocIndex([indicator]);
          return true;
        } catch {
          return false;
        }
      }),
    );
  }
}

/**
 * IOC findings of a release's scan from the indicators in the store (none when the store holds
 * no matching indicator). The caller adds them to the scan's findings before judging.
 */
export async function storedIntelFindings(
  store: Store,
  result: ScanResult,
  options: StoredIntelOptions = {},
): Promise<Finding[]> {
  const observables = result.nodes.flatMap((node) => nodeObservables(node).map((item) => item.observable));
  if (observables.length === 0) return [];
  const sourceNames = new Map((await store.listIntelSources()).map((source) => [source.id, source.name]));
  const found: Indicator[] = [];

  const keys = new Map<string, Set<string>>();
  for (const observable of observables) lookupKeys(observable, keys);
  for (const [kind, values] of keys) {
    for (const record of await store.findIndicators(kind, [...values])) {
      const indicator = indicatorOf(record, sourceNames);
      if (indicator) found.push(indicator);
    }
    options.signal?.throwIfAborted();
  }

  // Patterns and CIDR blocks: one page compiled at a time, only the matching ones kept.
  const reachable = observables.filter((observable) => observable.type === 'url' || observable.type === 'ip');
  if (reachable.length > 0) {
    let cursor: string | undefined;
    do {
      const page = await store.listPatternIndicators({
        limit: options.pageSize ?? 500,
        ...(cursor ? { cursor } : {}),
      });
      const indicators = page.items.flatMap((record) => indicatorOf(record, sourceNames) ?? []);
      const index = compileLeniently(indicators);
      const hits = new Set<Indicator>();
      for (const observable of reachable)
        for (const match of index.match(observable)) hits.add(match.indicator);
      found.push(...hits);
      cursor = page.next;
      options.signal?.throwIfAborted();
    } while (cursor);
  }

  if (found.length === 0) return [];
  return matchIntel(result, { iocs: compileLeniently(found) });
}
