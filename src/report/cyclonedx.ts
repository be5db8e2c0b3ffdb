/**
 * The CycloneDX 1.6 JSON SBOM of a scan, made with `@cyclonedx/cyclonedx-library`.
 *
 * - The scanned input is `metadata.component` (with its hashes) when there is one input, and its
 *   contents are the top-level components. With several inputs, each input is a top-level
 *   component and `metadata.component` is left out: CycloneDX has one subject per BOM, and a
 *   synthetic one would be a claim we cannot back.
 * - Every entry of the tree is a `file` component named by its nested node path
 *   (`app.zip!/vendor/x.tgz!/package/index.js`), with SHA-256, SHA-1 and MD5 when computed.
 * - Each npm package found (an `npm.manifest` fact) is a `library` component with a purl.
 * - Nesting is expressed as component nesting (`components` inside a component), not as
 *   `dependencies`: CycloneDX nesting means "this assembly contains that", which is what an archive
 *   is, whereas `dependencies` means "needs at run time", which unpacking cannot tell. Since every
 *   file component's name is its full node path, a consumer that flattens nesting still knows
 *   where each file was.
 * - What Countersign adds (detected type, flags, coverage gaps) goes into properties under the
 *   `countersign:` namespace, so that an SBOM of a partial scan says so.
 */
import { randomUUID } from 'node:crypto';
import type * as CDX from '@cyclonedx/cyclonedx-library';
import type { NpmManifestFact } from '../analyzers/npm-manifest.js';
import { CountersignError } from '../core/errors.js';
import { factsOfKind } from '../core/facts.js';
import { lazyPackage } from '../core/lazy-package.js';
import type { Digests, ScanNode, ScanResult, ScanSubject } from '../core/scan-result.js';
import { npmPurl, splitNpmName } from './purl.js';
import { assertSpdxExpression } from './spdx-expression.js';

export interface CycloneDxOptions {
  /** `urn:uuid:…`; a random one when absent. Fixed in golden tests so output is reproducible. */
  readonly serialNumber?: string;
}

