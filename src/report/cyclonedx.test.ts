import * as CDX from '@cyclonedx/cyclonedx-library';
import { describe, expect, it } from 'vitest';
import { isCountersignError } from '../core/errors.js';
import type { ScanResult } from '../core/scan-result.js';
import { CYCLONEDX_PROPERTIES, renderCycloneDx } from './cyclonedx.js';
import {
  FIXED_VOLATILE,
  folderResult,
  hostileNamesResult,
  normaliseVolatile,
  releaseZipResult,
  singleFileResult,
  twoSubjectsResult,
} from './test-results.js';

const SERIAL = 'urn:uuid:3e671687-395b-41f5-a30f-a58921a69b79';
const validator = new CDX.Validation.JsonStrictValidator(CDX.Spec.Version.v1dot6);

interface CdxComponent {
  type: string;
  name: string;
  group?: string;
  version?: string;
  purl?: string;
  'bom-ref': string;
  hashes?: Array<{ alg: string; content: string }>;
  licenses?: Array<{ license?: { id?: string; name?: string }; expression?: string }>;
  properties?: Array<{ name: string; value: string }>;
  components?: CdxComponent[];
}
interface CdxBom {
  specVersion: string;
  serialNumber: string;
  metadata: {
    timestamp: string;
    tools: { components: CdxComponent[] };
    component?: CdxComponent;
    properties: Array<{ name: string; value: string }>;
  };
  components?: CdxComponent[];
}

function sbomOf(result: ScanResult): CdxBom {
  return JSON.parse(renderCycloneDx(result, { serialNumber: SERIAL })) as CdxBom;
}

/** Every component of the BOM, nested ones included, with the chain of components above it. */
function flatten(
  components: CdxComponent[] = [],
  above: CdxComponent[] = [],
): Array<[CdxComponent, CdxComponent[]]> {
  return components.flatMap((component) => [
    [component, above] as [CdxComponent, CdxComponent[]],
    ...flatten(component.components, [...above, component]),
  ]);
}

function hashOf(component: CdxComponent, alg: string): string | undefined {
  return component.hashes?.find((hash) => hash.alg === alg)?.content;
}

function propertiesOf(component: CdxComponent, name: string): string[] {
  return (component.properties ?? []).filter((p) => p.name === name).map((p) => p.value);
}

