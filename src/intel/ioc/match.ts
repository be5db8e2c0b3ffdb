import { BlockList, isIP } from 'node:net';
import { type LinearPattern, mustCompileLinearPattern } from './linear-pattern.js';
import { canonicalIp, normaliseDomain, normaliseUrl } from './normalize.js';
import { HASH_TYPES, type HashType, type Indicator } from './types.js';

export const OBSERVABLE_TYPES = ['md5', 'sha1', 'sha256', 'sha512', 'domain', 'ip', 'url', 'path'] as const;
export type ObservableType = (typeof OBSERVABLE_TYPES)[number];

/** Something seen: a node's digest, a domain or URL from code or logs, an IP, a file path. */
export interface Observable {
  readonly type: ObservableType;
  readonly value: string;
  /** Where it was seen (node path, log file and line); carried into the match untouched. */
  readonly ref?: string;
}

export const MATCH_KINDS = ['exact', 'subdomain', 'cidr', 'url-host', 'pattern', 'filename'] as const;
export type MatchKind = (typeof MATCH_KINDS)[number];

export interface IocMatch {
  readonly indicator: Indicator;
  readonly observable: Observable;
  /** How it matched: `subdomain` (cdn.evil.com under evil.com), `url-host` (a URL's host), ... */
  readonly kind: MatchKind;
}

export interface IocIndexOptions {
  /** When expiry is judged (default: now). Expired indicators are left out of the index. */
  readonly at?: Date;
}

/** Indicators compiled for matching; build once, match many observables. */
export interface IocIndex {
  readonly size: number;
  readonly expired: number;
  /** The digest algorithms the indexed hash indicators use: a caller computes only these. */
  readonly hashTypes: ReadonlySet<HashType>;
  /** Every hash indicator's value (lowercase hex): a cheap first test before `match`. */
  readonly hashValues: ReadonlySet<string>;
  match(observable: Observable): IocMatch[];
}

/** Longest path or URL tested against patterns; longer ones are cut (patterns stay linear anyway). */
const MAX_PATTERN_INPUT = 32 * 1024;

