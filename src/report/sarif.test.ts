import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import Ajv from 'ajv';
import addFormats from 'ajv-formats';
import type { Log, Result } from 'sarif';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ScanResult } from '../core/scan-result.js';
import { compileIocIndex } from '../intel/ioc/match.js';
import { parseIocText } from '../intel/ioc/parse-text.js';
import { huntLogFiles } from '../pipeline/hunt.js';
import { scan } from '../pipeline/scan.js';
import { type VetResult, vet } from '../pipeline/vet.js';
import { ruleCatalogue } from './rule-catalogue.js';
import { FINGERPRINT_KEY, fileUri, renderSarif, toHuntSarif, toScanSarif, toVetSarif } from './sarif.js';

const root = fileURLToPath(new URL('../..', import.meta.url));
const fixtures = join(root, 'test/fixtures/sarif');
const release = (version: string) =>
  relative(process.cwd(), join(root, 'test/fixtures/vet/data/releases', `ExampleDesk-${version}.zip`));

/**
 * The official SARIF 2.1.0 schema is draft-04; ajv 8 reads it as draft-07 once the root `id` is
 * `$id` (see test/fixtures/sarif/README.md: no draft-04-only keyword is used).
 */
async function sarifValidator() {
  const text = await readFile(join(fixtures, 'sarif-schema-2.1.0.json'), 'utf8');
  const schema = JSON.parse(text) as { id: string; $schema: string } & Record<string, unknown>;
  const { id, $schema: _draft04, ...rest } = schema;
  const ajv = new Ajv.default({ strict: false, allErrors: true });
  addFormats.default(ajv);
  const validate = ajv.compile({ ...rest, $id: id });
  return (log: unknown): string[] => {
    // Round-trip through JSON: what is validated is what a reader gets.
    const ok = validate(JSON.parse(JSON.stringify(log)));
    return ok ? [] : (validate.errors ?? []).map((error) => `${error.instancePath} ${error.message}`);
  };
}

