/**
 * The JSON report: a ScanResult as documented by `schemas/scan-report.schema.json`.
 *
 * Keys come out in a fixed order (the schema's), whatever order the engine built its objects in,
 * so two scans of the same input give byte-identical reports apart from times and durations, and
 * reports diff cleanly. Open-ended objects (facts, gap details) get their keys sorted.
 */
import type { CoverageGap } from '../core/coverage.js';
import type { Evidence, Finding } from '../core/findings.js';
import type { Limits } from '../core/limits.js';
import type { Digests, ScanNode, ScanResult, ScanStats, ScanSubject } from '../core/scan-result.js';

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

/** Builds an object with keys in the given order, leaving out those whose value is undefined. */
function ordered(entries: ReadonlyArray<readonly [string, Json | undefined]>): { [key: string]: Json } {
  const out: { [key: string]: Json } = {};
  for (const [key, value] of entries) {
    if (value !== undefined) out[key] = value;
  }
  return out;
}

/** Plain data with object keys sorted, recursively: for shapes the schema leaves open. */
function toJson(value: unknown): Json {
  if (value === null || typeof value === 'boolean' || typeof value === 'string') return value;
  if (typeof value === 'number') return value;
  if (typeof value === 'bigint') return value.toString();
  if (value instanceof Date) return value.toISOString();
  if (Array.isArray(value)) return value.map((item) => toJson(item));
  if (typeof value === 'object') {
    const record = value as Record<string, unknown>;
    return ordered(
      Object.keys(record)
        .sort()
        .map((key) => [key, record[key] === undefined ? undefined : toJson(record[key])] as const),
    );
  }
  return null;
}

function digestsJson(digests: Digests): Json {
  return ordered([
    ['sha256', digests.sha256],
    ['sha1', digests.sha1],
    ['md5', digests.md5],
  ]);
}

function limitsJson(limits: Limits): Json {
  return ordered([
    ['maxDepth', limits.maxDepth],
    ['maxFiles', limits.maxFiles],
    ['maxTotalBytes', limits.maxTotalBytes],
    ['maxFileBytes', limits.maxFileBytes],
    ['maxCompressionRatio', limits.maxCompressionRatio],
    ['ratioFloorBytes', limits.ratioFloorBytes],
    ['inMemoryBytes', limits.inMemoryBytes],
  ]);
}

function subjectJson(subject: ScanSubject): Json {
  return ordered([
    ['path', subject.path],
    ['name', subject.name],
    ['size', subject.size],
    ['type', subject.type],
    ['digests', digestsJson(subject.digests)],
  ]);
}

function factJson(fact: { readonly kind: string }): Json {
  const { kind, ...rest } = fact;
  const body = toJson(rest) as { [key: string]: Json };
  return { kind, ...body };
}

function nodeJson(node: ScanNode): Json {
  return ordered([
    ['path', node.path],
    ['parent', node.parent],
    ['depth', node.depth],
    ['name', node.name],
    ['entryKind', node.entryKind],
    ['type', node.type],
    ['size', node.size],
    ['digests', node.digests && digestsJson(node.digests)],
    ['entropy', node.entropy],
    ['lines', node.lines],
    ['flags', [...node.flags]],
    ['linkTarget', node.linkTarget],
    ['mtime', node.mtime],
    ['unpackedBy', node.unpackedBy],
    ['facts', node.facts.map(factJson)],
  ]);
}

function gapJson(gap: CoverageGap): Json {
  return ordered([
    ['node', gap.node],
    ['code', gap.code],
    ['stage', gap.stage],
    ['plugin', gap.plugin],
    ['message', gap.message],
    ['details', gap.details && toJson(gap.details)],
  ]);
}

function evidenceJson(evidence: Evidence): Json {
  return ordered([
    ['role', evidence.role],
    ['node', evidence.node],
    [
      'range',
      evidence.range &&
        ordered([
          ['offset', evidence.range.offset],
          ['length', evidence.range.length],
        ]),
    ],
    [
      'line',
      evidence.line &&
        ordered([
          ['start', evidence.line.start],
          ['end', evidence.line.end],
        ]),
    ],
    ['column', evidence.column],
    ['snippet', evidence.snippet],
  ]);
}

function findingJson(finding: Finding): Json {
  return ordered([
    ['ruleId', finding.ruleId],
    ['ruleVersion', finding.ruleVersion],
    ['identifies', finding.identifies],
    ['title', finding.title],
    ['severity', finding.severity],
    ['confidence', finding.confidence],
    ['path', finding.path],
    ['message', finding.message],
    ['evidence', finding.evidence.map(evidenceJson)],
    ['references', [...finding.references]],
    ['fingerprint', finding.fingerprint],
  ]);
}

function statsJson(stats: ScanStats): Json {
  return ordered([
    ['nodes', stats.nodes],
    ['files', stats.files],
    ['containers', stats.containers],
    ['bytes', stats.bytes],
    ['gaps', stats.gaps],
    ['durationMs', stats.durationMs],
  ]);
}

/** The report as plain JSON data, keys in schema order. */
export function toReportJson(result: ScanResult): { [key: string]: Json } {
  return ordered([
    ['schemaVersion', result.schemaVersion],
    [
      'tool',
      ordered([
        ['name', result.tool.name],
        ['version', result.tool.version],
      ]),
    ],
    ['startedAt', result.startedAt],
    ['finishedAt', result.finishedAt],
    ['limits', limitsJson(result.limits)],
    ['digestAlgorithms', [...result.digestAlgorithms]],
    ['subjects', result.subjects.map(subjectJson)],
    ['stats', statsJson(result.stats)],
    ['gaps', result.gaps.map(gapJson)],
    ['findings', result.findings.map(findingJson)],
    ['nodes', result.nodes.map(nodeJson)],
  ]);
}

/** Pretty JSON, two-space indented, ending in a newline. */
export function renderJson(result: ScanResult): string {
  return `${JSON.stringify(toReportJson(result), null, 2)}\n`;
}
