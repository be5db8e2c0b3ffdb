import type { Evidence } from '../../core/findings.js';
import type { NodePath } from '../../core/node-path.js';
import { HASH_TYPES, type Indicator } from '../../intel/ioc/types.js';
import type { IntelRule, IocHit, OsvHit } from './hits.js';

type Instance = { path: NodePath; message: string; evidence: Evidence[] };

function describeSource(indicator: Indicator): string {
  const { name, reference, location } = indicator.source;
  return [name, location, reference].filter(Boolean).join(', ');
}

function osvInstance(hit: OsvHit, path: NodePath): Instance {
  const { record, reasons } = hit.match;
  const how = reasons
    .map((reason) => (reason.kind === 'digest' ? `tarball ${reason.digest.algorithm} digest` : 'version'))
    .join(' and ');
  return {
    path,
    message:
      `${hit.package.name}@${hit.package.version} is named by ${record.id}` +
      `${record.summary ? ` (${record.summary})` : ''}, matched by ${how}; record from ${record.origin}`,
    evidence: [...hit.evidence],
  };
}

function iocInstance(hit: IocHit, path: NodePath, what: string): Instance {
  const { indicator, observable, kind } = hit.match;
  const via = kind === 'exact' ? '' : ` (${kind} match)`;
  return {
    path,
    message:
      `${what} ${JSON.stringify(observable.value)} matches ${indicator.type} indicator ` +
      `${JSON.stringify(indicator.original)}${via} from ${describeSource(indicator)}` +
      `${indicator.description ? `: ${indicator.description}` : ''}`,
    evidence: [...hit.evidence],
  };
}

const isHash = (indicator: Indicator) => (HASH_TYPES as readonly string[]).includes(indicator.type);

/** A package an OSV malicious-package record names: it must not be installed at all. */
export const maliciousPackageRule: IntelRule = {
  id: 'intel.malicious-package',
  version: 1,
  title: 'Package is a known malicious release',
  identifies: 'threat.intel.malicious-package',
  severity: 'critical',
  confidence: 'high',
  scope: 'node',
  rationale:
    'OSV `MAL-` records (ossf/malicious-packages, GitHub CWE-506 advisories) name releases that were published ' +
    'to attack their installers: typosquats, account takeovers such as the 2025 chalk/debug compromise. ' +
    'Withdrawn records are left out, so a hit is a current verdict.',
  remediation:
    'Block the release; remove it from lockfiles and caches, and treat machines that installed it as exposed.',
  references: ['https://github.com/ossf/malicious-packages', 'https://ossf.github.io/osv-schema/'],
  *evaluate({ node, hits }) {
    for (const hit of hits) {
      if (hit.source === 'osv' && hit.match.classification.class === 'malicious-package') {
        yield osvInstance(hit, node.path);
      }
    }
  },
};

/** A package an OSV vulnerability record names: a known flaw, not an attack. */
export const vulnerabilityRule: IntelRule = {
  id: 'intel.vulnerability',
  version: 1,
  title: 'Package version has a known vulnerability',
  identifies: 'threat.intel.vulnerability',
  severity: 'medium',
  confidence: 'high',
  scope: 'node',
  rationale:
    'The version falls in an affected range of an OSV advisory (SEMVER or npm ECOSYSTEM events, explicit ' +
    'versions). The record says how severe and where it is fixed.',
  remediation: 'Upgrade to a fixed version named by the advisory, or document why the flaw is not reachable.',
  references: ['https://osv.dev/'],
  *evaluate({ node, hits }) {
    for (const hit of hits) {
      if (hit.source === 'osv' && hit.match.classification.class === 'vulnerability') {
        yield osvInstance(hit, node.path);
      }
    }
  },
};

/** The node's bytes are a file an IOC set lists by digest. */
export const iocHashRule: IntelRule = {
  id: 'intel.ioc.hash',
  version: 1,
  title: 'File digest is a known indicator of compromise',
  identifies: 'threat.intel.ioc',
  severity: 'critical',
  confidence: 'high',
  scope: 'node',
  rationale:
    'An md5, sha1, sha256 or sha512 of this exact content is listed by an IOC set (e.g. the trojanised 3CX ' +
    'installers and `ffmpeg.dll`). A digest match is the same bytes, not a look-alike.',
  remediation: 'Quarantine the file, find where it came from and which machines ran it.',
  references: ['https://github.com/Neo23x0/signature-base/tree/master/iocs'],
  *evaluate({ node, hits }) {
    for (const hit of hits) {
      if (hit.source === 'ioc' && isHash(hit.match.indicator)) yield iocInstance(hit, node.path, 'digest');
    }
  },
};

