import { readFileSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import Ajv2020 from 'ajv/dist/2020.js';
import addFormats from 'ajv-formats';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DETECTED_TYPES } from '../core/detected-type.js';
import { ERROR_CODES } from '../core/errors.js';
import type { Fact } from '../core/facts.js';
import type { Finding } from '../core/findings.js';
import type { NodePath } from '../core/node-path.js';
import {
  DIGEST_ALGORITHMS,
  NODE_FLAGS,
  SCAN_REPORT_SCHEMA_VERSION,
  type ScanNode,
  type ScanResult,
} from '../core/scan-result.js';
import { CONFIDENCES, SEVERITIES } from '../core/severity.js';
import { jsonReportChunks, renderJson, toReportJson, writeJsonReport } from './json.js';
import { readSchemaEnum, SCAN_REPORT_SCHEMA_URL, SCHEMA_ENUMS, syncSchema } from './schema-enums.js';
import {
  hostileNamesResult,
  normaliseVolatile,
  releaseZipResult,
  singleFileResult,
  twoSubjectsResult,
} from './test-results.js';

const schema = JSON.parse(readFileSync(SCAN_REPORT_SCHEMA_URL, 'utf8')) as Record<string, Untyped>;

// biome-ignore lint/suspicious/noExplicitAny: reports are broken on purpose along untyped paths
type Untyped = any;

const SYNC_HINT = 'the code changed a vocabulary: run `npx tsx src/report/schema-enums.ts --write`';

function makeValidator() {
  const ajv = new Ajv2020.default({ strict: true, allErrors: true });
  addFormats.default(ajv);
  return ajv.compile(schema);
}
const validate = makeValidator();

/** A rendered report parsed back, ready to be broken on purpose. */
function report(): Record<string, Untyped> {
  return JSON.parse(renderJson(releaseZipResult({ withFinding: true })));
}

function errorsOf(data: unknown): string {
  return validate(data) ? '' : JSON.stringify(validate.errors);
}

/** Reverses the key order of every object: the engine may build its objects in any order. */
function shuffleKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(shuffleKeys);
  if (value === null || typeof value !== 'object') return value;
  return Object.fromEntries(
    Object.entries(value)
      .reverse()
      .map(([key, inner]) => [key, shuffleKeys(inner)]),
  );
}

describe('when a scan result is rendered as JSON', () => {
  const results = {
    'a release zip with npm tarballs, gaps and a finding': releaseZipResult({ withFinding: true }),
    'a single plain file': singleFileResult(),
    'two inputs': twoSubjectsResult(),
    'entries with hostile names': hostileNamesResult(),
  };

  it.each(Object.entries(results))('validates against the schema: %s', (_name, result) => {
    expect(errorsOf(JSON.parse(renderJson(result)))).toBe('');
  });

  it('loses nothing: parsing the report gives back the result', () => {
    const result = releaseZipResult({ withFinding: true });
    expect(JSON.parse(renderJson(result))).toEqual(JSON.parse(JSON.stringify(result)));
  });

  it('writes keys in a fixed order whatever order the result was built in', () => {
    const result = releaseZipResult({ withFinding: true });
    const shuffled = shuffleKeys(result) as typeof result;
    expect(Object.keys(shuffled)[0]).not.toBe(Object.keys(result)[0]);
    expect(renderJson(shuffled)).toBe(renderJson(result));
  });

  it('puts the summary (subjects, stats, gaps, findings) before the long node list', () => {
    const keys = Object.keys(report());
    expect(keys.indexOf('gaps')).toBeLessThan(keys.indexOf('nodes'));
    expect(keys.indexOf('stats')).toBeLessThan(keys.indexOf('nodes'));
    expect(keys.at(-1)).toBe('nodes');
  });

  it('sorts the keys of open-ended objects (gap details, facts)', () => {
    const parsed = report();
    const gap = parsed.gaps.find((g: { details?: object }) => g.details);
    expect(Object.keys(gap.details)).toEqual(Object.keys(gap.details).toSorted());
    const fact = parsed.nodes.flatMap((node: { facts: object[] }) => node.facts)[0];
    expect(Object.keys(fact)[0]).toBe('kind');
    expect(Object.keys(fact).slice(1)).toEqual(Object.keys(fact).slice(1).toSorted());
  });

  it('is pretty-printed with a final newline', () => {
    const text = renderJson(singleFileResult());
    expect(text.endsWith('}\n')).toBe(true);
    expect(text.split('\n')[1]).toMatch(/^ {2}"schemaVersion"/);
  });

  it('matches the golden file once volatile fields are normalised', async () => {
    const runs = [
      releaseZipResult({ withFinding: true }),
      releaseZipResult({
        withFinding: true,
        volatile: { startedAt: '2030-01-02T03:04:05.678Z', durationMs: 98765, inputDir: '/var/tmp/cs-xyz' },
      }),
    ].map((result) => normaliseVolatile(renderJson(result), result));
    expect(runs[1]).toBe(runs[0]);
    expect(runs[0]).not.toMatch(/2026-11-27T04:00|countersign-test-abc123/);
    await expect(runs[0]).toMatchFileSnapshot('../../test/golden/scan-report.json.golden');
  });
});

