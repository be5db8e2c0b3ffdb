import { createReadStream } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ScanResult } from '../core/scan-result.js';
import { FsBlobStore } from '../store/fs-blob-store.js';
import { openStore } from '../store/open-store.js';
import type { Actor, Release, Store } from '../store/types.js';
import { scan } from './scan.js';
import {
  analyzerVersionOf,
  canReuseUnder,
  mergeScans,
  renameRoot,
  splitByRoot,
  type VetReleaseStage,
  vetRelease,
} from './vet-release.js';

const RELEASES = new URL('../../test/fixtures/vet/data/releases/', import.meta.url).pathname;
const PAIRS = new URL('../../test/fixtures/vet/data/pairs/', import.meta.url).pathname;
const admin: Actor = { kind: 'system', id: 'test' };

let dir: string;
let store: Store;
let blobs: FsBlobStore;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'countersign-vet-release-'));
  store = await openStore({ url: `sqlite:${join(dir, 'store.sqlite')}` });
  blobs = new FsBlobStore(dir);
});

afterAll(async () => {
  await store?.close();
  await rm(dir, { recursive: true, force: true });
});

/** A release of a product whose artifacts are files on disk, stored as blobs under the given names. */
async function releaseOf(
  productId: string,
  version: string,
  files: Record<string, string>,
  baselineReleaseId?: string,
): Promise<Release> {
  const release = await store.createRelease(admin, {
    productId,
    version,
    ...(baselineReleaseId ? { baselineReleaseId } : {}),
  });
  for (const [name, file] of Object.entries(files)) {
    const digests = await blobs.put(createReadStream(file));
    await store.putArtifact(admin, { ...digests, name });
    await store.attachArtifact(admin, { releaseId: release.id, sha256: digests.sha256, name });
  }
  return release;
}

async function productNamed(name: string): Promise<string> {
  const supplier = await store.createSupplier(admin, { name: `${name} Ltd` });
  return (await store.createProduct(admin, { supplierId: supplier.id, name })).id;
}

async function allFindings(vetId: string) {
  return (await store.vetFindings(vetId, { limit: 500 })).items;
}