export function compileIocIndex(indicators: Iterable<Indicator>, options: IocIndexOptions = {}): IocIndex {
  const now = (options.at ?? new Date()).getTime();
  const exact = new Map<string, Indicator[]>();
  const cidrs: { indicator: Indicator; list: BlockList }[] = [];
  const urlPatterns: { indicator: Indicator; pattern: LinearPattern }[] = [];
  const pathPatterns: { indicator: Indicator; pattern: LinearPattern }[] = [];
  let size = 0;
  let expired = 0;
  const hashTypes = new Set<HashType>();
  const hashValues = new Set<string>();
  for (const indicator of indicators) {
    if (indicator.expiresAt !== undefined && Date.parse(indicator.expiresAt) <= now) {
      expired += 1;
      continue;
    }
    size += 1;
    if ((HASH_TYPES as readonly string[]).includes(indicator.type)) {
      hashTypes.add(indicator.type as HashType);
      hashValues.add(indicator.value);
    }
    if (indicator.type === 'ip' && indicator.value.includes('/')) {
      const [address, bits] = indicator.value.split('/');
      const list = new BlockList();
      list.addSubnet(address!, Number(bits), isIP(address!) === 6 ? 'ipv6' : 'ipv4');
      cidrs.push({ indicator, list });
    } else if (indicator.type === 'url-pattern') {
      urlPatterns.push({ indicator, pattern: mustCompileLinearPattern(indicator.value) });
    } else if (indicator.type === 'path-pattern') {
      pathPatterns.push({ indicator, pattern: mustCompileLinearPattern(indicator.value) });
    } else {
      push(exact, key(indicator.type, indicator.value), indicator);
    }
  }

  const matchDomain = (host: string, observable: Observable, viaUrl: boolean): IocMatch[] => {
    const out: IocMatch[] = [];
    // evil.com matches evil.com and every name under it; walk the suffixes of the observed host.
    const labels = host.split('.');
    for (let i = 0; i < labels.length - 1; i += 1) {
      const suffix = labels.slice(i).join('.');
      for (const indicator of exact.get(key('domain', suffix)) ?? []) {
        out.push({ indicator, observable, kind: viaUrl ? 'url-host' : i === 0 ? 'exact' : 'subdomain' });
      }
    }
    return out;
  };
  const matchIp = (ip: string, observable: Observable, viaUrl: boolean): IocMatch[] => {
    const out: IocMatch[] = (exact.get(key('ip', ip)) ?? []).map((indicator) => ({
      indicator,
      observable,
      kind: viaUrl ? ('url-host' as const) : ('exact' as const),
    }));
    const family = isIP(ip) === 6 ? 'ipv6' : 'ipv4';
    for (const { indicator, list } of cidrs) {
      if (list.check(ip, family)) out.push({ indicator, observable, kind: 'cidr' });
    }
    return out;
  };

  return {
    size,
    expired,
    hashTypes,
    hashValues,
    match(observable: Observable): IocMatch[] {
      const value = observable.value.trim();
      switch (observable.type) {
        case 'md5':
        case 'sha1':
        case 'sha256':
        case 'sha512':
          return hashMatches(exact, observable.type, value.toLowerCase(), observable);
        case 'domain': {
          const host = normaliseDomain(value);
          return host === undefined ? [] : matchDomain(host, observable, false);
        }
        case 'ip': {
          const ip = canonicalIp(value);
          return ip === undefined ? [] : matchIp(ip, observable, false);
        }
        case 'url': {
          const url = normaliseUrl(value);
          if (url === undefined) return [];
          const out: IocMatch[] = (exact.get(key('url', url)) ?? []).map((indicator) => ({
            indicator,
            observable,
            kind: 'exact' as const,
          }));
          const hostname = new URL(url).hostname;
          const ip = canonicalIp(hostname);
          if (ip !== undefined) out.push(...matchIp(ip, observable, true));
          else {
            const host = normaliseDomain(hostname);
            if (host !== undefined) out.push(...matchDomain(host, observable, true));
          }
          const input = url.slice(0, MAX_PATTERN_INPUT);
          for (const { indicator, pattern } of urlPatterns) {
            if (pattern.test(input)) out.push({ indicator, observable, kind: 'pattern' });
          }
          return out;
        }
        case 'path': {
          // Patterns are written for Windows paths (signature-base): compare with `\` separators.
          const windowsPath = value.replace(/\//g, '\\');
          const name = windowsPath.split('\\').at(-1)!.toLowerCase();
          const out: IocMatch[] = (exact.get(key('filename', name)) ?? []).map((indicator) => ({
            indicator,
            observable,
            kind: 'filename' as const,
          }));
          const input = windowsPath.slice(0, MAX_PATTERN_INPUT);
          for (const { indicator, pattern } of pathPatterns) {
            if (pattern.test(input)) out.push({ indicator, observable, kind: 'pattern' });
          }
          return out;
        }
      }
    },
  };
}

/** Matches observables against indicators (or a compiled index). */
export function matchIocs(
  indicators: Iterable<Indicator> | IocIndex,
  observables: Iterable<Observable>,
  options: IocIndexOptions = {},
): IocMatch[] {
  const index = isIndex(indicators) ? indicators : compileIocIndex(indicators, options);
  const out: IocMatch[] = [];
  for (const observable of observables) out.push(...index.match(observable));
  return out;
}

function isIndex(value: Iterable<Indicator> | IocIndex): value is IocIndex {
  return typeof (value as IocIndex).match === 'function';
}

function hashMatches(
  exact: Map<string, Indicator[]>,
  type: HashType,
  hex: string,
  observable: Observable,
): IocMatch[] {
  return (exact.get(key(type, hex)) ?? []).map((indicator) => ({
    indicator,
    observable,
    kind: 'exact' as const,
  }));
}

function key(type: string, value: string): string {
  return `${type}\u0000${value}`;
}

function push<K, V>(map: Map<K, V[]>, k: K, value: V): void {
  const list = map.get(k);
  if (list === undefined) map.set(k, [value]);
  else list.push(value);
}
