/**
 * SARIF 2.1.0 for `scan`, `vet`/`diff` and `hunt`, so that code-scanning dashboards and CI
 * gates can read Countersign's findings.
 *
 * Mapping: a rule is a `reportingDescriptor` (title, rationale, remediation, severity,
 * confidence, taxonomy tag); a finding is a `result` whose physical location is the outer file on
 * disk and whose logical location is the nested node path (`a.msi!/b.cab!/ffmpeg.dll`), since a
 * file inside an archive has no URI of its own. `partialFingerprints` carry the finding's stable
 * fingerprint, so SARIF baselines and suppressions survive reruns and, for diff findings, new
 * releases. What was not looked at (coverage gaps) becomes tool execution notifications: a
 * reader sees that the run is partial instead of trusting a short result list.
 */
import { createHash } from 'node:crypto';
import { isAbsolute } from 'node:path';
import { pathToFileURL } from 'node:url';
import type {
  Invocation,
  Location,
  Log,
  Notification,
  Region,
  ReportingDescriptor,
  Result,
  Run,
} from 'sarif';
import type { CoverageGap } from '../core/coverage.js';
import type { Evidence, Finding } from '../core/findings.js';
import { baseName, type NodePath, splitNodePath } from '../core/node-path.js';
import type { ScanResult, ScanSubject } from '../core/scan-result.js';
import type { Severity } from '../core/severity.js';
import { TOOL_VERSION } from '../core/version.js';
import type { HuntHit, HuntResult } from '../pipeline/hunt.js';
import type { VetResult } from '../pipeline/vet.js';
import type { FindingOrigin } from '../pipeline/vet-verdict.js';
import { type RuleDescription, type RuleFamily, ruleCatalogue } from './rule-catalogue.js';

export const SARIF_SCHEMA_URI =
  'https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json';

/** The `partialFingerprints` key; bump the version if `fingerprintOf` ever changes its inputs. */
export const FINGERPRINT_KEY = 'countersign/v1';

const LEVEL: Readonly<Record<Severity, Result.level>> = {
  critical: 'error',
  high: 'error',
  medium: 'warning',
  low: 'note',
  info: 'note',
};

/** GitHub code scanning ranks results by this CVSS-like number (>= 9 critical, >= 7 high, >= 4 medium). */
const SECURITY_SEVERITY: Readonly<Record<Severity, string>> = {
  critical: '9.5',
  high: '8.0',
  medium: '5.5',
  low: '3.0',
  info: '0.0',
};

export function sarifLevel(severity: Severity): Result.level {
  return LEVEL[severity];
}

/** `pe.authenticode.data-after-signature` -> `PeAuthenticodeDataAfterSignature`: SARIF's readable `name`. */
function ruleName(id: string): string {
  return id
    .split(/[^A-Za-z0-9]+/)
    .filter(Boolean)
    .map((word) => word[0]!.toUpperCase() + word.slice(1))
    .join('');
}

function ruleDescriptor(rule: RuleDescription): ReportingDescriptor {
  const references = rule.references.map((reference) => `- ${reference}`).join('\n');
  const helpText = [rule.remediation ?? rule.rationale, ...rule.references].join('\n');
  const helpMarkdown = [
    rule.rationale,
    ...(rule.remediation ? ['', `**Remediation.** ${rule.remediation}`] : []),
    ...(references ? ['', '**References**', '', references] : []),
  ].join('\n');
  return {
    id: rule.id,
    name: ruleName(rule.id),
    shortDescription: { text: rule.title },
    fullDescription: { text: rule.rationale },
    help: { text: helpText, markdown: helpMarkdown },
    ...(rule.references[0] ? { helpUri: rule.references[0] } : {}),
    defaultConfiguration: { level: sarifLevel(rule.severity) },
    properties: {
      severity: rule.severity,
      confidence: rule.confidence,
      precision: rule.confidence,
      'security-severity': SECURITY_SEVERITY[rule.severity],
      family: rule.family,
      scope: rule.scope,
      version: rule.version,
      tags: ['security', 'supply-chain', rule.identifies, rule.family],
    },
  };
}

