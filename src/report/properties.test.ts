/**
 * Property tests: reports of arbitrary scan results (hostile names in any script, every type,
 * flag and error code, links, gaps, duplicate paths) stay valid and safe to print.
 */
import { readFileSync } from 'node:fs';
import * as CDX from '@cyclonedx/cyclonedx-library';
import Ajv2020 from 'ajv/dist/2020.js';
import addFormats from 'ajv-formats';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { CoverageGap } from '../core/coverage.js';
import { DETECTED_TYPES } from '../core/detected-type.js';
import { ERROR_CODES } from '../core/errors.js';
import { DEFAULT_LIMITS } from '../core/limits.js';
import { childPath, type NodePath, rootPath } from '../core/node-path.js';
import {
  NODE_FLAGS,
  SCAN_REPORT_SCHEMA_VERSION,
  type ScanNode,
  type ScanResult,
} from '../core/scan-result.js';
import { renderCycloneDx } from './cyclonedx.js';
import { renderJson } from './json.js';
import { SCAN_REPORT_SCHEMA_URL } from './schema-enums.js';
import { renderText } from './text.js';

const ajv = new Ajv2020.default({ strict: true, allErrors: true });
addFormats.default(ajv);
const validateReport = ajv.compile(JSON.parse(readFileSync(SCAN_REPORT_SCHEMA_URL, 'utf8')));
const cdxValidator = new CDX.Validation.JsonStrictValidator(CDX.Spec.Version.v1dot6);

const hex = (length: number) =>
  fc.string({ unit: fc.constantFrom(...'0123456789abcdef'), minLength: length, maxLength: length });

const entryName = fc.oneof(
  fc.string({ unit: 'binary', maxLength: 24 }),
  fc.string({ unit: 'binary-ascii', maxLength: 24 }),
  fc.constantFrom('../../evil.sh', '/etc/x', 'C:\\x', 'a\u202Efdp.exe', 'x\u001b[2Jy', 'same.txt', 'a\nb'),
);

const nodeSpec = fc.record({
  parentPick: fc.nat(),
  name: entryName,
  kind: fc.constantFrom('file', 'file', 'file', 'symlink', 'hardlink', 'directory') as fc.Arbitrary<
    ScanNode['entryKind']
  >,
  type: fc.constantFrom(...DETECTED_TYPES),
  size: fc.nat({ max: 2 ** 40 }),
  digests: fc.option(fc.record({ sha256: hex(64), sha1: hex(40), md5: hex(32) }), { nil: undefined }),
  entropy: fc.option(fc.double({ min: 0, max: 8, noNaN: true }), { nil: undefined }),
  flags: fc.subarray([...NODE_FLAGS]),
  linkTarget: fc.option(entryName, { nil: undefined }),
  npm: fc.option(
    fc.record({ name: entryName, version: entryName, license: fc.option(entryName, { nil: undefined }) }),
    {
      nil: undefined,
    },
  ),
});

const scanResult: fc.Arbitrary<ScanResult> = fc
  .record({
    rootName: fc.string({ unit: 'binary', minLength: 1, maxLength: 16 }),
    rootDigests: fc.record({ sha256: hex(64), sha1: hex(40), md5: hex(32) }),
    specs: fc.array(nodeSpec, { maxLength: 25 }),
    gapPicks: fc.array(
      fc.record({ pick: fc.nat(), code: fc.constantFrom(...ERROR_CODES), message: entryName }),
      { maxLength: 6 },
    ),
  })
  .map(({ rootName, rootDigests, specs, gapPicks }) => {
    const root: ScanNode = {
      path: rootPath(rootName),
      depth: 0,
      name: rootName,
      entryKind: 'file',
      size: 100,
      digests: rootDigests,
      type: 'zip',
      flags: [],
      unpackedBy: 'unpacker/zip',
      facts: [],
    };
    // Each node's parent is an earlier node, so the list is in pre-order by construction.
    const nodes: ScanNode[] = [root];
    for (const spec of specs) {
      const parent = nodes[spec.parentPick % nodes.length]!;
      nodes.push({
        path: childPath(parent.path, spec.name),
        parent: parent.path,
        depth: parent.depth + 1,
        name: spec.name,
        entryKind: spec.kind,
        size: spec.size,
        ...(spec.digests ? { digests: spec.digests } : {}),
        type: spec.type,
        ...(spec.entropy === undefined ? {} : { entropy: spec.entropy }),
        flags: spec.flags,
        ...(spec.linkTarget === undefined ? {} : { linkTarget: spec.linkTarget }),
        facts: spec.npm
          ? [
              {
                kind: 'npm.manifest' as const,
                name: spec.npm.name,
                version: spec.npm.version,
                ...(spec.npm.license === undefined ? {} : { license: spec.npm.license }),
                lifecycleScripts: {},
              },
            ]
          : [],
      });
    }
    const gaps: CoverageGap[] = gapPicks.map(({ pick, code, message }) => ({
      node: nodes[pick % nodes.length]!.path as NodePath,
      code,
      stage: 'unpack',
      message,
    }));
    return {
      schemaVersion: SCAN_REPORT_SCHEMA_VERSION,
      tool: { name: 'countersign', version: '0.1.0' },
      startedAt: '2026-11-27T04:00:00.000Z',
      finishedAt: '2026-11-27T04:00:01.000Z',
      limits: DEFAULT_LIMITS,
      digestAlgorithms: ['sha256', 'sha1', 'md5'],
      subjects: [{ path: `/tmp/${rootName}`, name: rootName, size: 100, digests: rootDigests, type: 'zip' }],
      nodes,
      gaps,
      findings: [],
      stats: {
        nodes: nodes.length,
        files: nodes.length,
        containers: 1,
        bytes: 0,
        gaps: gaps.length,
        durationMs: 1,
      },
    } satisfies ScanResult;
  });

/** What must never reach a terminal raw (newlines are the report's own). */
const RAW_UNSAFE =
  /[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u200b-\u200f\u2028\u2029\u202a-\u202e\u2060-\u2069\ufeff]/;

describe('when arbitrary scan results are rendered', () => {
  it('the JSON report always validates against the schema', () => {
    fc.assert(
      fc.property(scanResult, (result) => {
        const ok = validateReport(JSON.parse(renderJson(result)));
        if (!ok) throw new Error(JSON.stringify(validateReport.errors?.slice(0, 3)));
      }),
      { numRuns: 200 },
    );
  });

  it('the text report never prints a control or bidi character raw, and flags every gap', () => {
    fc.assert(
      fc.property(scanResult, (result) => {
        const text = renderText(result, { tree: true });
        expect(text).not.toMatch(RAW_UNSAFE);
        expect(text.includes('not looked at')).toBe(result.gaps.length > 0);
        expect(text.split('\n').length).toBeGreaterThan(result.nodes.length);
      }),
      { numRuns: 200 },
    );
  });

  it('the CycloneDX SBOM always passes the strict validator, with unique bom-refs', async () => {
    await fc.assert(
      fc.asyncProperty(scanResult, async (result) => {
        const sbom = renderCycloneDx(result);
        expect(await cdxValidator.validate(sbom)).toBeNull();
        const refs = [...sbom.matchAll(/"bom-ref": ("(?:[^"\\]|\\.)*")/g)].map((m) => JSON.parse(m[1]!));
        expect(new Set(refs).size).toBe(refs.length);
      }),
      { numRuns: 40 },
    );
  });
});