describe('vetRelease', () => {
  describe('when the product has a trusted release', () => {
    let product: string;
    let trusted: Release;
    let tampered: Release;

    beforeAll(async () => {
      product = await productNamed('ExampleDesk');
      trusted = await releaseOf(product, '1.0.0', {
        'ExampleDesk-1.0.0.zip': join(RELEASES, 'ExampleDesk-1.0.0.zip'),
      });
      await store.setTrustedRelease(admin, product, trusted.id);
      tampered = await releaseOf(product, '1.0.2', {
        'ExampleDesk-1.0.2.zip': join(RELEASES, 'ExampleDesk-1.0.2.zip'),
      });
    });

    it('blocks the 3CX-shaped release against it and stores the vet, its findings and the verdict', async () => {
      const stages: VetReleaseStage[] = [];
      const outcome = await vetRelease({
        store,
        blobs,
        releaseId: tampered.id,
        key: 'job-1',
        onStage: (stage) => {
          stages.push(stage);
        },
      });
      expect(stages).toEqual(['started', 'scanned', 'judged', 'stored', 'finished']);
      expect(outcome.isReplay).toBe(false);
      expect(outcome.baselineReleaseId).toBe(trusted.id);
      expect(outcome.analysesMade).toBe(2);
      expect(outcome.vet).toMatchObject({
        releaseId: tampered.id,
        baselineReleaseId: trusted.id,
        verdict: 'block',
        jobKey: 'job-1',
      });
      const findings = await allFindings(outcome.vet.id);
      const rules = new Set(findings.map((finding) => finding.ruleId));
      expect(rules).toContain('pe.authenticode.anomaly.added');
      expect(rules).toContain('pe.authenticode.data-after-signature');
      expect(findings.some((finding) => finding.path.startsWith('ExampleDesk-1.0.2.zip!/'))).toBe(true);
      expect(await store.getRelease(tampered.id)).toMatchObject({ state: 'vetted', verdict: 'block' });
      expect((await store.latestVet(tampered.id))?.id).toBe(outcome.vet.id);
    });

    it('stores each artifact analysis once, with its nodes findable by digest', async () => {
      const version = analyzerVersionOf();
      const analysis = await store.getAnalysis(
        (await store.releaseArtifacts(tampered.id))[0]!.sha256,
        version,
      );
      const result = analysis?.result as ScanResult;
      expect(result.subjects.map((subject) => subject.name)).toEqual(['ExampleDesk-1.0.2.zip']);
      const ffmpeg = result.nodes.find((node) => node.path.endsWith('!/ExampleDesk/ffmpeg.dll'));
      expect(ffmpeg?.digests?.md5).toMatch(/^[0-9a-f]{32}$/);
      const seen = await store.findNodesByDigest(ffmpeg!.digests!.md5!);
      expect(seen.items.map((node) => node.path)).toContain(ffmpeg!.path);
      expect(seen.items.flatMap((node) => node.releaseIds)).toContain(tampered.id);
    });

    it('replays a retried job from the stored vet: no second vet, no duplicated findings', async () => {
      const before = await store.countVets();
      const first = await store.latestVet(tampered.id);
      const findings = await allFindings(first!.id);
      const outcome = await vetRelease({ store, blobs, releaseId: tampered.id, key: 'job-1' });
      expect(outcome.isReplay).toBe(true);
      expect(outcome.vet.id).toBe(first!.id);
      expect(await store.countVets()).toBe(before);
      expect((await allFindings(first!.id)).length).toBe(findings.length);
    });

    it('reuses the stored analysis of the baseline when the next release is vetted', async () => {
      const next = await releaseOf(product, '1.0.1', {
        'ExampleDesk-1.0.1.zip': join(RELEASES, 'ExampleDesk-1.0.1.zip'),
      });
      const outcome = await vetRelease({ store, blobs, releaseId: next.id, key: 'job-2' });
      expect(outcome.analysesReused).toBe(1);
      expect(outcome.analysesMade).toBe(1);
      expect(outcome.vet.verdict).toBe('pass');
      expect(await store.getRelease(next.id)).toMatchObject({ state: 'vetted', verdict: 'pass' });
    });

    it('takes an explicit baseline over the trusted one', async () => {
      const mid = await releaseOf(product, '1.0.2-rc', {
        'ExampleDesk-1.0.2.zip': join(RELEASES, 'ExampleDesk-1.0.2.zip'),
      });
      const outcome = await vetRelease({
        store,
        blobs,
        releaseId: mid.id,
        baselineReleaseId: tampered.id,
        key: 'job-3',
      });
      expect(outcome.baselineReleaseId).toBe(tampered.id);
      // Same bytes as the baseline: everything the candidate has is inherited, nothing new.
      const findings = await allFindings(outcome.vet.id);
      expect(findings.filter((finding) => finding.origin !== 'inherited')).toEqual([]);
      expect(outcome.vet.verdict).toBe('pass');
    });
  });

  describe('when there is no baseline at all', () => {
    it('judges the release alone: node findings only, no diff findings, no baseline on the vet', async () => {
      const product = await productNamed('Lonely');
      const release = await releaseOf(product, '1.0.2', {
        'ExampleDesk-1.0.2.zip': join(RELEASES, 'ExampleDesk-1.0.2.zip'),
      });
      const outcome = await vetRelease({ store, blobs, releaseId: release.id, key: 'job-alone' });
      expect(outcome.baselineReleaseId).toBeUndefined();
      expect(outcome.vet.baselineReleaseId).toBeUndefined();
      expect((outcome.vet.detail as { baseline: unknown }).baseline).toBeNull();
      const findings = await allFindings(outcome.vet.id);
      expect(findings.length).toBeGreaterThan(0);
      expect(new Set(findings.map((finding) => finding.origin))).toEqual(new Set(['candidate']));
      // The data after the signature is a node finding, so even alone the release is blocked.
      expect(outcome.vet.verdict).toBe('block');
    });
  });

  describe('when a release has several artifacts', () => {
    it('scans them as one release and pairs each with its namesake in the baseline', async () => {
      const product = await productNamed('Bundle');
      const base = await releaseOf(product, '1', {
        'app.zip': join(RELEASES, 'ExampleDesk-1.0.1.zip'),
        'tool.dll': join(PAIRS, 'pe-overlay-appended/baseline/app/tool.dll'),
      });
      const next = await releaseOf(
        product,
        '2',
        {
          'app.zip': join(RELEASES, 'ExampleDesk-1.0.1.zip'),
          'tool.dll': join(PAIRS, 'pe-overlay-appended/candidate/app/tool.dll'),
        },
        base.id,
      );
      const outcome = await vetRelease({ store, blobs, releaseId: next.id, key: 'job-bundle' });
      expect(outcome.baselineReleaseId).toBe(base.id);
      // app.zip has the same bytes as ExampleDesk-1.0.1.zip, analysed before under that name.
      expect(outcome.analysesReused).toBeGreaterThanOrEqual(2);
      const findings = await allFindings(outcome.vet.id);
      const grew = findings.filter((finding) => finding.ruleId === 'pe.overlay.grew');
      expect(grew.map((finding) => finding.path)).toEqual(['tool.dll']);
      expect(
        findings.some((finding) => finding.path.startsWith('app.zip') && finding.origin !== 'inherited'),
      ).toBe(false);
      const detail = outcome.vet.detail as { candidate: { subjects: Array<{ name: string }> } };
      expect(detail.candidate.subjects.map((subject) => subject.name)).toEqual(['app.zip', 'tool.dll']);
    });
  });

  it('refuses a release that does not exist', async () => {
    await expect(vetRelease({ store, blobs, releaseId: 'nope', key: 'job-x' })).rejects.toMatchObject({
      code: 'E_STORE_NOT_FOUND',
    });
  });
});