/** A finding whose rule is not in the catalogue (a plugin's) still gets a descriptor from its own fields. */
function descriptorFromFinding(finding: Finding, family: RuleFamily): RuleDescription {
  return {
    family,
    id: finding.ruleId,
    version: finding.ruleVersion,
    title: finding.title,
    identifies: finding.identifies,
    severity: finding.severity,
    confidence: finding.confidence,
    scope: family === 'diff' ? 'diff' : 'node',
    rationale: finding.title,
    references: finding.references,
  };
}

/** The catalogue's rules for these families, plus any rule only a finding names. */
function rulesFor(families: readonly RuleFamily[], findings: readonly Finding[]): RuleDescription[] {
  const rules = ruleCatalogue(families);
  const known = new Set(rules.map((rule) => rule.id));
  for (const finding of findings) {
    if (known.has(finding.ruleId)) continue;
    known.add(finding.ruleId);
    rules.push(descriptorFromFinding(finding, families[0] ?? 'scan'));
  }
  return rules;
}

/** A relative path as a URI reference (each segment percent-encoded), an absolute one as a file: URL. */
export function fileUri(path: string): string {
  if (isAbsolute(path)) return pathToFileURL(path).href;
  return path
    .split(/[\\/]/)
    .map((segment) => (segment === '.' || segment === '..' ? segment : encodeURIComponent(segment)))
    .join('/');
}

/**
 * Where the outer file of a node path is on disk: its first nesting level, rebased from the
 * subject's name onto the subject's path as given (`candidate/package/x.js` of a folder given as
 * `pairs/candidate` is `pairs/candidate/package/x.js`).
 */
function outerFileResolver(subjects: readonly ScanSubject[]): (path: NodePath) => string {
  return (path) => {
    const outer = splitNodePath(path)[0] ?? '';
    const subject = subjects.find(
      (candidate) => outer === candidate.name || outer.startsWith(`${candidate.name}/`),
    );
    return subject ? `${subject.path}${outer.slice(subject.name.length)}` : outer;
  };
}

/** A byte range or line span in the outer file itself; inside a nested node there is no physical region. */
function regionOf(evidence: Evidence | undefined): Region | undefined {
  if (!evidence) return undefined;
  if (evidence.line) {
    return {
      startLine: evidence.line.start,
      ...(evidence.line.end !== undefined ? { endLine: evidence.line.end } : {}),
      ...(evidence.column !== undefined ? { startColumn: evidence.column } : {}),
      ...(evidence.snippet ? { snippet: { text: evidence.snippet } } : {}),
    };
  }
  if (evidence.range) return { byteOffset: evidence.range.offset, byteLength: evidence.range.length };
  return undefined;
}

function locationOf(
  path: NodePath,
  outerFile: (path: NodePath) => string,
  evidence?: Evidence,
  extra: Partial<Location> = {},
): Location {
  const isNested = splitNodePath(path).length > 1;
  const region = isNested ? undefined : regionOf(evidence);
  return {
    ...extra,
    physicalLocation: {
      artifactLocation: { uri: fileUri(outerFile(path)) },
      ...(region ? { region } : {}),
    },
    logicalLocations: [{ fullyQualifiedName: path, name: baseName(path), kind: 'module' }],
  };
}

function evidenceJson(evidence: Evidence): Record<string, unknown> {
  return {
    role: evidence.role,
    node: evidence.node,
    ...(evidence.range ? { range: { ...evidence.range } } : {}),
    ...(evidence.line ? { line: { ...evidence.line } } : {}),
    ...(evidence.column !== undefined ? { column: evidence.column } : {}),
    ...(evidence.snippet ? { snippet: evidence.snippet } : {}),
  };
}

const BASELINE_STATE: Readonly<Record<FindingOrigin, Result.baselineState>> = {
  diff: 'new',
  candidate: 'new',
  inherited: 'unchanged',
};