const SERIAL_NUMBER = /^urn:uuid:[0-9a-f]{8}-[0-9a-f]{4}-[1-5][0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

/** Property names this SBOM uses (namespace `countersign:`). */
export const CYCLONEDX_PROPERTIES = {
  detectedType: 'countersign:type',
  entryKind: 'countersign:entry-kind',
  flag: 'countersign:flag',
  linkTarget: 'countersign:link-target',
  gap: 'countersign:gap',
  coverage: 'countersign:coverage',
  gapCount: 'countersign:gaps',
  treeSha256: 'countersign:tree-sha256',
  manifest: 'countersign:npm:manifest',
  lifecycleScript: 'countersign:npm:lifecycle-script',
} as const;

/** The CycloneDX library (a tenth of the CLI's memory when loaded), loaded with the first SBOM. */
const cdx = lazyPackage<typeof CDX>('@cyclonedx/cyclonedx-library');

const HASHES = (): ReadonlyArray<readonly [keyof Digests, CDX.Enums.HashAlgorithm]> => [
  ['sha256', cdx().Enums.HashAlgorithm['SHA-256']],
  ['sha1', cdx().Enums.HashAlgorithm['SHA-1']],
  ['md5', cdx().Enums.HashAlgorithm.MD5],
];

const HEX = { 64: /^[0-9a-f]{64}$/, 40: /^[0-9a-f]{40}$/, 32: /^[0-9a-f]{32}$/ } as const;
const HEX_LENGTH: Record<keyof Digests, keyof typeof HEX> = { sha256: 64, sha1: 40, md5: 32 };

function addHashes(component: CDX.Models.Component, digests: Digests | undefined): void {
  if (!digests) return;
  for (const [key, algorithm] of HASHES()) {
    const value = digests[key];
    // A digest the engine could not compute must not become a hash that matches nothing.
    if (value !== undefined && HEX[HEX_LENGTH[key]].test(value)) component.hashes.set(algorithm, value);
  }
}

/** Hands out bom-refs, unique within the BOM even if two nodes share a path. */
class BomRefs {
  readonly #used = new Set<string>();

  take(wanted: string): string {
    let ref = wanted;
    for (let n = 2; this.#used.has(ref); n++) ref = `${wanted}#${n}`;
    this.#used.add(ref);
    return ref;
  }
}

function property(name: string, value: string): CDX.Models.Property {
  return new (cdx().Models.Property)(name, value);
}

function fileComponent(node: ScanNode, refs: BomRefs, gapCodes: readonly string[]): CDX.Models.Component {
  const component = new (cdx().Models.Component)(cdx().Enums.ComponentType.File, node.path, {
    bomRef: refs.take(node.path),
  });
  addHashes(component, node.digests);
  component.properties.add(property(CYCLONEDX_PROPERTIES.detectedType, node.type));
  if (node.entryKind !== 'file') {
    component.properties.add(property(CYCLONEDX_PROPERTIES.entryKind, node.entryKind));
  }
  if (node.linkTarget !== undefined) {
    component.properties.add(property(CYCLONEDX_PROPERTIES.linkTarget, node.linkTarget));
  }
  for (const flag of node.flags) component.properties.add(property(CYCLONEDX_PROPERTIES.flag, flag));
  for (const code of gapCodes) component.properties.add(property(CYCLONEDX_PROPERTIES.gap, code));
  return component;
}

let licenses: CDX.Contrib.License.Factories.LicenseFactory | undefined;
const licenseFactory = () =>
  (licenses ??= new (cdx().Contrib.License.Factories.LicenseFactory)(assertSpdxExpression));

function libraryComponent(fact: NpmManifestFact, manifest: ScanNode, refs: BomRefs): CDX.Models.Component {
  const { scope, name } = splitNpmName(fact.name);
  const purl = npmPurl(fact.name, fact.version);
  const component = new (cdx().Models.Component)(cdx().Enums.ComponentType.Library, name, {
    bomRef: refs.take(`npm:${manifest.path}`),
    ...(scope === undefined ? {} : { group: scope }),
    version: fact.version,
    ...(purl === undefined ? {} : { purl }),
  });
  if (fact.license !== undefined && fact.license.trim() !== '') {
    // An SPDX id becomes an id, a valid expression an expression, anything else (`SEE LICENSE IN
    // …`, typos) a named license: the manifest's words are kept, never dropped.
    // The library looks SPDX ids up in a plain object: `__proto__` or `constructor` would pass for
    // one and come out as an id-less license that fails validation. Those are names.
    component.licenses.add(
      fact.license in Object.prototype
        ? new (cdx().Models.NamedLicense)(fact.license)
        : licenseFactory().makeFromString(fact.license),
    );
  }
  component.properties.add(property(CYCLONEDX_PROPERTIES.manifest, manifest.path));
  for (const [hook, script] of Object.entries(fact.lifecycleScripts)) {
    component.properties.add(property(CYCLONEDX_PROPERTIES.lifecycleScript, `${hook}: ${script}`));
  }
  return component;
}

/**
 * A folder given as input. CycloneDX has no folder type; `application` is what a folder handed to
 * a vetting tool almost always is (an unpacked app). Its digest is Countersign's own digest over
 * the files' paths and digests, not a file hash, so it is a property rather than a `hashes` entry.
 */
function folderComponent(subject: ScanSubject, refs: BomRefs): CDX.Models.Component {
  const component = new (cdx().Models.Component)(cdx().Enums.ComponentType.Application, subject.name, {
    bomRef: refs.take(`${subject.name}/`),
  });
  component.properties.add(property(CYCLONEDX_PROPERTIES.detectedType, 'directory'));
  if (HEX[64].test(subject.digests.sha256)) {
    component.properties.add(property(CYCLONEDX_PROPERTIES.treeSha256, subject.digests.sha256));
  }
  return component;
}

function toolComponent(result: ScanResult): CDX.Models.Component {
  return new (cdx().Models.Component)(cdx().Enums.ComponentType.Application, result.tool.name, {
    version: result.tool.version,
  });
}

/** Builds the BOM model: useful to callers that want XML or further edits. */
export function buildCycloneDxBom(result: ScanResult, options: CycloneDxOptions = {}): CDX.Models.Bom {
  const serialNumber = options.serialNumber ?? `urn:uuid:${randomUUID()}`;
  if (!SERIAL_NUMBER.test(serialNumber)) {
    throw new CountersignError('E_USAGE', `not a CycloneDX serial number (urn:uuid:…): ${serialNumber}`);
  }
  const bom = new (cdx().Models.Bom)({ serialNumber });
  bom.metadata.timestamp = new Date(result.finishedAt);
  bom.metadata.tools.components.add(toolComponent(result));
  bom.metadata.properties.add(
    property(CYCLONEDX_PROPERTIES.coverage, result.gaps.length === 0 ? 'complete' : 'incomplete'),
  );
  bom.metadata.properties.add(property(CYCLONEDX_PROPERTIES.gapCount, String(result.gaps.length)));

  const gapCodes = new Map<string, string[]>();
  for (const gap of result.gaps) {
    const codes = gapCodes.get(gap.node) ?? [];
    codes.push(gap.code);
    gapCodes.set(gap.node, codes);
  }

  const refs = new BomRefs();
  const isSingle = result.subjects.length === 1;
  // The contents of the one subject of a BOM go at the top level (the subject itself is
  // metadata.component); with several subjects, a folder's files go inside the folder's component.
  const folders: Array<{ prefix: string; holder: CDX.Models.ComponentRepository }> = [];
  const fileSubjects = new Map<string, ScanSubject>();
  for (const subject of result.subjects) {
    if (subject.type !== 'directory') {
      fileSubjects.set(subject.name, subject);
      continue;
    }
    const component = folderComponent(subject, refs);
    if (isSingle) bom.metadata.component = component;
    else bom.components.add(component);
    folders.push({ prefix: `${subject.name}/`, holder: isSingle ? bom.components : component.components });
  }

  /** The component that holds each node's own entries. */
  const holders = new Map<string, CDX.Models.ComponentRepository>();
  const parents = new Map(result.nodes.map((node) => [node.path as string, node.parent]));
  const holderOf = (node: ScanNode): CDX.Models.ComponentRepository => {
    // Walk up past nodes without a component of their own (directory entries) to the nearest that has one.
    const seen = new Set<string>();
    let parent: string | undefined = node.parent;
    while (parent !== undefined && !seen.has(parent)) {
      const holder = holders.get(parent);
      if (holder) return holder;
      seen.add(parent);
      parent = parents.get(parent);
    }
    return folders.find((folder) => node.path.startsWith(folder.prefix))?.holder ?? bom.components;
  };

  for (const node of result.nodes) {
    if (node.entryKind === 'directory') continue;
    const component = fileComponent(node, refs, gapCodes.get(node.path) ?? []);
    if (isSingle && node.depth === 0 && fileSubjects.has(node.path)) {
      bom.metadata.component = component;
      holders.set(node.path, bom.components);
    } else {
      holderOf(node).add(component);
      holders.set(node.path, component.components);
    }
    for (const fact of factsOfKind(node.facts, 'npm.manifest')) {
      holderOf(node).add(libraryComponent(fact, node, refs));
    }
  }
  // An input that could not be read has no node: describe it from what the scan knew.
  const [onlySubject] = result.subjects;
  if (isSingle && onlySubject && !bom.metadata.component) {
    const component = new (cdx().Models.Component)(cdx().Enums.ComponentType.File, onlySubject.name, {
      bomRef: refs.take(onlySubject.name),
    });
    addHashes(component, onlySubject.digests);
    component.properties.add(property(CYCLONEDX_PROPERTIES.detectedType, onlySubject.type));
    bom.metadata.component = component;
  }
  return bom;
}

/** The CycloneDX 1.6 JSON SBOM, pretty-printed with lists sorted (reproducible given a serial number). */
export function renderCycloneDx(result: ScanResult, options: CycloneDxOptions = {}): string {
  const serializer = new (cdx().Serialize.JsonSerializer)(
    new (cdx().Serialize.JSON.Normalize.Factory)(cdx().Spec.Spec1dot6),
  );
  return `${serializer.serialize(buildCycloneDxBom(result, options), { sortLists: true, space: 2 })}\n`;
}
