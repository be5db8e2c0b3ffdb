import type { Evidence, Finding } from '../core/findings.js';
import type { ScanNode, ScanResult } from '../core/scan-result.js';
import type { IocIndex, Observable } from '../intel/ioc/match.js';
import type { OsvIndex } from '../intel/osv/match.js';
import { evaluateIntelRules, type IntelHit, type IntelRuleInput } from '../rules/intel/hits.js';
import { INTEL_RULES } from '../rules/intel/rules.js';

/** The intel a scan or hunt matches against, compiled once (see `loadIntel` in intel/store-files). */
export interface IntelIndexes {
  readonly iocs?: IocIndex;
  readonly osv?: OsvIndex;
}

export interface MatchIntelOptions {
  /**
   * Match node paths against file-name and path-pattern indicators. Off for `scan` (a vendor's
   * `ffmpeg.dll` is not news), on for `hunt`, where a dropped file's name is a lead.
   */
  readonly paths?: boolean;
  /** Prefix for path observables: the folder the scanned inputs sit in (`C:\Users\x`). */
  readonly pathPrefix?: (node: ScanNode) => string;
}

const URL_IN_TEXT = /\b(?:https?|wss?|ftp):\/\/[^\s'"`<>()\\]+/gi;
const HOST_IN_QUOTES = /['"`]((?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z][a-z0-9-]{1,62})['"`]/gi;

/**
 * Observables of one node with the evidence that points at them: digests, PE string indicators
 * (URLs, domains, IPv4) with file offsets, URLs and quoted hosts from JavaScript facts with lines.
 */
export function nodeObservables(
  node: ScanNode,
  options: MatchIntelOptions = {},
): { observable: Observable; evidence: Evidence }[] {
  const out: { observable: Observable; evidence: Evidence }[] = [];
  const at = (evidence: Omit<Evidence, 'role' | 'node'>): Evidence => ({
    role: 'primary',
    node: node.path,
    ...evidence,
  });
  if (node.digests) {
    for (const type of ['sha256', 'sha1', 'md5'] as const) {
      const value = node.digests[type];
      if (value)
        out.push({
          observable: { type, value, ref: node.path },
          evidence: at({ snippet: `${type} ${value}` }),
        });
    }
  }
  if (options.paths && node.entryKind === 'file') {
    const value = `${options.pathPrefix?.(node) ?? ''}${node.path.replaceAll('!/', '/')}`;
    out.push({ observable: { type: 'path', value, ref: node.path }, evidence: at({ snippet: value }) });
  }
  for (const fact of node.facts) {
    if (fact.kind === 'pe.strings') {
      for (const indicator of fact.indicators) {
        const type =
          indicator.kind === 'url' || indicator.kind === 'format-url'
            ? 'url'
            : indicator.kind === 'domain'
              ? 'domain'
              : indicator.kind === 'ipv4'
                ? 'ip'
                : undefined;
        if (type === undefined) continue;
        const unit = indicator.encoding === 'utf16le' ? 2 : 1;
        const evidence = at({
          range: { offset: indicator.offset, length: indicator.value.length * unit },
          snippet: indicator.value.slice(0, 200),
        });
        out.push({
          observable: { type, value: indicator.value, ref: `${node.path}@${indicator.offset}` },
          evidence,
        });
        if (indicator.kind === 'format-url') {
          // `icon%d.ico` is a URL template: fill it the way the program would, so URL patterns
          // written for the fetched URLs (`icon\d+\.ico`) see one.
          const filled = indicator.value.replace(/%[diu]/g, '1').replace(/%s/g, 'x');
          out.push({
            observable: { type, value: filled, ref: `${node.path}@${indicator.offset}` },
            evidence,
          });
        }
      }
    } else if (fact.kind === 'js.capability') {
      const text = `${fact.snippet}\n${fact.detail ?? ''}`;
      const evidence = at({ line: { start: fact.line }, column: fact.column, snippet: fact.snippet });
      const seen = new Set<string>();
      for (const match of text.matchAll(URL_IN_TEXT)) {
        if (seen.has(match[0])) continue;
        seen.add(match[0]);
        out.push({
          observable: { type: 'url', value: match[0], ref: `${node.path}:${fact.line}` },
          evidence,
        });
      }
      for (const match of text.matchAll(HOST_IN_QUOTES)) {
        const host = match[1]!;
        if (seen.has(host)) continue;
        seen.add(host);
        out.push({ observable: { type: 'domain', value: host, ref: `${node.path}:${fact.line}` }, evidence });
      }
    }
  }
  return out;
}

/** Everything the intel says about one node, before rules judge it. */
export function intelHitsOf(
  node: ScanNode,
  intel: IntelIndexes,
  options: MatchIntelOptions = {},
): IntelHit[] {
  const hits: IntelHit[] = [];
  const seen = new Set<string>();
  if (intel.iocs) {
    for (const { observable, evidence } of nodeObservables(node, options)) {
      for (const match of intel.iocs.match(observable)) {
        const key = `${match.indicator.type}\u0000${match.indicator.value}\u0000${observable.ref ?? ''}\u0000${observable.value}`;
        if (seen.has(key)) continue;
        seen.add(key);
        hits.push({ source: 'ioc', match, evidence: [evidence] });
      }
    }
  }
  if (intel.osv) {
    for (const fact of node.facts) {
      if (fact.kind !== 'npm.manifest') continue;
      const pkg = { ecosystem: 'npm', name: fact.name, version: fact.version };
      for (const match of intel.osv.lookup(pkg).matches) {
        hits.push({
          source: 'osv',
          match,
          package: pkg,
          evidence: [{ role: 'primary', node: node.path, snippet: `${fact.name}@${fact.version}` }],
        });
      }
    }
  }
  return hits;
}

/**
 * Intel findings of a finished scan: every node's digests, extracted hosts and URLs and npm
 * coordinates against the loaded IOC sets and OSV records, plus the `yara.match` facts the YARA
 * analyzer left on nodes. The scan pipeline appends these to its own findings.
 */
export function matchIntel(
  result: ScanResult,
  intel: IntelIndexes,
  options: MatchIntelOptions = {},
): Finding[] {
  const inputs: IntelRuleInput[] = result.nodes.map((node) => ({
    node,
    hits: intelHitsOf(node, intel, options),
  }));
  return evaluateIntelRules(INTEL_RULES, inputs);
}
