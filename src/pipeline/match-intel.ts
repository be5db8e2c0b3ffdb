import type { Evidence, Finding } from '../core/findings.js';
import { NESTING_SEPARATOR, type NodePath } from '../core/node-path.js';
import type { ScanNode, ScanResult } from '../core/scan-result.js';
import type { IocIndex, Observable } from '../intel/ioc/match.js';
import type { OsvIndex, OsvMatch } from '../intel/osv/match.js';
import type { OsvDigest } from '../intel/osv/types.js';
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
  const digestSeen = new Set<string>();
  const addDigest = (type: 'md5' | 'sha1' | 'sha256' | 'sha512', value: string) => {
    if (digestSeen.has(`${type}:${value}`)) return;
    digestSeen.add(`${type}:${value}`);
    out.push({ observable: { type, value, ref: node.path }, evidence: at({ snippet: `${type} ${value}` }) });
  };
  if (node.digests) {
    for (const type of ['sha256', 'sha1', 'md5'] as const) {
      const value = node.digests[type];
      if (value) addDigest(type, value);
    }
  }
  // An npm tarball also has the digests a registry publishes (sha512 above all): IOC lists use them.
  for (const fact of node.facts) {
    if (fact.kind === 'npm.tarball')
      for (const digest of fact.digests) addDigest(digest.algorithm, digest.hex);
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

/**
 * Where a node sits among npm packages: the tarball whose root `package.json` it is, or, for a
 * tarball, whether its root manifest was found (then the digest match is reported there, once).
 */
export interface NpmPackageContext {
  /** For a root `package.json` inside a tarball: that tarball's digests. */
  tarballDigestsOf(node: ScanNode): readonly OsvDigest[] | undefined;
  /** For a tarball node: true when a root `package.json` of it was analyzed. */
  hasRootManifest(node: ScanNode): boolean;
}

const NO_PACKAGES: NpmPackageContext = { tarballDigestsOf: () => undefined, hasRootManifest: () => false };

/** The tarball an inner path `package/package.json` (one folder down) belongs to, by path. */
function rootManifestContainer(path: string): string | undefined {
  const cut = path.lastIndexOf(NESTING_SEPARATOR);
  if (cut === -1) return undefined;
  const inner = path.slice(cut + NESTING_SEPARATOR.length);
  return /^[^/]+\/package\.json$/.test(inner) ? path.slice(0, cut) : undefined;
}

/** The npm package context of a finished tree (see NpmPackageContext). */
export function npmPackageContext(nodes: readonly ScanNode[]): NpmPackageContext {
  const tarballs = new Map<string, readonly OsvDigest[]>();
  for (const node of nodes) {
    for (const fact of node.facts) if (fact.kind === 'npm.tarball') tarballs.set(node.path, fact.digests);
  }
  if (tarballs.size === 0) return NO_PACKAGES;
  const withManifest = new Set<string>();
  for (const node of nodes) {
    const container = rootManifestContainer(node.path);
    if (container && tarballs.has(container) && node.facts.some((fact) => fact.kind === 'npm.manifest'))
      withManifest.add(container);
  }
  return {
    tarballDigestsOf: (node) => {
      const container = rootManifestContainer(node.path);
      return container === undefined ? undefined : tarballs.get(container);
    },
    hasRootManifest: (node) => withManifest.has(node.path),
  };
}

/** Everything the intel says about one node, before rules judge it. */
export function intelHitsOf(
  node: ScanNode,
  intel: IntelIndexes,
  options: MatchIntelOptions = {},
  packages: NpmPackageContext = NO_PACKAGES,
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
      const digests = packages.tarballDigestsOf(node);
      const pkg = { ecosystem: 'npm', name: fact.name, version: fact.version };
      for (const match of intel.osv.lookup({ ...pkg, ...(digests ? { digests } : {}) }).matches) {
        hits.push({
          source: 'osv',
          match,
          package: pkg,
          evidence: [
            { role: 'primary', node: node.path, snippet: `${fact.name}@${fact.version}` },
            ...digestEvidence(
              match,
              node.path.slice(0, node.path.lastIndexOf(NESTING_SEPARATOR)) as NodePath,
            ),
          ],
        });
      }
    }
    // A tarball whose manifest is missing or unreadable is still known by its digest.
    for (const fact of node.facts) {
      if (fact.kind !== 'npm.tarball' || packages.hasRootManifest(node)) continue;
      // Looked up by digest alone; the tarball's file name stands in for the package in the message.
      const pkg = { ecosystem: 'npm', name: node.name, version: '(no manifest)' };
      const query = { ecosystem: 'npm', name: '', version: '', digests: fact.digests };
      for (const match of intel.osv.lookup(query).matches) {
        hits.push({ source: 'osv', match, package: pkg, evidence: digestEvidence(match, node.path) });
      }
    }
  }
  return hits;
}

/** The tarball digests a record named, as evidence on the tarball node. */
function digestEvidence(match: OsvMatch, tarball: NodePath): Evidence[] {
  return match.reasons.flatMap((reason) =>
    reason.kind === 'digest'
      ? [
          {
            role: 'primary' as const,
            node: tarball,
            snippet: `${reason.digest.algorithm} ${reason.digest.hex}${reason.digest.filename ? ` (${reason.digest.filename})` : ''}`,
          },
        ]
      : [],
  );
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
  const packages = npmPackageContext(result.nodes);
  const inputs: IntelRuleInput[] = result.nodes.map((node) => ({
    node,
    hits: intelHitsOf(node, intel, options, packages),
  }));
  return evaluateIntelRules(INTEL_RULES, inputs);
}