describe('scans per artifact', () => {
  it('splitting a joint scan and merging the parts gives back the same nodes and findings', async () => {
    const inputs = [
      join(RELEASES, 'ExampleDesk-1.0.2.zip'),
      join(PAIRS, 'pe-overlay-appended/candidate/app/tool.dll'),
    ];
    const joint = await scan(inputs);
    const parts = splitByRoot(joint, ['ExampleDesk-1.0.2.zip', 'tool.dll']);
    expect(parts.get('tool.dll')?.nodes.map((node) => node.path)).toEqual(['tool.dll']);
    const merged = mergeScans([...parts.values()]);
    expect(merged.nodes.map((node) => node.path)).toEqual(joint.nodes.map((node) => node.path));
    expect(merged.findings.map((finding) => finding.fingerprint).sort()).toEqual(
      joint.findings.map((finding) => finding.fingerprint).sort(),
    );
    expect(merged.stats.files).toBe(joint.stats.files);
  });

  it('renaming a root moves every path under it and recomputes fingerprints', async () => {
    const result = await scan([join(RELEASES, 'ExampleDesk-1.0.2.zip')]);
    const renamed = renameRoot(result, 'ExampleDesk-1.0.2.zip', 'desk.zip');
    expect(
      renamed.nodes.every((node) => node.path === 'desk.zip' || node.path.startsWith('desk.zip!/')),
    ).toBe(true);
    expect(renamed.nodes[0]?.name).toBe('desk.zip');
    expect(renamed.subjects[0]?.name).toBe('desk.zip');
    const finding = renamed.findings[0]!;
    expect(finding.path.startsWith('desk.zip!/')).toBe(true);
    expect(finding.evidence.every((item) => item.node.startsWith('desk.zip'))).toBe(true);
    expect(finding.fingerprint).not.toBe(result.findings[0]!.fingerprint);
    expect(renameRoot(renamed, 'desk.zip', 'ExampleDesk-1.0.2.zip').findings[0]!.fingerprint).toBe(
      result.findings[0]!.fingerprint,
    );
  });

  it('changes the analyzer version when the limits change', () => {
    expect(analyzerVersionOf()).toBe(analyzerVersionOf());
    expect(analyzerVersionOf({ limits: { maxDepth: 3 } })).not.toBe(analyzerVersionOf());
  });
});

describe('reusing an analysis under another name', () => {
  it('holds for a container with the same extension, not for a renamed single file', async () => {
    const zip = await scan([join(RELEASES, 'ExampleDesk-1.0.2.zip')]);
    expect(canReuseUnder(zip, 'ExampleDesk-1.0.2.zip')).toBe(true);
    expect(canReuseUnder(zip, 'desk.zip')).toBe(true);
    expect(canReuseUnder(zip, 'desk.bin')).toBe(false);
    const dll = await scan([join(PAIRS, 'pe-overlay-appended/candidate/app/tool.dll')]);
    expect(canReuseUnder(dll, 'tool.dll')).toBe(true);
    expect(canReuseUnder(dll, 'other.dll')).toBe(false);
  });
});