function findingResult(
  finding: Finding & { origin?: FindingOrigin },
  ruleIndex: number,
  outerFile: (path: NodePath) => string,
  extraProperties: Record<string, unknown> = {},
): Result {
  const primary = finding.evidence.find((item) => item.role === 'primary' && item.node === finding.path);
  const others = finding.evidence.filter((item) => item !== primary);
  return {
    ruleId: finding.ruleId,
    ruleIndex,
    level: sarifLevel(finding.severity),
    message: { text: finding.message },
    locations: [locationOf(finding.path, outerFile, primary)],
    ...(others.length > 0
      ? {
          relatedLocations: others.map((item, index) =>
            locationOf(item.node, outerFile, item, {
              id: index + 1,
              message: { text: `${item.role}${item.snippet ? `: ${item.snippet}` : ''}` },
            }),
          ),
        }
      : {}),
    partialFingerprints: { [FINGERPRINT_KEY]: finding.fingerprint },
    ...(finding.origin ? { baselineState: BASELINE_STATE[finding.origin] } : {}),
    properties: {
      severity: finding.severity,
      confidence: finding.confidence,
      identifies: finding.identifies,
      ruleVersion: finding.ruleVersion,
      ...(finding.origin ? { origin: finding.origin } : {}),
      evidence: finding.evidence.map(evidenceJson),
      ...extraProperties,
    },
  };
}

function gapNotification(gap: CoverageGap, outerFile: (path: NodePath) => string): Notification {
  return {
    level: 'warning',
    message: { text: `not looked at: ${gap.message}` },
    descriptor: { id: gap.code },
    ...(gap.node ? { locations: [locationOf(gap.node, outerFile)] } : {}),
    properties: { stage: gap.stage, ...(gap.plugin ? { plugin: gap.plugin } : {}) },
  };
}

function invocation(gaps: readonly CoverageGap[], outerFile: (path: NodePath) => string): Invocation {
  return {
    executionSuccessful: true,
    toolExecutionNotifications: gaps.map((gap) => gapNotification(gap, outerFile)),
    properties: { complete: gaps.length === 0, gaps: gaps.length },
  };
}

function driverRun(rules: readonly RuleDescription[], rest: Omit<Run, 'tool'>): Run {
  return {
    tool: {
      driver: {
        name: 'countersign',
        version: TOOL_VERSION,
        semanticVersion: TOOL_VERSION,
        rules: rules.map(ruleDescriptor),
      },
    },
    ...rest,
  };
}

function logOf(run: Run): Log {
  return { $schema: SARIF_SCHEMA_URI, version: '2.1.0', runs: [run] };
}

function indexOfRules(rules: readonly RuleDescription[]): (ruleId: string) => number {
  const index = new Map(rules.map((rule, position) => [rule.id, position]));
  return (ruleId) => index.get(ruleId) ?? -1;
}

/** SARIF of a scan: the scan and intel rules, one result per finding, gaps as notifications. */
export function toScanSarif(result: ScanResult): Log {
  const rules = rulesFor(['scan', 'intel'], result.findings);
  const ruleIndex = indexOfRules(rules);
  const outerFile = outerFileResolver(result.subjects);
  return logOf(
    driverRun(rules, {
      invocations: [invocation(result.gaps, outerFile)],
      results: result.findings.map((finding) => findingResult(finding, ruleIndex(finding.ruleId), outerFile)),
      properties: { subjects: result.subjects.map((subject) => subject.name) },
    }),
  );
}

/**
 * SARIF of a vet (or diff): diff, scan and intel rules; `baselineState` is `new` for findings the
 * trusted baseline did not have and `unchanged` for inherited ones; each result carries its points
 * in the verdict, and the run carries the verdict with its reasons and score breakdown.
 */
