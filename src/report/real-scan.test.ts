/**
 * The reports of real scans: the engine run over the committed archive fixtures (zip-slip, tar
 * traversal, encrypted entries, bombs, duplicates, zip64, asar, npm tarballs) and the demo
 * release. Whatever the engine produces must validate against the JSON schema and the CycloneDX
 * 1.6 schema, and every gap must reach the text report.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import * as CDX from '@cyclonedx/cyclonedx-library';
import Ajv2020 from 'ajv/dist/2020.js';
import addFormats from 'ajv-formats';
import { beforeAll, describe, expect, it } from 'vitest';
import type { ScanResult } from '../core/scan-result.js';
import { scan } from '../pipeline/scan.js';
import { renderReport } from './index.js';
import { SCAN_REPORT_SCHEMA_URL } from './schema-enums.js';

const ARCHIVES = fileURLToPath(new URL('../../test/fixtures/archives/data/', import.meta.url));
const DEMO = fileURLToPath(new URL('../../demo/exampledesk-1.0.0.zip', import.meta.url));
const inputs = [
  ...(existsSync(DEMO) ? [DEMO] : []),
  ...(existsSync(ARCHIVES)
    ? readdirSync(ARCHIVES)
        .sort()
        .map((name) => `${ARCHIVES}${name}`)
    : []),
];
if (inputs.length === 0) {
  console.warn(`report real-scan tests skipped: neither ${DEMO} nor ${ARCHIVES} exists`);
}

const ajv = new Ajv2020.default({ strict: true, allErrors: true });
addFormats.default(ajv);
const validateReport = ajv.compile(JSON.parse(readFileSync(SCAN_REPORT_SCHEMA_URL, 'utf8')));
const cdxValidator = new CDX.Validation.JsonStrictValidator(CDX.Spec.Version.v1dot6);

describe.skipIf(inputs.length === 0)('when real archives are scanned', () => {
  let results: Array<[string, ScanResult]> = [];

  beforeAll(async () => {
    // Tight limits keep the bombs quick, and turn them into gaps for the reports to show.
    const limits = { maxTotalBytes: 64 * 1024 * 1024, maxFileBytes: 16 * 1024 * 1024 };
    results = [
      ['every fixture as one input each', await scan(inputs, { limits })],
      ['the fixtures folder as one input', await scan([ARCHIVES.slice(0, -1)], { limits })],
    ];
  }, 120_000);

  it('gives JSON reports that validate against the schema', () => {
    for (const [name, result] of results) {
      const valid = validateReport(JSON.parse(renderReport(result, 'json')));
      expect(valid ? '' : `${name}: ${JSON.stringify(validateReport.errors?.slice(0, 5))}`).toBe('');
    }
  });

  it('drops nothing the engine reported (a field the renderer does not know fails here)', () => {
    for (const [, result] of results) {
      expect(JSON.parse(renderReport(result, 'json'))).toEqual(JSON.parse(JSON.stringify(result)));
    }
  });

  it('gives CycloneDX SBOMs that pass the strict validator', async () => {
    for (const [, result] of results) {
      expect(await cdxValidator.validate(renderReport(result, 'cyclonedx'))).toBeNull();
    }
  });

  it('lists every gap of the scan in the text report', () => {
    const [, result] = results[0]!;
    expect(result.gaps.length).toBeGreaterThan(0);
    const text = renderReport(result, 'text', { tree: true });
    expect(text).toMatch(/parts? (was|were) not looked at/);
    for (const gap of result.gaps.slice(0, 50)) expect(text).toContain(gap.code);
  });

  it('shows each flagged node in the text tree with its flags', () => {
    const [, result] = results[0]!;
    const flagged = result.nodes.filter((node) => node.flags.length > 0);
    expect(flagged.length).toBeGreaterThan(0);
    const text = renderReport(result, 'text', { tree: true });
    for (const node of flagged) expect(text).toContain(`[${node.flags.join(', ')}]`);
  });
});
