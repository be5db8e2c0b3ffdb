/**
 * The JSON report: a ScanResult as documented by `schemas/scan-report.schema.json`.
 *
 * Keys come out in a fixed order (the schema's), whatever order the engine built its objects in,
 * so two scans of the same input give byte-identical reports apart from times and durations, and
 * reports diff cleanly. Open-ended objects (facts, gap details) get their keys sorted.
 */
import { createWriteStream, type WriteStream } from 'node:fs';
import { finished } from 'node:stream/promises';
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
  const out: { [key: string]: Json } = { sha256: digests.sha256 };
  if (digests.sha1 !== undefined) out.sha1 = digests.sha1;
  if (digests.md5 !== undefined) out.md5 = digests.md5;
  return out;
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

/**
 * Built field by field rather than through `ordered` (the same keys in the same order): a report
 * has a node per file, 46,000 on the 2g bench artifact, and the list of pairs per node was most of
 * what writing the report allocated.
 */
function nodeJson(node: ScanNode): Json {
  const out: { [key: string]: Json } = { path: node.path };
  if (node.parent !== undefined) out.parent = node.parent;
  out.depth = node.depth;
  out.name = node.name;
  out.entryKind = node.entryKind;
  out.type = node.type;
  out.size = node.size;
  if (node.digests !== undefined) out.digests = digestsJson(node.digests);
  if (node.entropy !== undefined) out.entropy = node.entropy;
  if (node.lines !== undefined) out.lines = node.lines;
  out.flags = [...node.flags];
  if (node.linkTarget !== undefined) out.linkTarget = node.linkTarget;
  if (node.mtime !== undefined) out.mtime = node.mtime;
  if (node.unpackedBy !== undefined) out.unpackedBy = node.unpackedBy;
  out.facts = node.facts.map(factJson);
  return out;
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

/** The report's head: everything before the three long arrays (gaps, findings, nodes). */
function headJson(result: ScanResult): { [key: string]: Json } {
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
  ]);
}

/** The report as plain JSON data, keys in schema order. */
export function toReportJson(result: ScanResult): { [key: string]: Json } {
  return {
    ...headJson(result),
    gaps: result.gaps.map(gapJson),
    findings: result.findings.map(findingJson),
    nodes: result.nodes.map(nodeJson),
  };
}

const BATCH_HEAD = '{\n  "a": [\n';
const BATCH_TAIL = '\n  ]\n}';

/** Items stringified together (see `arrayChunks`). */
const ITEMS_PER_CHUNK = 256;

/**
 * One top-level array, `,\n  "key": [` … `]`, ITEMS_PER_CHUNK items at a time, laid out exactly as
 * `JSON.stringify(…, null, 2)` lays it out inside the whole document. Strings in JSON text never
 * hold a raw line feed (it is escaped), so re-indenting at each `\n` touches layout only.
 */
function* arrayChunks<T>(key: string, items: readonly T[], render: (item: T) => Json): Generator<string> {
  const head = `,\n  ${JSON.stringify(key)}: `;
  if (items.length === 0) {
    yield `${head}[]`;
    return;
  }
  // A batch of items is stringified as one array one level down (`{"a": [ … ]}`), so its items
  // come out indented by 4 as in the document, and the text between the brackets is the piece.
  // One call per batch instead of one per item: the 2g bench artifact's report (46,000 nodes) took
  // 280 ms to write, 120 ms then; re-indenting a batch stringified at the top level copied the
  // text twice more (a sixth of what a scan of node_modules allocated on its main thread).
  for (let at = 0; at < items.length; at += ITEMS_PER_CHUNK) {
    const batch = JSON.stringify({ a: items.slice(at, at + ITEMS_PER_CHUNK).map(render) }, null, 2);
    // `{\n  "a": [\n` … `\n  ]\n}` without its head and tail: the items, at 4.
    const inner = batch.slice(BATCH_HEAD.length, -BATCH_TAIL.length);
    yield at === 0 ? `${head}[\n${inner}` : `,\n${inner}`;
  }
  yield '\n  ]';
}

/**
 * The text of `renderJson(result)` piece by piece: the head, then the gaps, findings and nodes
 * a batch at a time, so that a large report is never held whole in memory (neither as plain data
 * nor as one string). Joined, the pieces are byte-identical to `JSON.stringify(toReportJson(result), null, 2)`
 * plus a final newline.
 */
export function* jsonReportChunks(result: ScanResult): Generator<string> {
  const head = JSON.stringify(headJson(result), null, 2);
  // The head always has keys (schemaVersion, tool, …), so it ends in `\n}`: reopen it there.
  yield head.slice(0, head.length - '\n}'.length);
  yield* arrayChunks('gaps', result.gaps, gapJson);
  yield* arrayChunks('findings', result.findings, findingJson);
  yield* arrayChunks('nodes', result.nodes, nodeJson);
  yield '\n}\n';
}

/** Pretty JSON, two-space indented, ending in a newline. */
export function renderJson(result: ScanResult): string {
  return [...jsonReportChunks(result)].join('');
}

/** About how much text goes into one `write`: small pieces are batched up to it. */
const WRITE_BATCH_CHARS = 64 * 1024;

/**
 * Writes the JSON report to a stream or a file, piece by piece (see `jsonReportChunks`), in
 * writes of about 64 KiB, waiting for 'drain' whenever the stream asks to. Resolves once the
 * last write is flushed (for a file: once it is closed); rejects on a stream error. A stream
 * passed in is left open (it may be standard output); a file given by path is opened and closed
 * here, and destroyed if writing fails (what was written so far stays).
 */
export async function writeJsonReport(
  result: ScanResult,
  out: NodeJS.WritableStream | string,
): Promise<void> {
  const owned: WriteStream | undefined = typeof out === 'string' ? createWriteStream(out) : undefined;
  const stream: NodeJS.WritableStream = owned ?? (out as NodeJS.WritableStream);
  // Listened to throughout, so an error never goes unhandled (which would end the process); the
  // first one is kept and thrown at the next write even if it came while nothing was waiting.
  const seen: { failure?: { error: unknown } } = {};
  const onError = (error: unknown) => {
    seen.failure ??= { error };
  };
  stream.on('error', onError);
  try {
    let batch = '';
    for (const chunk of jsonReportChunks(result)) {
      batch += chunk;
      if (batch.length < WRITE_BATCH_CHARS) continue;
      if (seen.failure) throw seen.failure.error;
      const text = batch;
      batch = '';
      if (!stream.write(text)) await drained(stream);
    }
    if (seen.failure) throw seen.failure.error;
    if (owned) {
      owned.end(batch);
      await finished(owned);
    } else {
      await new Promise<void>((resolve, reject) => {
        stream.write(batch, (error) => (error ? reject(error) : resolve()));
      });
    }
  } catch (error) {
    owned?.destroy();
    throw error;
  } finally {
    stream.off('error', onError);
  }
}

/** Resolves on the stream's next 'drain'; rejects if it errors or closes first. */
function drained(stream: NodeJS.WritableStream): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    const settle = (error?: unknown) => {
      stream.off('drain', onDrain);
      stream.off('error', onFail);
      stream.off('close', onClose);
      if (error === undefined) resolve();
      else reject(error);
    };
    const onDrain = () => settle();
    const onFail = (error: unknown) => settle(error);
    const onClose = () => settle(new Error('the stream closed before the report was written'));
    stream.on('drain', onDrain);
    stream.on('error', onFail);
    stream.on('close', onClose);
  });
}