describe('when the schema is compared with the code', () => {
  it('carries the report schema version', () => {
    expect(schema.properties.schemaVersion.const).toBe(SCAN_REPORT_SCHEMA_VERSION);
    expect(schema.$id).toMatch(new RegExp(`:${SCAN_REPORT_SCHEMA_VERSION.replaceAll('.', '\\.')}$`));
    expect(renderJson(singleFileResult())).toContain(`"schemaVersion": "${SCAN_REPORT_SCHEMA_VERSION}"`);
  });

  // On failure: `npx tsx src/report/schema-enums.ts --write` copies the code's values into the schema.
  it.each(SCHEMA_ENUMS.map(({ at, values }) => [at.join('/'), at, values] as const))(
    'lists the same values as the code at %s',
    (_where, at, values) => {
      expect(readSchemaEnum(schema, at), SYNC_HINT).toEqual([...values]);
    },
  );

  it('takes its closed vocabularies from the code constants', () => {
    const sources = SCHEMA_ENUMS.map(({ values }) => values);
    for (const constant of [
      DETECTED_TYPES,
      ERROR_CODES,
      NODE_FLAGS,
      DIGEST_ALGORITHMS,
      SEVERITIES,
      CONFIDENCES,
    ]) {
      expect(sources).toContain(constant);
    }
    expect(schema.$defs.detectedType.enum).toEqual([...DETECTED_TYPES]);
    expect(schema.$defs.errorCode.enum).toEqual([...ERROR_CODES]);
    expect(schema.$defs.nodeFlag.enum).toEqual([...NODE_FLAGS]);
  });

  it('is already in sync: syncing it from the code changes nothing', () => {
    expect(syncSchema(schema), SYNC_HINT).toEqual(schema);
  });

  it('describes every property it defines', () => {
    const undescribed: string[] = [];
    for (const [name, def] of Object.entries(schema.$defs as Record<string, Untyped>)) {
      if (def.type === 'object' && !def.description) undescribed.push(name);
    }
    for (const key of Object.keys(schema.properties)) {
      const prop = schema.properties[key];
      if (!prop.description && !prop.$ref) undescribed.push(key);
    }
    expect(undescribed).toEqual([]);
  });
});