/** A host the node's code or strings name is an IOC domain or IP (directly, under it, or as a URL's host). */
export const iocDomainRule: IntelRule = {
  id: 'intel.ioc.domain',
  version: 1,
  title: 'Code names a known malicious host',
  identifies: 'threat.intel.ioc',
  severity: 'high',
  confidence: 'medium',
  scope: 'node',
  rationale:
    'Domains and IPs extracted from PE strings and JavaScript match a C2 or staging host of an IOC set. ' +
    'Subdomains and URL hosts count; a host named in a string need not be contacted, hence medium confidence.',
  remediation:
    'Check whether and when the code contacts the host; block the host at the proxy and DNS resolver.',
  references: ['https://github.com/Neo23x0/signature-base/tree/master/iocs'],
  *evaluate({ node, hits }) {
    for (const hit of hits) {
      if (hit.source !== 'ioc') continue;
      const { type } = hit.match.indicator;
      if (type === 'domain' || type === 'ip') yield iocInstance(hit, node.path, hit.match.observable.type);
    }
  },
};

/** A URL in the node's code or strings is an IOC URL or fits an IOC URL pattern. */
export const iocUrlRule: IntelRule = {
  id: 'intel.ioc.url',
  version: 1,
  title: 'Code names a known malicious URL',
  identifies: 'threat.intel.ioc',
  severity: 'high',
  confidence: 'high',
  scope: 'node',
  rationale:
    "A whole URL, or a URL pattern such as 3CX's `raw.githubusercontent.com/IconStorages/images/main/icon%d.ico`, " +
    'is far more specific than a host: the payload fetch of a known campaign.',
  remediation: 'Treat the file as part of the campaign the indicator belongs to; block the URL.',
  references: ['https://github.com/Neo23x0/signature-base/tree/master/iocs'],
  *evaluate({ node, hits }) {
    for (const hit of hits) {
      if (hit.source !== 'ioc') continue;
      const { type } = hit.match.indicator;
      if (type === 'url' || type === 'url-pattern') yield iocInstance(hit, node.path, 'URL');
    }
  },
};

/** The node's name or path is one an IOC set lists (dropped payloads, trojanised installers). */
export const iocFilenameRule: IntelRule = {
  id: 'intel.ioc.filename',
  version: 1,
  title: 'File name or path is a known indicator',
  identifies: 'threat.intel.ioc',
  severity: 'medium',
  confidence: 'low',
  scope: 'node',
  rationale:
    'Names and path patterns (`C:\\ProgramData\\TPM\\winscard.dll`, `3CXDesktopApp-18.12.416.msi`) say where ' +
    'a campaign dropped files. Anyone can name a file anything, so the name alone is a lead, not a verdict.',
  remediation: "Compare the file's digest with the release it claims to be; look at who wrote it and when.",
  references: ['https://github.com/Neo23x0/signature-base/blob/master/iocs/filename-iocs.txt'],
  *evaluate({ node, hits }) {
    for (const hit of hits) {
      if (hit.source !== 'ioc') continue;
      const { type } = hit.match.indicator;
      if (type === 'filename' || type === 'path-pattern') yield iocInstance(hit, node.path, 'path');
    }
  },
};

/** A YARA rule of a loaded rule set matched the node's bytes. */
export const yaraRule: IntelRule = {
  id: 'intel.yara',
  version: 1,
  title: 'Content matches a YARA rule',
  identifies: 'threat.intel.yara',
  severity: 'high',
  confidence: 'medium',
  scope: 'node',
  rationale:
    'YARA rules from threat research (signature-base and others) describe malware families by byte patterns ' +
    "and structure. The rule's author, reference and the matched offsets are in the evidence to check.",
  remediation: "Read the rule's reference, check the matched bytes, and quarantine the file if they hold.",
  references: ['https://virustotal.github.io/yara-x/', 'https://github.com/SigmaHQ/Detection-Rule-License'],
  *evaluate({ node }) {
    for (const fact of node.facts) {
      if (fact.kind !== 'yara.match') continue;
      const author = fact.meta.author === undefined ? '' : ` by ${String(fact.meta.author)}`;
      const reference = fact.meta.reference === undefined ? '' : ` (${String(fact.meta.reference)})`;
      const strings = fact.strings.map((item) => `${item.identifier}@${item.offset}`).join(', ');
      yield {
        path: node.path,
        message:
          `YARA rule ${fact.rule}${author}${reference} matched` +
          `${strings ? ` at ${strings}${fact.truncated ? ' and more' : ''}` : ' (condition only)'}` +
          `${fact.meta.description ? `: ${String(fact.meta.description)}` : ''}`,
        evidence:
          fact.strings.length > 0
            ? fact.strings.map((item, index) => ({
                role: index === 0 ? ('primary' as const) : ('supporting' as const),
                node: node.path,
                range: { offset: item.offset, length: item.length },
                snippet: `${item.identifier} ${item.hex}`,
              }))
            : [{ role: 'primary' as const, node: node.path, snippet: fact.rule }],
      };
    }
  },
};

/** Every intel rule, in the order findings are reported. */
export const INTEL_RULES: readonly IntelRule[] = [
  maliciousPackageRule,
  vulnerabilityRule,
  iocHashRule,
  iocUrlRule,
  iocDomainRule,
  iocFilenameRule,
  yaraRule,
];