let validate: Awaited<ReturnType<typeof sarifValidator>>;
let dir: string;
let trojanized: VetResult;
beforeAll(async () => {
  validate = await sarifValidator();
  dir = await mkdtemp(join(tmpdir(), 'countersign-sarif-'));
  trojanized = await vet([release('1.0.2')], [release('1.0.1')], { digests: ['sha256'] });
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

const results = (log: Log): Result[] => log.runs[0]?.results ?? [];

describe('the SARIF schema check itself', () => {
  it('accepts the spec example', async () => {
    const log = JSON.parse(await readFile(join(fixtures, 'spec-example-minimal-valid.sarif.json'), 'utf8'));
    expect(validate(log)).toEqual([]);
  });

  it('accepts real osv-scanner output once its snapshot placeholder is a real folder', async () => {
    const text = await readFile(join(fixtures, 'osv-scanner-scan-with-vulns.sarif.json'), 'utf8');
    // go-snaps replaced the machine's folder with `<rootdir>`, which is not a URI reference.
    expect(validate(JSON.parse(text))).toContainEqual(
      expect.stringContaining('must match format "uri-reference"'),
    );
    expect(validate(JSON.parse(text.replaceAll('<rootdir>', '/src')))).toEqual([]);
  });

  it('rejects a log with an unknown level, a missing message and a bad version', () => {
    const broken = {
      version: '2.0.0',
      runs: [{ tool: { driver: { name: 'x' } }, results: [{ ruleId: 'a', level: 'fatal' }] }],
    };
    const errors = validate(broken);
    expect(errors.some((error) => error.startsWith('/version'))).toBe(true);
    expect(errors.some((error) => error.includes('/results/0/level'))).toBe(true);
    expect(errors.some((error) => error.includes("must have required property 'message'"))).toBe(true);
  });
});

describe('when a trojanized release is scanned', () => {
  let scanned: ScanResult;
  let log: Log;
  beforeAll(async () => {
    scanned = await scan([release('1.0.2')], { digests: ['sha256'] });
    log = JSON.parse(renderSarif(toScanSarif(scanned))) as Log;
  });

  it('writes a log that validates against the official SARIF 2.1.0 schema', () => {
    expect(validate(log)).toEqual([]);
    expect(log.version).toBe('2.1.0');
  });

  it('describes every scan and intel rule in tool.driver.rules', () => {
    const rules = log.runs[0]!.tool.driver.rules ?? [];
    const expected = ruleCatalogue(['scan', 'intel']).map((rule) => rule.id);
    expect(rules.map((rule) => rule.id)).toEqual(expected);
    const rule = rules.find((candidate) => candidate.id === 'pe.authenticode.data-after-signature')!;
    expect(rule.name).toBe('PeAuthenticodeDataAfterSignature');
    expect(rule.shortDescription?.text).toBe('Data hidden inside the certificate table after the signature');
    expect(rule.fullDescription?.text.length).toBeGreaterThan(40);
    expect(rule.help?.markdown).toContain('**Remediation.**');
    expect(rule.defaultConfiguration?.level).toBe('error');
    expect(rule.properties).toMatchObject({
      severity: 'high',
      confidence: 'high',
      'security-severity': '8.0',
      tags: expect.arrayContaining(['threat.evasion.signed-payload']),
    });
  });

  it('locates the planted d3dcompiler_47.dll in the zip on disk and by its nested node path', () => {
    const finding = scanned.findings.find((item) => item.ruleId === 'pe.authenticode.data-after-signature')!;
    const result = results(log).find((item) => item.ruleId === finding.ruleId)!;
    const rules = log.runs[0]!.tool.driver.rules!;
    expect(rules[result.ruleIndex!]!.id).toBe(finding.ruleId);
    expect(result.level).toBe('error');
    const location = result.locations![0]!;
    expect(location.physicalLocation?.artifactLocation?.uri).toBe(release('1.0.2'));
    // The byte range is inside the nested DLL, not in the zip: no physical region.
    expect(location.physicalLocation?.region).toBeUndefined();
    expect(location.logicalLocations?.[0]?.fullyQualifiedName).toBe(
      'ExampleDesk-1.0.2.zip!/ExampleDesk/d3dcompiler_47.dll',
    );
    expect(result.partialFingerprints?.[FINGERPRINT_KEY]).toBe(finding.fingerprint);
    expect(result.properties?.evidence).toEqual([
      expect.objectContaining({ role: 'primary', range: finding.evidence[0]!.range }),
    ]);
  });
});

describe('when a folder with a script is scanned', () => {
  it('gives the line of the evidence as a physical region of the file itself', async () => {
    const folder = relative(
      process.cwd(),
      join(root, 'test/fixtures/vet/data/pairs/npm-capability-added/candidate'),
    );
    const scanned = await scan([folder], { digests: ['sha256'] });
    const log = toScanSarif(scanned);
    expect(validate(log)).toEqual([]);
    const finding = scanned.findings.find((item) => item.ruleId === 'js.capability.network')!;
    const result = results(log).find((item) => item.ruleId === 'js.capability.network')!;
    const physical = result.locations![0]!.physicalLocation!;
    expect(physical.artifactLocation?.uri).toBe(`${folder}/package/index.js`);
    expect(physical.region?.startLine).toBe(finding.evidence[0]!.line!.start);
    expect(physical.region?.snippet?.text).toContain('https.request');
    expect(result.level).toBe('note');
  });
});

describe('when the 3CX-style release 1.0.2 is vetted against 1.0.1', () => {
  let log: Log;
  beforeAll(() => {
    log = JSON.parse(renderSarif(toVetSarif(trojanized))) as Log;
  });

  it('validates against the schema and describes diff, scan and intel rules', () => {
    expect(validate(log)).toEqual([]);
    const ids = log.runs[0]!.tool.driver.rules!.map((rule) => rule.id);
    expect(ids).toEqual(ruleCatalogue(['diff', 'scan', 'intel']).map((rule) => rule.id));
  });

  it('reports both planted tamperings as new, with the baseline file as a related location', () => {
    const cited = results(log).map(
      (result) => `${result.ruleId} ${result.locations?.[0]?.logicalLocations?.[0]?.fullyQualifiedName}`,
    );
    expect(cited).toContain('component.stock-changed ExampleDesk-1.0.2.zip!/ExampleDesk/ffmpeg.dll');
    expect(cited).toContain('pe.capability.added ExampleDesk-1.0.2.zip!/ExampleDesk/ffmpeg.dll');
    expect(cited).toContain(
      'pe.authenticode.anomaly.added ExampleDesk-1.0.2.zip!/ExampleDesk/d3dcompiler_47.dll',
    );
    const stock = results(log).find((result) => result.ruleId === 'component.stock-changed')!;
    expect(stock.baselineState).toBe('new');
    const related = stock.relatedLocations!.map((location) => [
      location.physicalLocation?.artifactLocation?.uri,
      location.logicalLocations?.[0]?.fullyQualifiedName,
    ]);
    expect(related).toContainEqual([release('1.0.1'), 'ExampleDesk-1.0.1.zip!/ExampleDesk/ffmpeg.dll']);
  });

  it('carries the verdict, its reasons and each finding’s points', () => {
    const verdict = log.runs[0]!.properties!.verdict as {
      decision: string;
      reasons: string[];
      score: { total: number };
    };
    expect(verdict.decision).toBe('block');
    expect(verdict.score.total).toBe(trojanized.verdict.score.total);
    expect(verdict.reasons.length).toBeGreaterThan(0);
    const points = results(log).map((result) => result.properties?.points as number);
    expect(points).toEqual(trojanized.verdict.score.lines.map((line) => line.points));
    expect(results(log).every((result) => result.properties?.verdict === 'block')).toBe(true);
  });

  it('keeps the findings’ own fingerprints, which do not change from one run to the next', async () => {
    expect(results(log).map((result) => result.partialFingerprints?.[FINGERPRINT_KEY])).toEqual(
      trojanized.findings.map((finding) => finding.fingerprint),
    );
    const again = toVetSarif(await vet([release('1.0.2')], [release('1.0.1')], { digests: ['sha256'] }));
    expect(results(again).map((result) => result.partialFingerprints)).toEqual(
      results(log).map((result) => result.partialFingerprints),
    );
  });
});

describe('when part of an input could not be looked at', () => {
  it('reports each coverage gap as a tool execution notification', async () => {
    const broken = join(dir, 'cut short.zip');
    const whole = await readFile(join(root, 'test/fixtures/vet/data/releases/ExampleDesk-1.0.2.zip'));
    await writeFile(broken, whole.subarray(0, 600));
    const scanned = await scan([broken], { digests: ['sha256'] });
    expect(scanned.gaps.length).toBeGreaterThan(0);
    const log = toScanSarif(scanned);
    expect(validate(log)).toEqual([]);
    const invocation = log.runs[0]!.invocations![0]!;
    expect(invocation.properties).toMatchObject({ complete: false, gaps: scanned.gaps.length });
    expect(invocation.toolExecutionNotifications!.map((note) => note.descriptor?.id)).toEqual(
      scanned.gaps.map((gap) => gap.code),
    );
  });
});

describe('when a file name needs escaping in a URI', () => {
  it('percent-encodes relative paths and writes absolute ones as file: URLs', () => {
    expect(fileUri('dist/<script>alert(1)</script> v2.zip')).toBe(
      'dist/%3Cscript%3Ealert(1)%3C/script%3E%20v2.zip',
    );
    expect(fileUri('../up/a#b.zip')).toBe('../up/a%23b.zip');
    expect(fileUri('/opt/apps/a b.zip')).toBe('file:///opt/apps/a%20b.zip');
  });
});

describe('when logs are hunted', () => {
  it('gives each hit a line region, a stable fingerprint and a rule per indicator type', async () => {
    const logFile = join(dir, 'proxy.log');
    await writeFile(
      logFile,
      [
        '1700000000.000 12 10.0.0.5 TCP_MISS/200 512 GET http://clean.example.invalid/ok - DIRECT/1.1.1.1 text/html',
        '1700000001.000 12 10.0.0.7 TCP_MISS/200 512 GET http://c2.bad.invalid/icon1.ico - DIRECT/1.1.1.1 image/x-icon',
      ].join('\n'),
    );
    const iocs = compileIocIndex(parseIocText('c2.bad.invalid\n', { source: 'test-list' }).indicators);
    const hunted = await huntLogFiles([logFile], iocs);
    expect(hunted.hits.length).toBeGreaterThan(0);
    const log = toHuntSarif(hunted);
    expect(validate(log)).toEqual([]);
    const [first] = results(log);
    expect(first!.ruleId).toBe('hunt.domain');
    expect(log.runs[0]!.tool.driver.rules![first!.ruleIndex!]!.id).toBe('hunt.domain');
    expect(first!.locations![0]!.physicalLocation?.region?.startLine).toBe(2);
    expect(first!.locations![0]!.physicalLocation?.artifactLocation?.uri).toBe(fileUri(logFile));
    expect(first!.partialFingerprints?.[FINGERPRINT_KEY]).toMatch(/^[0-9a-f]{32}$/);
    expect(toHuntSarif(hunted).runs[0]!.results![0]!.partialFingerprints).toEqual(first!.partialFingerprints);
  });
});
