import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
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