describe('when a scan is rendered as CycloneDX 1.6', () => {
  it.each([
    ['a release zip with npm tarballs and gaps', releaseZipResult({ withFinding: true })],
    ['a single plain file', singleFileResult()],
    ['two inputs', twoSubjectsResult()],
    ['a folder', folderResult()],
    ['a folder and a file', folderResult({ withFileInput: true })],
    ['entries with hostile names', hostileNamesResult()],
  ])('passes the library strict validator: %s', async (_name, result) => {
    expect(await validator.validate(renderCycloneDx(result))).toBeNull();
  });

  it('is checked by a validator that does reject a broken SBOM', async () => {
    const broken = sbomOf(releaseZipResult());
    broken.metadata.component!.hashes![0]!.content = 'not-hex';
    expect(await validator.validate(JSON.stringify(broken))).not.toBeNull();
  });

  const result = releaseZipResult();
  const bom = sbomOf(result);
  const all = flatten(bom.components);
  const files = all.filter(([c]) => c.type === 'file').map(([c]) => c);
  const libraries = all.filter(([c]) => c.type === 'library');

  it('names the tool and its version, and the scan time', () => {
    expect(bom.specVersion).toBe('1.6');
    expect(bom.metadata.tools.components).toEqual([
      expect.objectContaining({ type: 'application', name: 'countersign', version: result.tool.version }),
    ]);
    expect(bom.metadata.timestamp).toBe(result.finishedAt);
  });

  it('describes the input as metadata.component with all its hashes', () => {
    const [subject] = result.subjects;
    const component = bom.metadata.component!;
    expect(component.name).toBe(subject!.name);
    expect(hashOf(component, 'SHA-256')).toBe(subject!.digests.sha256);
    expect(hashOf(component, 'SHA-1')).toBe(subject!.digests.sha1);
    expect(hashOf(component, 'MD5')).toBe(subject!.digests.md5);
  });

  it('has one file component per entry, named by its nested path, with its hashes', () => {
    const entries = result.nodes.filter((node) => node.depth > 0);
    expect(files.map((c) => c.name).toSorted()).toEqual(entries.map((node) => node.path).toSorted());
    for (const node of entries) {
      const component = files.find((c) => c.name === node.path)!;
      expect(hashOf(component, 'SHA-256')).toBe(node.digests?.sha256);
      expect(hashOf(component, 'SHA-1')).toBe(node.digests?.sha1);
      expect(hashOf(component, 'MD5')).toBe(node.digests?.md5);
      expect(propertiesOf(component, CYCLONEDX_PROPERTIES.detectedType)).toEqual([node.type]);
    }
  });

  it('nests each entry inside the component of its container', () => {
    for (const [component, above] of all.filter(([c]) => c.type === 'file')) {
      const node = result.nodes.find((n) => n.path === component.name)!;
      const container = above.at(-1);
      // Entries of the input itself are top-level: the input is metadata.component.
      expect(container?.name ?? result.subjects[0]!.name).toBe(node.parent);
    }
  });

  it('makes each npm package a library with a purl, inside the tarball it came from', () => {
    const manifests = result.nodes.flatMap((node) =>
      node.facts.map((fact) => ({ node, fact: fact as { name: string; version: string } })),
    );
    expect(libraries).toHaveLength(manifests.length);
    const leftPad = libraries.find(([c]) => c.name === 'left-pad')!;
    expect(leftPad[0]).toMatchObject({ version: '1.3.0', purl: 'pkg:npm/left-pad@1.3.0' });
    expect(leftPad[0].licenses).toEqual([{ license: { id: 'WTFPL' } }]);
    expect(leftPad[1].at(-1)!.name).toBe(`${result.subjects[0]!.name}!/vendor/left-pad-1.3.0.tgz`);
    const scoped = libraries.find(([c]) => c.name === 'telemetry')![0];
    expect(scoped).toMatchObject({
      group: '@example',
      version: '2.0.0-beta.1',
      purl: 'pkg:npm/%40example/telemetry@2.0.0-beta.1',
    });
    expect(scoped.licenses).toEqual([{ expression: '(MIT OR Apache-2.0)' }]);
    expect(propertiesOf(scoped, CYCLONEDX_PROPERTIES.lifecycleScript)).toEqual([
      'postinstall: node setup.js',
    ]);
    expect(propertiesOf(scoped, CYCLONEDX_PROPERTIES.manifest)).toEqual([
      manifests.find(({ fact }) => fact.name === '@example/telemetry')!.node.path,
    ]);
  });

  it('keeps a license that names an Object.prototype member (`__proto__`) as a valid named license', async () => {
    const hostile = structuredClone(result) as ScanResult;
    const node = hostile.nodes.find((n) => n.facts.some((fact) => fact.kind === 'npm.manifest'))!;
    (node.facts as unknown as Array<{ kind: string; license?: string }>)
      .filter((fact) => fact.kind === 'npm.manifest')
      .forEach((fact) => {
        fact.license = '__proto__';
      });
    const json = renderCycloneDx(hostile, { serialNumber: SERIAL });
    expect(await validator.validate(json)).toBeNull();
    const named = flatten((JSON.parse(json) as CdxBom).components).map(
      ([c]) => c.licenses?.[0]?.license?.name,
    );
    expect(named).toContain('__proto__');
  });

  it('records gaps and flags as properties, and says the coverage is incomplete', () => {
    expect(bom.metadata.properties).toEqual(
      expect.arrayContaining([
        { name: CYCLONEDX_PROPERTIES.coverage, value: 'incomplete' },
        { name: CYCLONEDX_PROPERTIES.gapCount, value: String(result.gaps.length) },
      ]),
    );
    for (const gap of result.gaps) {
      expect(propertiesOf(files.find((c) => c.name === gap.node)!, CYCLONEDX_PROPERTIES.gap)).toContain(
        gap.code,
      );
    }
    const traversal = result.nodes.find((node) => node.flags.includes('path-traversal'))!;
    expect(propertiesOf(files.find((c) => c.name === traversal.path)!, CYCLONEDX_PROPERTIES.flag)).toEqual([
      'path-traversal',
    ]);
    const link = files.find((c) => c.name.endsWith('app/current'))!;
    expect(link.hashes ?? []).toEqual([]);
    expect(propertiesOf(link, CYCLONEDX_PROPERTIES.linkTarget)).toEqual(['../../etc']);
  });

  it('gives every component a unique bom-ref', () => {
    const refs = all.map(([c]) => c['bom-ref']);
    expect(new Set(refs).size).toBe(refs.length);
  });

  it('keeps two nodes with the same path apart', async () => {
    const duplicated = {
      ...result,
      nodes: [...result.nodes, { ...result.nodes[1]!, flags: ['duplicate-name' as const] }],
    };
    const text = renderCycloneDx(duplicated, { serialNumber: SERIAL });
    expect(await validator.validate(text)).toBeNull();
    const refs = flatten((JSON.parse(text) as CdxBom).components).map(([c]) => c['bom-ref']);
    expect(refs).toContain(`${result.nodes[1]!.path}#2`);
    expect(new Set(refs).size).toBe(refs.length);
  });
});

