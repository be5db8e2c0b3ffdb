import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FsBlobStore } from '../store/fs-blob-store.js';
import { openStore } from '../store/open-store.js';
import type { Actor, Store } from '../store/types.js';
import { JobStopped } from './types.js';
import { vetReleaseHandler } from './vet-release-handler.js';

const admin: Actor = { kind: 'system', id: 'test' };
let dir: string;
let store: Store;
let product: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'countersign-vet-handler-'));
  store = await openStore({ url: `sqlite:${join(dir, 'store.sqlite')}` });
  const supplier = await store.createSupplier(admin, { name: 'S' });
  product = (await store.createProduct(admin, { supplierId: supplier.id, name: 'P' })).id;
});

afterAll(async () => {
  await store?.close();
  await rm(dir, { recursive: true, force: true });
});

/** A release the vet cannot do (no artifacts), in `vetting` as a queued one is. */
async function doomedRelease(version: string): Promise<string> {
  const release = await store.createRelease(admin, { productId: product, version });
  await store.setReleaseState(admin, release.id, 'vetting');
  return release.id;
}

function aborted(reason: unknown): AbortSignal {
  const controller = new AbortController();
  controller.abort(reason);
  return controller.signal;
}

describe('vetReleaseHandler on its last attempt', () => {
  const handler = () => vetReleaseHandler({ store, blobs: new FsBlobStore(dir) });

  it('marks the release failed when the vet fails', async () => {
    const releaseId = await doomedRelease('1');
    const context = {
      jobId: 'a',
      key: 'k-a',
      attempt: 3,
      maxAttempts: 3,
      signal: new AbortController().signal,
    };
    await expect(handler()({ releaseId }, context)).rejects.toMatchObject({ code: 'E_INPUT_NOT_FOUND' });
    expect((await store.getRelease(releaseId))?.state).toBe('failed');
  });

  it('marks it failed too when the job ran out of time', async () => {
    const releaseId = await doomedRelease('2');
    const signal = aborted(new Error('the job expired'));
    await expect(
      handler()({ releaseId }, { jobId: 'b', key: 'k-b', attempt: 3, maxAttempts: 3, signal }),
    ).rejects.toBeDefined();
    expect((await store.getRelease(releaseId))?.state).toBe('failed');
  });

  it('leaves it vetting when the queue stopped (the job is handed back)', async () => {
    const releaseId = await doomedRelease('3');
    const signal = aborted(new JobStopped('stopping'));
    await expect(
      handler()({ releaseId }, { jobId: 'c', key: 'k-c', attempt: 3, maxAttempts: 3, signal }),
    ).rejects.toBeDefined();
    expect((await store.getRelease(releaseId))?.state).toBe('vetting');
  });

  it('leaves it vetting after a failure that will be retried', async () => {
    const releaseId = await doomedRelease('4');
    const context = {
      jobId: 'd',
      key: 'k-d',
      attempt: 1,
      maxAttempts: 3,
      signal: new AbortController().signal,
    };
    await expect(handler()({ releaseId }, context)).rejects.toBeDefined();
    expect((await store.getRelease(releaseId))?.state).toBe('vetting');
  });
});

describe('when the store holds intel (imported through the API or an import job)', () => {
  const blobs = () => new FsBlobStore(dir);
  const context = (key: string) => ({
    jobId: key,
    key,
    attempt: 1,
    maxAttempts: 3,
    signal: new AbortController().signal,
  });

  /** A release of the given files, each uploaded to the blob store and attached. */
  async function releaseOf(version: string, files: Record<string, string>): Promise<Record<string, string>> {
    const release = await store.createRelease(admin, { productId: product, version });
    const digests: Record<string, string> = { releaseId: release.id };
    for (const [name, text] of Object.entries(files)) {
      const put = await blobs().put(Readable.from([Buffer.from(text)]));
      await store.putArtifact(admin, { ...put, name });
      await store.attachArtifact(admin, { releaseId: release.id, sha256: put.sha256, name });
      digests[name] = put.sha256;
    }
    await store.setReleaseState(admin, release.id, 'vetting');
    return digests;
  }

  async function findingsOf(releaseId: string) {
    const vet = await store.latestVet(releaseId);
    return (await store.vetFindings(vet!.id, { limit: 500 })).items;
  }

  it('a file whose sha256 is a stored indicator gets the intel finding and blocks the release', async () => {
    const release = await releaseOf('intel-1', {
      'payload.bin': 'inert test payload named by an IOC list\n',
      'readme.txt': 'nothing to see\n',
    });
    await store.saveIntelSource(
      admin,
      { name: 'vendor-feed', kind: 'ioc', origin: 'test', fetchedAt: new Date().toISOString(), counts: {} },
      [
        {
          kind: 'sha256',
          value: release['payload.bin']!,
          tags: ['3cx'],
          reference: 'https://advisory.invalid/1',
        },
      ],
    );
    await vetReleaseHandler({ store, blobs: blobs() })(
      { releaseId: release.releaseId! },
      context('k-intel-1'),
    );
    const findings = await findingsOf(release.releaseId!);
    const hits = findings.filter((finding) => finding.ruleId === 'intel.ioc.hash');
    expect(hits).toHaveLength(1);
    expect(hits[0]?.path).toBe('payload.bin');
    expect(hits[0]?.message).toContain('vendor-feed');
    expect((await store.getRelease(release.releaseId!))?.verdict).toBe('block');
  });

  it('matches hosts and URLs by parent domain and by URL pattern, read page by page', async () => {
    const release = await releaseOf('intel-2', {
      'loader.js': "fetch('https://cdn.c2-intel.invalid/icon7.ico').then((r) => r.text());\n",
    });
    await store.saveIntelSource(
      admin,
      { name: 'c2-feed', kind: 'ioc', origin: 'test', fetchedAt: new Date().toISOString(), counts: {} },
      [
        { kind: 'domain', value: 'c2-intel.invalid', tags: [] },
        { kind: 'url-pattern', value: '^https://cdn[.]c2-intel[.]invalid/icon[0-9]+[.]ico$', tags: [] },
        { kind: 'url-pattern', value: '^https://elsewhere[.]invalid/', tags: [] },
      ],
    );
    await vetReleaseHandler({ store, blobs: blobs() })(
      { releaseId: release.releaseId! },
      context('k-intel-2'),
    );
    const rules = (await findingsOf(release.releaseId!)).map((finding) => finding.ruleId);
    expect(rules).toContain('intel.ioc.domain');
    expect(rules).toContain('intel.ioc.url');
  });

  it('a release none of whose files or hosts is named gets no intel finding', async () => {
    const release = await releaseOf('intel-3', {
      'clean.bin': 'a different inert file\n',
      'app.js': "fetch('https://updates.example.invalid/latest.json');\n",
    });
    await vetReleaseHandler({ store, blobs: blobs() })(
      { releaseId: release.releaseId! },
      context('k-intel-3'),
    );
    const rules = (await findingsOf(release.releaseId!)).map((finding) => finding.ruleId);
    expect(rules.filter((rule) => rule.startsWith('intel.'))).toEqual([]);
  });

  it('matches nothing from the store when told not to', async () => {
    const release = await releaseOf('intel-4', {
      'payload.bin': 'inert test payload named by an IOC list\n',
    });
    await vetReleaseHandler({ store, blobs: blobs(), storedIntel: false })(
      { releaseId: release.releaseId! },
      context('k-intel-4'),
    );
    const rules = (await findingsOf(release.releaseId!)).map((finding) => finding.ruleId);
    expect(rules).not.toContain('intel.ioc.hash');
  });
});