export function toVetSarif(result: VetResult): Log {
  const rules = rulesFor(['diff', 'scan', 'intel'], result.findings);
  const ruleIndex = indexOfRules(rules);
  const outerFile = outerFileResolver([...result.candidate.subjects, ...result.baseline.subjects]);
  const { verdict } = result;
  return logOf(
    driverRun(rules, {
      invocations: [invocation(result.gaps, outerFile)],
      results: result.findings.map((finding, index) => {
        const line = verdict.score.lines[index];
        return findingResult(finding, ruleIndex(finding.ruleId), outerFile, {
          verdict: verdict.decision,
          ...(line ? { points: line.points, counted: !line.excluded } : {}),
          ...(line?.excluded ? { excluded: line.excluded } : {}),
        });
      }),
      properties: {
        subjects: result.candidate.subjects.map((subject) => subject.name),
        baselineSubjects: result.baseline.subjects.map((subject) => subject.name),
        verdict: {
          decision: verdict.decision,
          reasons: [...verdict.reasons],
          policy: { ...verdict.policy },
          score: {
            total: verdict.score.total,
            lines: verdict.score.lines.map((line) => ({ ...line })),
          },
        },
        diff: { ...result.diff.counts },
      },
    }),
  );
}

const HUNT_RULE_TEXT = (type: string) =>
  type === 'yara' ? 'YARA rule match' : `${type} indicator of compromise`;

function huntRule(type: string): RuleDescription {
  return {
    family: 'intel',
    id: `hunt.${type}`,
    version: 1,
    title: HUNT_RULE_TEXT(type),
    identifies: type === 'yara' ? 'threat.intel.yara' : 'threat.intel.ioc',
    severity: 'high',
    confidence: 'medium',
    scope: 'node',
    rationale:
      type === 'yara'
        ? 'A file matched a YARA rule from the loaded intel; the rule and its matched strings are the evidence.'
        : `A file or log line shows a ${type} that a loaded indicator set names as a sign of compromise.`,
    remediation:
      'Confirm the hit against the indicator source; isolate the host or remove the file, and look for other signs of the same campaign.',
    references: [],
  };
}

/** Stable over reruns of the same sweep: the indicator and where it was seen, not when. */
function huntFingerprint(hit: HuntHit): string {
  const { where } = hit;
  return createHash('sha256')
    .update(
      [
        hit.indicator.type,
        hit.indicator.value,
        where.file,
        where.node ?? '',
        where.line ?? '',
        where.offset ?? '',
      ].join('\n'),
    )
    .digest('hex')
    .slice(0, 32);
}

function huntLocation(hit: HuntHit): Location {
  const { where } = hit;
  const isNested = where.node?.includes('!/') === true;
  const region: Region | undefined =
    where.line !== undefined
      ? { startLine: where.line, ...(where.snippet ? { snippet: { text: where.snippet } } : {}) }
      : where.offset !== undefined && !isNested
        ? { byteOffset: where.offset, byteLength: where.length ?? 0 }
        : undefined;
  return {
    physicalLocation: { artifactLocation: { uri: fileUri(where.file) }, ...(region ? { region } : {}) },
    ...(where.node ? { logicalLocations: [{ fullyQualifiedName: where.node, kind: 'module' }] } : {}),
  };
}

/** SARIF of a hunt: one rule per indicator type, one result per hit, located by line or byte range. */
export function toHuntSarif(result: HuntResult): Log {
  const types = [...new Set(result.hits.map((hit) => hit.indicator.type))].sort();
  const rules = types.map(huntRule);
  return logOf(
    driverRun(rules, {
      invocations: [invocation(result.gaps, (path) => splitNodePath(path)[0] ?? path)],
      results: result.hits.map((hit) => ({
        ruleId: `hunt.${hit.indicator.type}`,
        ruleIndex: types.indexOf(hit.indicator.type),
        level: 'error',
        message: {
          text: `${hit.indicator.type} ${hit.indicator.original} from ${hit.source.name}${hit.source.location ? ` ${hit.source.location}` : ''} (${hit.how}): ${hit.observed}`,
        },
        locations: [huntLocation(hit)],
        partialFingerprints: { [FINGERPRINT_KEY]: huntFingerprint(hit) },
        properties: {
          indicator: { ...hit.indicator },
          source: { ...hit.source },
          how: hit.how,
          observed: hit.observed,
          ...(hit.where.time ? { time: hit.where.time } : {}),
          ...(hit.where.host ? { host: hit.where.host } : {}),
        },
      })),
      properties: { mode: result.mode, stats: { ...result.stats } },
    }),
  );
}

export function renderSarif(log: Log): string {
  return `${JSON.stringify(log, null, 2)}\n`;
}
