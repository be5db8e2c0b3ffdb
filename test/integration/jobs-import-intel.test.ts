import { createReadStream } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { importIntelHandler, intelImportKeyOf, intelOriginOf } from '../../src/jobs/import-intel-handler.js';
import { InProcessQueue } from '../../src/jobs/in-process-queue.js';
import { type JobQueue, type JobStatus, PermanentJobError } from '../../src/jobs/types.js';
import { FsBlobStore } from '../../src/store/fs-blob-store.js';
import { openStore } from '../../src/store/open-store.js';
import type { Store } from '../../src/store/types.js';

const IOC_TEXT = new URL('../fixtures/intel/text/mixed-defanged.txt', import.meta.url).pathname;

let dir: string;
let store: Store;
let blobs: FsBlobStore;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'countersign-jobs-intel-'));
  store = await openStore({ url: `sqlite:${join(dir, 'store.sqlite')}` });
  blobs = new FsBlobStore(dir);
});

afterAll(async () => {
  await store?.close();
  await rm(dir, { recursive: true, force: true });
});

async function settled(queue: JobQueue, id: string): Promise<JobStatus> {
  for (;;) {
    const status = await queue.status(id);
    if (status && (status.state === 'completed' || status.state === 'failed')) return status;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

describe('the import-intel job', () => {
  it('stores the uploaded IOC list as a named source with its indicators', async () => {
    const { sha256 } = await blobs.put(createReadStream(IOC_TEXT));
    const queue = new InProcessQueue();
    await queue.work('import-intel', importIntelHandler({ store, blobs }));
    await queue.start();
    const id = await queue.enqueue('import-intel', { sha256, name: 'campaigns', format: 'text' });
    expect((await settled(queue, id)).state).toBe('completed');
    const sources = await store.listIntelSources();
    const source = sources.find((item) => item.origin === intelOriginOf(sha256, `import-intel:${id}`));
    expect(source).toMatchObject({ name: 'campaigns', kind: 'ioc' });
    expect(source?.counts.indicators).toBeGreaterThan(5);
    const found = await store.findIndicators('sha256', [
      'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855',
    ]);
    expect(found.map((indicator) => indicator.sourceId)).toContain(source?.id);
    await queue.stop();
  });

  it('stores nothing more when a retry finds the source of its own key', async () => {
    const { sha256 } = await blobs.put(createReadStream(IOC_TEXT));
    const handler = importIntelHandler({ store, blobs });
    const context = { jobId: 'j1', key: 'import-intel:j1', attempt: 1, signal: new AbortController().signal };
    await handler({ sha256, name: 'twice', format: 'auto' }, context);
    await handler({ sha256, name: 'twice', format: 'auto' }, { ...context, attempt: 2 });
    const named = (await store.listIntelSources()).filter((source) => source.name === 'twice');
    expect(named).toHaveLength(1);
  });

  it('stores one source for the same file and name across jobs, with the tags and the requester', async () => {
    const { sha256 } = await blobs.put(createReadStream(IOC_TEXT));
    const handler = importIntelHandler({ store, blobs });
    const job = {
      sha256,
      name: 'tagged',
      format: 'text',
      tags: ['campaign-x'],
      requestedBy: { kind: 'user', id: 'u-analyst' } as const,
    };
    const context = (id: string) => ({
      jobId: id,
      key: `import-intel:${id}`,
      attempt: 1,
      signal: new AbortController().signal,
    });
    await handler(job, context('j4'));
    await handler(job, context('j5')); // a later job: another key, the same file and name
    const named = (await store.listIntelSources()).filter((source) => source.name === 'tagged');
    expect(named).toHaveLength(1);
    expect(named[0]?.importKey).toBe(intelImportKeyOf(sha256, 'tagged'));
    expect(named[0]?.counts.rejected).toEqual(expect.any(Number));
    const found = await store.findIndicators('sha256', [
      'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855',
    ]);
    const ours = found.find((indicator) => indicator.sourceId === named[0]?.id);
    expect(ours?.tags).toContain('campaign-x');
    const entry = (await store.auditLog({ limit: 500 })).items.find(
      (item) => item.action === 'intel.import' && item.entityId === named[0]?.id,
    );
    expect(entry?.actor).toEqual({ kind: 'user', id: 'u-analyst' });
  });

  it('fails with the source name, not the blob path, on a malformed file', async () => {
    const bad = join(dir, 'bad.json');
    await writeFile(bad, '{"type": "not-a-bundle"}');
    const { sha256 } = await blobs.put(createReadStream(bad));
    const handler = importIntelHandler({ store, blobs });
    const context = { jobId: 'j2', key: 'import-intel:j2', attempt: 1, signal: new AbortController().signal };
    const failure = handler({ sha256, name: 'broken-feed', format: 'stix' }, context);
    await expect(failure).rejects.toMatchObject({ code: 'E_INTEL_MALFORMED' });
    // No retry can make the file readable: the queue fails the job at once.
    await expect(failure).rejects.toBeInstanceOf(PermanentJobError);
    await expect(failure).rejects.toThrow(/broken-feed/);
    await expect(failure).rejects.not.toThrow(new RegExp(sha256));
  });

  it('refuses an unknown format', async () => {
    const { sha256 } = await blobs.put(createReadStream(IOC_TEXT));
    const handler = importIntelHandler({ store, blobs });
    const context = { jobId: 'j3', key: 'import-intel:j3', attempt: 1, signal: new AbortController().signal };
    await expect(handler({ sha256, name: 'x', format: 'yaml' }, context)).rejects.toMatchObject({
      code: 'E_USAGE',
    });
  });
});
