/**
 * The embedded setup (SQLite): vet-release jobs on the in-process queue, release states through a
 * failure, a stop and a restart.
 */
import { createReadStream } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { InProcessQueue } from '../../src/jobs/in-process-queue.js';
import { enqueueVetRelease, requeueInterruptedVets, vetSingletonKey } from '../../src/jobs/release-jobs.js';
import type { JobQueue, JobStatus } from '../../src/jobs/types.js';
import { vetReleaseHandler } from '../../src/jobs/vet-release-handler.js';
import { FsBlobStore } from '../../src/store/fs-blob-store.js';
import { openStore } from '../../src/store/open-store.js';
import type { Actor, Release, Store } from '../../src/store/types.js';

const RELEASES = new URL('../fixtures/vet/data/releases/', import.meta.url).pathname;
const admin: Actor = { kind: 'system', id: 'test' };

let dir: string;
let store: Store;
let blobs: FsBlobStore;
let product: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'countersign-jobs-in-process-'));
  store = await openStore({ url: `sqlite:${join(dir, 'store.sqlite')}` });
  blobs = new FsBlobStore(dir);
  const supplier = await store.createSupplier(admin, { name: 'Example Ltd' });
  product = (await store.createProduct(admin, { supplierId: supplier.id, name: 'ExampleDesk' })).id;
  const trusted = await releaseOf('1.0.0', 'ExampleDesk-1.0.0.zip');
  await store.setTrustedRelease(admin, product, trusted.id);
});

afterAll(async () => {
  await store?.close();
  await rm(dir, { recursive: true, force: true });
});

async function releaseOf(version: string, file?: string): Promise<Release> {
  const release = await store.createRelease(admin, { productId: product, version });
  if (file) {
    const digests = await blobs.put(createReadStream(join(RELEASES, file)));
    await store.putArtifact(admin, { ...digests, name: file });
    await store.attachArtifact(admin, { releaseId: release.id, sha256: digests.sha256, name: file });
  }
  return release;
}

async function settled(queue: JobQueue, id: string, states = ['completed', 'failed']): Promise<JobStatus> {
  for (;;) {
    const status = await queue.status(id);
    if (status && states.includes(status.state)) return status;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

describe('vet-release jobs on the in-process queue', () => {
  it('vets an enqueued release: vetting while queued, vetted with its verdict after', async () => {
    const queue = new InProcessQueue();
    const release = await releaseOf('1.0.2', 'ExampleDesk-1.0.2.zip');
    const id = await enqueueVetRelease(store, queue, admin, { releaseId: release.id });
    expect((await store.getRelease(release.id))?.state).toBe('vetting');
    // A second request while the first is queued joins it.
    expect(await enqueueVetRelease(store, queue, admin, { releaseId: release.id })).toBe(id);
    await queue.work('vet-release', vetReleaseHandler({ store, blobs }));
    await queue.start();
    expect(await settled(queue, id)).toMatchObject({ state: 'completed', attempts: 1 });
    expect(await store.getRelease(release.id)).toMatchObject({ state: 'vetted', verdict: 'block' });
    expect((await store.latestVet(release.id))?.jobKey).toBe(`vet-release:${id}`);
    await queue.stop();
  });

  it('marks the release failed only when the last attempt fails', async () => {
    const queue = new InProcessQueue({ retryDelayMs: 1 });
    const empty = await releaseOf('no-artifacts');
    const states: string[] = [];
    const handler = vetReleaseHandler({ store, blobs });
    await queue.work('vet-release', async (job, context) => {
      try {
        await handler(job, context);
      } finally {
        states.push((await store.getRelease(job.releaseId))?.state ?? 'missing');
      }
    });
    await queue.start();
    const id = await enqueueVetRelease(store, queue, admin, { releaseId: empty.id });
    const status = await settled(queue, id);
    expect(status).toMatchObject({ state: 'failed', attempts: 3 });
    expect(status.error).toContain('has no artifacts');
    expect(states).toEqual(['vetting', 'vetting', 'failed']);
    await queue.stop();
  });

  it('leaves a vet cut short by a stop in `vetting`, and the next start requeues and finishes it', async () => {
    const first = new InProcessQueue();
    const release = await releaseOf('1.0.1', 'ExampleDesk-1.0.1.zip');
    let isHeld = false;
    let letGo: () => void = () => {};
    const hold = new Promise<void>((resolve) => {
      letGo = resolve;
    });
    const handler = vetReleaseHandler({
      store,
      blobs,
      // Hold the vet after it started; the stop's abort lets it go on, into a scan that gives up.
      onStage: async (stage) => {
        if (stage !== 'started') return;
        isHeld = true;
        await hold;
      },
    });
    await first.work('vet-release', (job, context) => {
      context.signal.addEventListener('abort', () => letGo());
      return handler(job, context);
    });
    await first.start();
    const id = await enqueueVetRelease(store, first, admin, { releaseId: release.id });
    while (!isHeld) await new Promise((resolve) => setTimeout(resolve, 10));
    await first.stop({ graceMs: 20 });
    expect(await first.status(id)).toMatchObject({ state: 'queued', attempts: 0 });
    expect((await store.getRelease(release.id))?.state).toBe('vetting');
    expect(await store.latestVet(release.id)).toBeUndefined();

    const second = new InProcessQueue();
    const requeued = await requeueInterruptedVets(store, second);
    expect(requeued).toContain(release.id);
    await second.work('vet-release', vetReleaseHandler({ store, blobs }));
    await second.start();
    const again = await second.enqueue(
      'vet-release',
      { releaseId: release.id },
      { singletonKey: vetSingletonKey(release.id) },
    );
    expect(again).not.toBe(id);
    await settled(second, again);
    expect(await store.getRelease(release.id)).toMatchObject({ state: 'vetted', verdict: 'pass' });
    await second.stop();
  });
});