describe('when a report is malformed', () => {
  const cases: Array<[string, (r: Record<string, Untyped>) => void, RegExp]> = [
    ['a subject without digests', (r) => delete r.subjects[0].digests, /digests/],
    ['digests without sha256', (r) => delete r.nodes[1].digests.sha256, /sha256/],
    ['a sha256 of the wrong length', (r) => (r.subjects[0].digests.sha256 = 'abc123'), /pattern/],
    ['an upper-case md5', (r) => (r.nodes[1].digests.md5 = r.nodes[1].digests.md5.toUpperCase()), /pattern/],
    ['a node path that is a number', (r) => (r.nodes[2].path = 42), /must be string/],
    ['a parent path that is null', (r) => (r.nodes[2].parent = null), /must be string/],
    ['an unknown detected type', (r) => (r.nodes[1].type = 'docx'), /allowed values/],
    ['an unknown error code', (r) => (r.gaps[0].code = 'E_NOPE'), /allowed values/],
    ['an unknown flag', (r) => (r.nodes[1].flags = ['haunted']), /allowed values/],
    ['an unknown gap stage', (r) => (r.gaps[0].stage = 'later'), /allowed values/],
    ['a negative size', (r) => (r.nodes[1].size = -1), />= 0/],
    ['entropy above 8 bits per byte', (r) => (r.nodes[1].entropy = 8.5), /<= 8/],
    ['a missing findings array', (r) => delete r.findings, /findings/],
    ['an unknown top-level property', (r) => (r.verdict = 'pass'), /additional properties/],
    ['another schema version', (r) => (r.schemaVersion = '2.0.0'), /constant/],
    ['a start time that is not a date-time', (r) => (r.startedAt = 'yesterday'), /date-time/],
    [
      'an npm.manifest fact without a version',
      (r) => delete r.nodes.find((n: Untyped) => n.facts.length > 0).facts[0].version,
      /version/,
    ],
    [
      'a finding with an unknown severity',
      (r) => (r.findings[0].severity = 'catastrophic'),
      /allowed values/,
    ],
    [
      'a finding whose taxonomy is neither capability nor threat',
      (r) => (r.findings[0].identifies = 'risk.x'),
      /pattern/,
    ],
  ];

  it.each(cases)('fails validation: %s', (_name, breakIt, message) => {
    const broken = report();
    expect(errorsOf(broken)).toBe('');
    breakIt(broken);
    expect(errorsOf(broken)).toMatch(message);
  });

  it('accepts facts of kinds it does not know yet (later analyzers add kinds)', () => {
    const r = report();
    r.nodes[1].facts.push({ kind: 'pe.imports', dlls: ['kernel32.dll'] });
    expect(errorsOf(r)).toBe('');
    r.nodes[1].facts.push({ kind: 'Not A Kind' });
    expect(errorsOf(r)).toMatch(/pattern/);
  });
});

/** Strings JSON must escape, or carries raw where JavaScript source may not (U+2028/U+2029). */
const AWKWARD = [
  'say "hi"',
  'back\\slash',
  'line\nbreak\r\ttab',
  '\u0000\u001f\u007f',
  'caf\u00e9 \u6f22\u5b57 \u{1F600}',
  'separators \u2028 and \u2029',
  'lone surrogate \ud800',
  'bidi \u202e override',
  '',
];

/** A node carrying facts with nested objects and arrays, empty ones included, and awkward strings. */
function awkwardNode(parent: ScanNode, i: number): ScanNode {
  const text = AWKWARD[i % AWKWARD.length] ?? '';
  const fact = {
    kind: 'test.awkward',
    text,
    nested: { list: [1, -2.5, 1e21, true, null, text, { deeper: [[], {}] }], empty: {}, none: [] },
    zEmptyString: '',
    aNumber: i,
  } as unknown as Fact;
  return {
    path: `${parent.path}!/dir ${i}/${text}.txt` as NodePath,
    parent: parent.path,
    depth: parent.depth + 1,
    name: `dir ${i}/${text}.txt`,
    entryKind: 'file',
    size: i,
    type: 'text',
    flags: i % 2 === 0 ? [] : ['encrypted'],
    facts: i % 3 === 0 ? [] : [fact, fact],
  };
}

/** The release zip with `count` more nodes, findings with several kinds of evidence, and gaps with details. */
function largeResult(count: number): ScanResult {
  const base = releaseZipResult({ withFinding: true });
  const root = base.nodes[0]!;
  const nodes = [...base.nodes, ...Array.from({ length: count }, (_, i) => awkwardNode(root, i))];
  const finding = base.findings[0]!;
  const findings: Finding[] = [
    ...base.findings,
    {
      ...finding,
      message: AWKWARD.join(' | '),
      evidence: [
        {
          role: 'primary',
          node: root.path,
          range: { offset: 0, length: 16 },
          snippet: 'MZ\u0090\u0000"x"\n',
        },
        { role: 'supporting', node: root.path, line: { start: 3, end: 7 }, column: 12 },
        { role: 'baseline', node: root.path },
      ],
      references: [],
    },
  ];
  const gaps = [
    ...base.gaps,
    {
      ...base.gaps[0]!,
      message: 'separators \u2028\u2029 "quoted"\n',
      details: { z: [{ b: 1, a: [] }], a: { nested: { text: AWKWARD[2] } }, m: {} },
    },
  ];
  return { ...base, nodes, findings, gaps };
}

function expectedText(result: ScanResult): string {
  return `${JSON.stringify(toReportJson(result), null, 2)}\n`;
}

