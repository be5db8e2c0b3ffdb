import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { defaultAnalyzers } from '../analyzers/index.js';
import type { Analyzer } from '../core/plugin.js';
import { FsBlobStore } from '../store/fs-blob-store.js';
import { openStore } from '../store/open-store.js';
import type { Actor, Store } from '../store/types.js';
import { InProcessQueue } from './in-process-queue.js';
import { enqueueVetRelease } from './release-jobs.js';
import { startWorker } from './worker.js';

const RELEASES = join(import.meta.dirname, '../../test/fixtures/vet/data/releases');
const admin: Actor = { kind: 'system', id: 'test' };
let dir: string;
let store: Store;
let blobs: FsBlobStore;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'countersign-worker-'));
  store = await openStore({ url: `sqlite:${join(dir, 'store.sqlite')}` });
  blobs = new FsBlobStore(join(dir, 'data'));
});

afterAll(async () => {
  await store?.close();
  await rm(dir, { recursive: true, force: true });
});

async function release(productId: string, version: string): Promise<string> {
  const name = `ExampleDesk-${version}.zip`;
  const received = await blobs.put(Readable.from([await readFile(join(RELEASES, name))]));
  await store.putArtifact(admin, { ...received, name });
  const created = await store.createRelease(admin, { productId, version });
  await store.attachArtifact(admin, { releaseId: created.id, sha256: received.sha256, name });
  return created.id;
}

async function settled(releaseId: string): Promise<void> {
  for (let i = 0; i < 600; i++) {
    const state = (await store.getRelease(releaseId))?.state;
    if (state === 'vetted' || state === 'failed') return;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`release ${releaseId} never settled`);
}

describe('a worker', () => {
  it('keeps what analyzers said in the store, so the next vet analyses only new contents', async () => {
    const analysed: string[] = [];
    const analyzers = defaultAnalyzers().map(
      (analyzer): Analyzer => ({
        ...analyzer,
        analyze: (node, ctx) => {
          analysed.push(node.sha256);
          return analyzer.analyze(node, ctx);
        },
      }),
    );
    const supplier = await store.createSupplier(admin, { name: 'ExampleSoft' });
    const product = await store.createProduct(admin, { supplierId: supplier.id, name: 'ExampleDesk' });
    const queue = new InProcessQueue({ retryDelayMs: 10 });
    const worker = await startWorker({ store, blobs, queue, scan: { analyzers } });
    try {
      const first = await release(product.id, '1.0.0');
      await enqueueVetRelease(store, queue, admin, { releaseId: first });
      await settled(first);
      const seen = new Set(analysed);
      expect(seen.size).toBeGreaterThan(0);

      // 1.0.1 against 1.0.0: its per-artifact analysis is new, but most of its files are not.
      await store.setTrustedRelease(admin, product.id, first);
      const second = await release(product.id, '1.0.1');
      analysed.length = 0;
      await enqueueVetRelease(store, queue, admin, { releaseId: second });
      await settled(second);
      expect((await store.getRelease(second))?.verdict).toBe('pass');
      expect(analysed.length).toBeGreaterThan(0);
      for (const digest of analysed) expect(seen.has(digest), `re-analysed ${digest}`).toBe(false);
    } finally {
      await worker.stop({ graceMs: 1000 });
    }
  });
});