describe('when a folder was scanned', () => {
  const result = folderResult();
  const bom = sbomOf(result);

  it('describes the folder as the subject, its tree digest as a property, not a file hash', () => {
    const component = bom.metadata.component!;
    expect(component).toMatchObject({ type: 'application', name: 'app' });
    expect(component.hashes ?? []).toEqual([]);
    expect(propertiesOf(component, CYCLONEDX_PROPERTIES.treeSha256)).toEqual([
      result.subjects[0]!.digests.sha256,
    ]);
    expect(flatten(bom.components).map(([c]) => c.name)).toEqual(
      expect.arrayContaining(result.nodes.map((node) => node.path)),
    );
  });

  it('nests the folder files inside the folder when there are several inputs', () => {
    const both = folderResult({ withFileInput: true });
    const sbom = sbomOf(both);
    expect(sbom.metadata.component).toBeUndefined();
    const folder = sbom.components!.find((c) => c.name === 'app')!;
    expect(folder.components!.map((c) => c.name)).toEqual(
      expect.arrayContaining(['app/main.js', 'app/node_modules/left-pad/package.json']),
    );
    expect(sbom.components!.map((c) => c.name)).toContain('setup.sh');
  });
});

describe('when the serial number is given', () => {
  it('is used as is, so the output is reproducible', () => {
    const result = releaseZipResult();
    expect(sbomOf(result).serialNumber).toBe(SERIAL);
    expect(renderCycloneDx(result, { serialNumber: SERIAL })).toBe(
      renderCycloneDx(result, { serialNumber: SERIAL }),
    );
  });

  it('is random otherwise', () => {
    const result = singleFileResult();
    const serials = [1, 2].map(() => (JSON.parse(renderCycloneDx(result)) as CdxBom).serialNumber);
    expect(serials[0]).toMatch(/^urn:uuid:[0-9a-f-]{36}$/);
    expect(serials[0]).not.toBe(serials[1]);
  });

  it('is refused with a typed error when malformed', () => {
    expect.assertions(2);
    try {
      renderCycloneDx(singleFileResult(), { serialNumber: 'not-a-uuid' });
    } catch (error) {
      expect(isCountersignError(error)).toBe(true);
      expect((error as { code: string }).code).toBe('E_USAGE');
    }
  });

  it('matches the golden file once volatile fields are normalised', async () => {
    const other = { startedAt: '2029-02-03T04:05:06.007Z', durationMs: 5, inputDir: '/var/tmp/other' };
    const runs = [FIXED_VOLATILE, other].map((volatile) => {
      const result = releaseZipResult({ withFinding: true, volatile });
      return normaliseVolatile(renderCycloneDx(result, { serialNumber: SERIAL }), result);
    });
    expect(runs[1]).toBe(runs[0]);
    await expect(runs[0]).toMatchFileSnapshot('../../test/golden/scan-report.cdx.json.golden');
  });
});
