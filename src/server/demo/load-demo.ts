import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { CountersignError } from '../../core/errors.js';
import { enqueueVetRelease } from '../../jobs/release-jobs.js';
import type { JobQueue } from '../../jobs/types.js';
import type { Actor, BlobStore, Product, Release, Store, Supplier } from '../../store/types.js';

/**
 * The demo dataset of `countersign serve --demo`: supplier ExampleSoft, product ExampleDesk and
 * three releases built like the 3CX case (demo/releases/, copied from test/fixtures/vet/data/releases):
 * 1.0.0 is the trusted baseline, 1.0.1 changes only app JavaScript (pass), 1.0.2 ships a rebuilt
 * ffmpeg.dll and a d3dcompiler_47.dll with data inside its certificate table (block). Everything
 * is inert. Loading is idempotent: what exists is kept, and a release is vetted only while it has
 * no verdict, through the real queue.
 */

export const DEMO_SUPPLIER = 'ExampleSoft';
export const DEMO_PRODUCT = 'ExampleDesk';
export const DEMO_RELEASES = [
  { version: '1.0.0', file: 'ExampleDesk-1.0.0.zip', baseline: undefined },
  { version: '1.0.1', file: 'ExampleDesk-1.0.1.zip', baseline: '1.0.0' },
  { version: '1.0.2', file: 'ExampleDesk-1.0.2.zip', baseline: '1.0.1' },
] as const;
/** The release every other one is vetted against unless it names its own baseline. */
export const DEMO_TRUSTED_VERSION = '1.0.0';

/** `demo/releases/` of the package (the same depth from src/ and from dist/). */
export const DEMO_RELEASES_DIR = fileURLToPath(new URL('../../../demo/releases/', import.meta.url));

const DEMO_ACTOR: Actor = { kind: 'system', id: 'demo' };

export interface DemoOptions {
  readonly store: Store;
  readonly blobs: BlobStore;
  readonly queue: JobQueue;
  readonly dir?: string;
}

export interface DemoResult {
  readonly supplier: Supplier;
  readonly product: Product;
  readonly releases: readonly Release[];
  /** Vet jobs enqueued by this load (none when every release already had a verdict). */
  readonly jobIds: readonly string[];
}

/** The demo zips are ~9 KB: read whole, so a missing file is a typed error, not a stream event. */
async function readDemoFile(path: string): Promise<Buffer> {
  try {
    return await readFile(path);
  } catch (error) {
    throw new CountersignError(
      'E_INPUT_NOT_FOUND',
      `demo release ${path} is missing: ${(error as Error).message}`,
      {
        cause: error,
      },
    );
  }
}

async function findAll<T>(list: (cursor?: string) => Promise<{ items: readonly T[]; next?: string }>) {
  const all: T[] = [];
  let cursor: string | undefined;
  do {
    const page = await list(cursor);
    all.push(...page.items);
    cursor = page.next;
  } while (cursor);
  return all;
}

export async function loadDemo(options: DemoOptions): Promise<DemoResult> {
  const { store, blobs, queue } = options;
  const dir = options.dir ?? DEMO_RELEASES_DIR;

  const suppliers = await findAll((cursor) =>
    store.listSuppliers({ q: DEMO_SUPPLIER, limit: 100, ...(cursor ? { cursor } : {}) }),
  );
  const supplier =
    suppliers.find((item) => item.name === DEMO_SUPPLIER) ??
    (await store.createSupplier(DEMO_ACTOR, { name: DEMO_SUPPLIER, website: 'https://examplesoft.invalid' }));
  const products = await findAll((cursor) =>
    store.listProducts({ supplierId: supplier.id, limit: 100, ...(cursor ? { cursor } : {}) }),
  );
  let product =
    products.find((item) => item.name === DEMO_PRODUCT) ??
    (await store.createProduct(DEMO_ACTOR, {
      supplierId: supplier.id,
      name: DEMO_PRODUCT,
      ecosystem: 'windows',
    }));

  const existing = await findAll((cursor) =>
    store.listReleases({ productId: product.id, limit: 100, ...(cursor ? { cursor } : {}) }),
  );
  const byVersion = new Map<string, Release>(existing.map((release) => [release.version, release]));
  for (const spec of DEMO_RELEASES) {
    let release = byVersion.get(spec.version);
    if (!release) {
      const baseline = spec.baseline ? byVersion.get(spec.baseline) : undefined;
      release = await store.createRelease(DEMO_ACTOR, {
        productId: product.id,
        version: spec.version,
        ...(baseline ? { baselineReleaseId: baseline.id } : {}),
      });
      byVersion.set(spec.version, release);
    }
    if ((await store.releaseArtifacts(release.id)).length === 0) {
      const received = await blobs.put(Readable.from([await readDemoFile(join(dir, spec.file))]));
      await store.putArtifact(DEMO_ACTOR, { ...received, name: spec.file });
      await store.attachArtifact(DEMO_ACTOR, {
        releaseId: release.id,
        sha256: received.sha256,
        name: spec.file,
      });
    }
    if (spec.version === DEMO_TRUSTED_VERSION && product.trustedReleaseId !== release.id) {
      product = await store.setTrustedRelease(DEMO_ACTOR, product.id, release.id);
    }
  }

  const jobIds: string[] = [];
  for (const spec of DEMO_RELEASES) {
    const release = byVersion.get(spec.version)!;
    // `vetting` too: a restart's requeue and the singleton key make asking again harmless.
    if (release.state === 'vetted') continue;
    jobIds.push(
      await enqueueVetRelease(store, queue, DEMO_ACTOR, {
        releaseId: release.id,
        ...(release.baselineReleaseId ? { baselineReleaseId: release.baselineReleaseId } : {}),
      }),
    );
  }
  const releases = await Promise.all(
    DEMO_RELEASES.map(async (spec) => (await store.getRelease(byVersion.get(spec.version)!.id))!),
  );
  return { supplier, product, releases, jobIds };
}