describe('when a JSON report is produced piece by piece', () => {
  const single = singleFileResult();
  const results: Record<string, ScanResult> = {
    'no nodes, findings or gaps at all': { ...single, nodes: [], findings: [], gaps: [], subjects: [] },
    'a single node': single,
    'one gap and one finding, no nodes': {
      ...single,
      nodes: [],
      gaps: releaseZipResult().gaps.slice(0, 1),
      findings: releaseZipResult({ withFinding: true }).findings,
    },
    'a release zip with npm tarballs, gaps and a finding': releaseZipResult({ withFinding: true }),
    'two inputs': twoSubjectsResult(),
    'entries with hostile names': hostileNamesResult(),
    'many nodes with nested facts and strings that need escaping': largeResult(300),
  };

  it.each(Object.entries(results))('joins into exactly the whole document: %s', (_name, result) => {
    const text = [...jsonReportChunks(result)].join('');
    expect(text).toBe(expectedText(result));
    expect(renderJson(result)).toBe(text);
    expect(JSON.parse(text)).toEqual(toReportJson(result));
  });

  it('writes empty arrays as [] and ends in }\\n', () => {
    const text = renderJson({ ...single, nodes: [], findings: [], gaps: [] });
    expect(text).toContain('\n  "gaps": [],\n  "findings": [],\n  "nodes": []\n}\n');
  });

  it('yields the nodes a batch at a time, not one string for the whole tree', () => {
    const result = largeResult(2000);
    const chunks = [...jsonReportChunks(result)];
    // 256 nodes to a chunk at most: 2,000 nodes take at least 8.
    expect(chunks.length).toBeGreaterThanOrEqual(8);
    expect(Math.max(...chunks.map((chunk) => chunk.length))).toBeLessThan(expectedText(result).length / 6);
    expect(chunks.join('')).toBe(expectedText(result));
  });
});

describe('when a JSON report is written to a file or a stream', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'countersign-json-test-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('writes the same bytes as renderJson to a file, in several writes', async () => {
    const result = largeResult(2000);
    const expected = renderJson(result);
    expect(Buffer.byteLength(expected)).toBeGreaterThan(4 * 64 * 1024);
    const file = join(dir, 'report.json');
    await writeJsonReport(result, file);
    expect((await readFile(file)).equals(Buffer.from(expected, 'utf8'))).toBe(true);
  });

  it('writes an empty report to a file', async () => {
    const result = { ...singleFileResult(), nodes: [], findings: [], gaps: [] };
    const file = join(dir, 'empty.json');
    await writeJsonReport(result, file);
    expect(await readFile(file, 'utf8')).toBe(renderJson(result));
  });

  it('waits for a slow stream to drain, batches small pieces, and leaves the stream open', async () => {
    const result = largeResult(2000);
    const received: Buffer[] = [];
    let drains = 0;
    const slow = new Writable({
      highWaterMark: 1024,
      write(chunk: Buffer, _encoding, callback) {
        received.push(chunk);
        setTimeout(callback, 1);
      },
    });
    slow.on('drain', () => drains++);
    await writeJsonReport(result, slow);
    expect(Buffer.concat(received).toString('utf8')).toBe(renderJson(result));
    expect(drains).toBeGreaterThan(0);
    // About 64 KiB per write: not one write per node, and not one write for the whole report.
    expect(received.length).toBeGreaterThan(2);
    expect(received.length).toBeLessThan(result.nodes.length / 10);
    expect(slow.writableEnded).toBe(false);
  });

  it('rejects when the file cannot be created (its folder does not exist)', async () => {
    const file = join(dir, 'no-such-folder', 'report.json');
    await expect(writeJsonReport(largeResult(10), file)).rejects.toMatchObject({ code: 'ENOENT' });
  });

  it('rejects when the stream fails part-way', async () => {
    let writes = 0;
    const failing = new Writable({
      highWaterMark: 1024,
      write(_chunk, _encoding, callback) {
        writes++;
        setImmediate(() => callback(writes >= 2 ? new Error('disk full') : null));
      },
    });
    await expect(writeJsonReport(largeResult(2000), failing)).rejects.toThrow('disk full');
  });

  it('rejects when the stream fails on its last write', async () => {
    const failing = new Writable({
      write(_chunk, _encoding, callback) {
        setImmediate(() => callback(new Error('broken pipe')));
      },
    });
    await expect(writeJsonReport(singleFileResult(), failing)).rejects.toThrow('broken pipe');
  });
});
