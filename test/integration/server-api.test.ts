import { createHash } from 'node:crypto';
import { rm } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateOpenApi, readCheckedInOpenApi } from '../../src/server/openapi.js';
import { type ApiResponse, readProblem, SYSTEM, startTestServer, type TestServer } from './server-harness.js';

/** The API over real HTTP on loopback with a real SQLite store: records, uploads, errors, documents. */

/** The same suite on the embedded default and on PostgreSQL (a fresh schema). */
describe.each(['sqlite', 'postgres'] as const)('on %s', (backend) => {
  let server: TestServer;
  const MAX_UPLOAD = 64 * 1024;

  beforeAll(async () => {
    server = await startTestServer({
      backend,
      // JSON bodies are capped far below uploads: an upload must stream past that cap.
      limits: { maxUploadBytes: MAX_UPLOAD, maxIntelBytes: MAX_UPLOAD, maxJsonBytes: 16 * 1024 },
    });
  });
  afterAll(async () => server?.close());

  const asAnalyst = () => ({ token: server.tokens.analyst });
  const asViewer = () => ({ token: server.tokens.viewer });
  const asAdmin = () => ({ token: server.tokens.admin });

  async function created<T>(response: ApiResponse): Promise<T> {
    const text = await response.text();
    expect(response.status, text).toBe(201);
    return JSON.parse(text) as T;
  }

  async function auditCount(): Promise<number> {
    let count = 0;
    let cursor: string | undefined;
    do {
      const page = await server.store.auditLog({ limit: 500, ...(cursor ? { cursor } : {}) });
      count += page.items.length;
      cursor = page.next;
    } while (cursor);
    return count;
  }

  function upload(bytes: Uint8Array, name: string, token = server.tokens.analyst): Promise<ApiResponse> {
    return server.call('POST', `/api/v1/artifacts?name=${encodeURIComponent(name)}`, {
      token,
      body: bytes,
      headers: { 'content-type': 'application/octet-stream' },
    });
  }

  describe('suppliers, products and releases', () => {
    it('creates, reads and lists them, with search and cursor pagination', async () => {
      const names = ['Acme Tools', 'Acme Labs', 'Zeta Soft'];
      const ids: string[] = [];
      for (const name of names) {
        ids.push(
          (
            await created<{ id: string }>(
              await server.call('POST', '/api/v1/suppliers', { ...asAnalyst(), json: { name } }),
            )
          ).id,
        );
      }
      const one = await server.call('GET', `/api/v1/suppliers/${ids[0]}`, asViewer());
      expect(await one.json()).toMatchObject({ id: ids[0], name: 'Acme Tools' });

      const acme = await (await server.call('GET', '/api/v1/suppliers?q=acme', asViewer())).json();
      expect(acme.items.map((s: { name: string }) => s.name).sort()).toEqual(['Acme Labs', 'Acme Tools']);

      const first = await (await server.call('GET', '/api/v1/suppliers?limit=2', asViewer())).json();
      expect(first.items).toHaveLength(2);
      expect(typeof first.next).toBe('string');
      const second = await (
        await server.call(
          'GET',
          `/api/v1/suppliers?limit=2&cursor=${encodeURIComponent(first.next)}`,
          asViewer(),
        )
      ).json();
      const seen = [...first.items, ...second.items].map((s: { id: string }) => s.id);
      expect(new Set(seen)).toEqual(new Set(ids));
      expect(second.next).toBeUndefined();

      const product = await created<{ id: string; supplierId: string }>(
        await server.call('POST', '/api/v1/products', {
          ...asAnalyst(),
          json: { supplierId: ids[0], name: 'Anvil', ecosystem: 'windows' },
        }),
      );
      expect(product.supplierId).toBe(ids[0]);
      const release = await created<{ id: string; state: string; version: string }>(
        await server.call('POST', '/api/v1/releases', {
          ...asAnalyst(),
          json: { productId: product.id, version: '2.0.0' },
        }),
      );
      expect(release).toMatchObject({ state: 'new', version: '2.0.0' });
      const listed = await (
        await server.call('GET', `/api/v1/releases?productId=${product.id}&q=2.0`, asViewer())
      ).json();
      expect(listed.items.map((r: { id: string }) => r.id)).toEqual([release.id]);

      const trusted = await server.call('PUT', `/api/v1/products/${product.id}/trusted-release`, {
        ...asAnalyst(),
        json: { releaseId: release.id },
      });
      expect((await trusted.json()).trustedReleaseId).toBe(release.id);

      // The audit log names the user who made each change.
      const audit = await (await server.call('GET', '/api/v1/audit?limit=500', asAdmin())).json();
      const mine = audit.items.filter(
        (entry: { actor: { id: string } }) => entry.actor.id === server.userIds.analyst,
      );
      expect(mine.length).toBeGreaterThanOrEqual(6);
    });

    it('answers 404 problems for unknown records and routes', async () => {
      for (const path of ['/api/v1/suppliers/nope', '/api/v1/products/nope', '/api/v1/releases/nope']) {
        const response = await server.call('GET', path, asViewer());
        expect(response.status).toBe(404);
        expect((await readProblem(response)).code).toBe('E_API_NOT_FOUND');
      }
      const unknownRoute = await server.call('GET', '/api/v1/no-such-thing', asViewer());
      expect((await readProblem(unknownRoute)).code).toBe('E_API_NOT_FOUND');
      const orphan = await server.call('POST', '/api/v1/products', {
        ...asAnalyst(),
        json: { supplierId: 'nope', name: 'x' },
      });
      expect(orphan.status).toBe(404);
      await orphan.arrayBuffer();
    });
  });

  describe('when a body is malformed', () => {
    const cases: { what: string; body: string; contentType?: string; code: string }[] = [
      { what: 'a missing required field', body: '{}', code: 'E_API_VALIDATION' },
      { what: 'a field of the wrong type', body: '{"name": 42}', code: 'E_API_VALIDATION' },
      { what: 'an unknown field', body: '{"name": "x", "admin": true}', code: 'E_API_VALIDATION' },
      { what: 'an empty name', body: '{"name": ""}', code: 'E_API_VALIDATION' },
      { what: 'broken JSON', body: '{"name": "x"', code: 'E_API_BAD_REQUEST' },
      { what: 'a JSON array', body: '[1,2]', code: 'E_API_VALIDATION' },
      { what: 'an empty JSON body', body: '', code: 'E_API_BAD_REQUEST' },
      {
        what: 'an unsupported content type',
        body: 'name=x',
        contentType: 'application/x-www-form-urlencoded',
        code: 'E_API_UNSUPPORTED_MEDIA_TYPE',
      },
    ];
    for (const item of cases) {
      it(`refuses ${item.what} with a 4xx problem and stores nothing`, async () => {
        const before = await auditCount();
        const suppliersBefore = (await server.store.listSuppliers({ limit: 500 })).items.length;
        const response = await server.call('POST', '/api/v1/suppliers', {
          ...asAnalyst(),
          body: item.body,
          headers: { 'content-type': item.contentType ?? 'application/json' },
        });
        const problem = await readProblem(response);
        expect(problem.code).toBe(item.code);
        expect(response.status).toBeGreaterThanOrEqual(400);
        expect(response.status).toBeLessThan(500);
        expect(await auditCount()).toBe(before);
        expect((await server.store.listSuppliers({ limit: 500 })).items.length).toBe(suppliersBefore);
      });
    }

    it('refuses a JSON body over the JSON limit with 413', async () => {
      const response = await server.call('POST', '/api/v1/suppliers', {
        ...asAnalyst(),
        json: { name: 'x', website: `https://example.invalid/${'a'.repeat(20 * 1024)}` },
      });
      expect(response.status).toBe(413);
      expect((await readProblem(response)).code).toBe('E_UPLOAD_TOO_LARGE');
    });

    it('says where a validation error is', async () => {
      const response = await server.call('POST', '/api/v1/releases', {
        ...asAnalyst(),
        json: { version: 7 },
      });
      const problem = await readProblem(response);
      expect(problem.errors?.map((error) => error.path)).toEqual(
        expect.arrayContaining([expect.stringMatching(/^body/)]),
      );
    });

    it('refuses a bad query parameter', async () => {
      const response = await server.call('GET', '/api/v1/suppliers?limit=0', asViewer());
      expect((await readProblem(response)).code).toBe('E_API_VALIDATION');
      const digest = await server.call('GET', '/api/v1/seen/not-a-digest', asViewer());
      expect((await readProblem(digest)).code).toBe('E_API_VALIDATION');
    });
  });

  describe('uploading an artifact', () => {
    it('streams it into the blob store, content-addressed, and records it', async () => {
      // 40 KB: more than the 16 KiB JSON body limit, which must not apply to uploads.
      const bytes = new Uint8Array(40_000).map((_, index) => index % 251);
      const sha256 = createHash('sha256').update(bytes).digest('hex');
      const record = await created<{ sha256: string; size: number; name: string; sha1: string }>(
        await upload(bytes, 'tool-1.0.zip'),
      );
      expect(record).toMatchObject({ sha256, size: 40_000, name: 'tool-1.0.zip' });
      expect(record.sha1).toBe(createHash('sha1').update(bytes).digest('hex'));
      expect(await server.blobs.has(sha256)).toBe(true);
      const again = await created<{ sha256: string }>(await upload(bytes, 'tool-1.0.zip'));
      expect(again.sha256).toBe(sha256);
      const read = await server.call('GET', `/api/v1/artifacts/${sha256}`, asViewer());
      expect((await read.json()).size).toBe(40_000);
    });

    it('refuses a declared oversize upload with 413 before reading it, keeping nothing', async () => {
      const before = await server.blobFiles();
      const bytes = new Uint8Array(MAX_UPLOAD + 1).fill(1);
      const response = await upload(bytes, 'big.bin');
      expect(response.status).toBe(413);
      expect((await readProblem(response)).code).toBe('E_UPLOAD_TOO_LARGE');
      expect(await server.blobFiles()).toEqual(before);
      const sha256 = createHash('sha256').update(bytes).digest('hex');
      expect(await server.store.getArtifact(sha256)).toBeUndefined();
    });

    it('stops a streamed (chunked) upload at the limit with 413, keeping nothing', async () => {
      const before = await server.blobFiles();
      const chunk = new Uint8Array(16 * 1024).fill(2);
      let sent = 0;
      const body = new ReadableStream<Uint8Array>({
        pull(controller) {
          if (sent >= MAX_UPLOAD * 4) return controller.close();
          sent += chunk.byteLength;
          controller.enqueue(chunk);
        },
      });
      const response = await server.call('POST', '/api/v1/artifacts?name=stream.bin', {
        ...asAnalyst(),
        body,
        headers: { 'content-type': 'application/octet-stream' },
      });
      expect(response.status).toBe(413);
      expect((await readProblem(response)).code).toBe('E_UPLOAD_TOO_LARGE');
      expect(await server.blobFiles()).toEqual(before);
    });

    it('survives a client that aborts mid-upload, keeping nothing', async () => {
      const before = await server.blobFiles();
      const controller = new AbortController();
      const chunk = new Uint8Array(4 * 1024).fill(3);
      let sent = 0;
      const body = new ReadableStream<Uint8Array>({
        async pull(stream) {
          sent += chunk.byteLength;
          if (sent > MAX_UPLOAD / 2) return controller.abort();
          await new Promise((resolve) => setTimeout(resolve, 5));
          stream.enqueue(chunk);
        },
      });
      const aborted = await server
        .call('POST', '/api/v1/artifacts?name=abort.bin', {
          ...asAnalyst(),
          body,
          headers: { 'content-type': 'application/octet-stream' },
          signal: controller.signal,
        })
        .then(
          () => 'answered',
          (error: Error) => error.name,
        );
      expect(aborted).toBe('AbortError');
      // The temp file goes once the server notices the closed connection.
      for (let wait = 0; wait < 50 && (await server.blobFiles()).length > before.length; wait++)
        await new Promise((resolve) => setTimeout(resolve, 100));
      expect(await server.blobFiles()).toEqual(before);
      expect((await server.call('GET', '/healthz')).status).toBe(200);
    });

    it('refuses an upload that is not application/octet-stream, and an empty one', async () => {
      const json = await server.call('POST', '/api/v1/artifacts?name=a.bin', {
        ...asAnalyst(),
        json: { a: 1 },
      });
      expect((await readProblem(json)).code).toBe('E_API_UNSUPPORTED_MEDIA_TYPE');
      const empty = await upload(new Uint8Array(0), 'empty.bin');
      expect(empty.status).toBe(400);
      await empty.arrayBuffer();
      const noName = await server.call('POST', '/api/v1/artifacts', {
        ...asAnalyst(),
        body: new Uint8Array(10),
        headers: { 'content-type': 'application/octet-stream' },
      });
      expect((await readProblem(noName)).code).toBe('E_API_VALIDATION');
    });
  });

  describe('attaching artifacts and vetting', () => {
    it('attaches an upload to a release and queues a vet job (202 + job id)', async () => {
      const supplier = await created<{ id: string }>(
        await server.call('POST', '/api/v1/suppliers', { ...asAnalyst(), json: { name: 'Vetco' } }),
      );
      const product = await created<{ id: string }>(
        await server.call('POST', '/api/v1/products', {
          ...asAnalyst(),
          json: { supplierId: supplier.id, name: 'P' },
        }),
      );
      const release = await created<{ id: string }>(
        await server.call('POST', '/api/v1/releases', {
          ...asAnalyst(),
          json: { productId: product.id, version: '1' },
        }),
      );
      const noArtifacts = await server.call('POST', `/api/v1/releases/${release.id}/vet`, asAnalyst());
      expect((await readProblem(noArtifacts)).code).toBe('E_API_CONFLICT');

      const artifact = await created<{ sha256: string }>(
        await upload(new TextEncoder().encode('hello'), 'hello.txt'),
      );
      const link = await created<{ name: string }>(
        await server.call('POST', `/api/v1/releases/${release.id}/artifacts`, {
          ...asAnalyst(),
          json: { sha256: artifact.sha256 },
        }),
      );
      expect(link.name).toBe('hello.txt');
      const listed = await (
        await server.call('GET', `/api/v1/releases/${release.id}/artifacts`, asViewer())
      ).json();
      expect(listed.items).toEqual([{ releaseId: release.id, sha256: artifact.sha256, name: 'hello.txt' }]);

      const vet = await server.call('POST', `/api/v1/releases/${release.id}/vet`, asAnalyst());
      expect(vet.status).toBe(202);
      const { jobId } = await vet.json();
      expect(vet.headers.get('location')).toBe(`/api/v1/jobs/${jobId}`);
      const job = await (await server.call('GET', `/api/v1/jobs/${jobId}`, asViewer())).json();
      expect(job).toMatchObject({ id: jobId, name: 'vet-release' });
      // Asking again while the job is queued returns the same job.
      const again = await (
        await server.call('POST', `/api/v1/releases/${release.id}/vet`, asAnalyst())
      ).json();
      expect(again.jobId).toBe(jobId);

      const missing = await server.call('GET', `/api/v1/releases/${release.id}/verdict`, asViewer());
      expect((await readProblem(missing)).code).toBe('E_API_NOT_FOUND');
      const unknownJob = await server.call('GET', '/api/v1/jobs/nope', asViewer());
      expect(unknownJob.status).toBe(404);
      await unknownJob.arrayBuffer();
    });

    it('refuses a baseline from another product', async () => {
      const supplier = await server.store.createSupplier(SYSTEM, { name: 'Two' });
      const a = await server.store.createProduct(SYSTEM, { supplierId: supplier.id, name: 'A' });
      const b = await server.store.createProduct(SYSTEM, { supplierId: supplier.id, name: 'B' });
      const releaseA = await server.store.createRelease(SYSTEM, { productId: a.id, version: '1' });
      const response = await server.call('POST', '/api/v1/releases', {
        ...asAnalyst(),
        json: { productId: b.id, version: '1', baselineReleaseId: releaseA.id },
      });
      expect((await readProblem(response)).code).toBe('E_API_CONFLICT');
    });
  });

  describe('where have we seen this file?', () => {
    it('finds analysed nodes by SHA-256, SHA-1 or MD5', async () => {
      const bytes = new TextEncoder().encode('payload of seen test');
      const artifact = await created<{ sha256: string }>(await upload(bytes, 'seen.zip'));
      const node = {
        artifactSha256: artifact.sha256,
        path: 'seen.zip!/lib/ffmpeg.dll',
        sha256: 'c'.repeat(64),
        sha1: 'd'.repeat(40),
        md5: 'e'.repeat(32),
        size: 123,
        type: 'pe',
      };
      await server.store.saveAnalysis(SYSTEM, {
        artifactSha256: artifact.sha256,
        analyzerVersion: 'test-1',
        result: { ok: true },
        nodes: [node],
      });
      for (const digest of [node.sha256, node.sha1, node.md5.toUpperCase()]) {
        const page = await (await server.call('GET', `/api/v1/seen/${digest}`, asViewer())).json();
        expect(page.items).toHaveLength(1);
        expect(page.items[0]).toMatchObject({ path: node.path, artifactSha256: artifact.sha256 });
      }
      const none = await (await server.call('GET', `/api/v1/seen/${'f'.repeat(64)}`, asViewer())).json();
      expect(none.items).toEqual([]);
      const analyses = await (
        await server.call(
          'GET',
          `/api/v1/artifacts/${artifact.sha256}/analyses?analyzerVersion=test-1`,
          asViewer(),
        )
      ).json();
      expect(analyses.items[0]).toMatchObject({ analyzerVersion: 'test-1', result: { ok: true } });
    });
  });

  describe('importing intel (a job)', () => {
    // The main server runs no jobs; this one does, in process, as `serve` does with SQLite.
    let intel: TestServer;
    beforeAll(async () => {
      intel = await startTestServer({
        backend,
        withWorker: true,
        limits: { maxIntelBytes: MAX_UPLOAD, maxJobWaitMs: 20_000 },
      });
    });
    afterAll(async () => intel?.close());

    const text = [
      '# 3CX-style test list',
      'evil-c2[.]invalid',
      'hxxps://cdn.evil.invalid/icon1.ico',
      'c'.repeat(64),
    ];
    const postIntel = (query: string, body: string | Uint8Array, token = intel.tokens.analyst) =>
      intel.call('POST', `/api/v1/intel/sources?${query}`, {
        token,
        body: typeof body === 'string' ? new TextEncoder().encode(body) : body,
        headers: { 'content-type': 'application/octet-stream' },
      });

    async function settledJob(jobId: string): Promise<{ state: string; error?: string; code?: string }> {
      for (let i = 0; i < 400; i++) {
        const job = await (
          await intel.call('GET', `/api/v1/jobs/${jobId}`, { token: intel.tokens.viewer })
        ).json();
        if (job.state === 'completed' || job.state === 'failed') return job;
        await new Promise((resolve) => setTimeout(resolve, 25));
      }
      throw new Error(`job ${jobId} did not settle`);
    }

    it('answers 202 with the job, which stores the named source with its indicators', async () => {
      const response = await postIntel('name=vendor-feed&tag=test', text.join('\n'));
      const body = JSON.parse(await response.text());
      expect(response.status, JSON.stringify(body)).toBe(202);
      expect(response.headers.get('location')).toBe(`/api/v1/jobs/${body.jobId}`);
      const job = await settledJob(body.jobId);
      expect(job).toMatchObject({ state: 'completed', attempts: 1 });
      const sources = await intel.store.listIntelSources();
      const source = sources.find((item) => item.name === 'vendor-feed');
      expect(source?.counts).toMatchObject({ indicators: 3, domain: 1, url: 1, sha256: 1, rejected: 0 });
      const found = await intel.store.findIndicators('domain', ['evil-c2.invalid']);
      expect(found.map((item) => item.tags)).toEqual([expect.arrayContaining(['test'])]);
      const list = await (
        await intel.call('GET', '/api/v1/intel/sources', { token: intel.tokens.viewer })
      ).json();
      expect(list.items.map((item: { name: string }) => item.name)).toContain('vendor-feed');
      // The audit names the analyst who uploaded it, not the worker that parsed it.
      const audit = (await intel.store.auditLog({ limit: 500 })).items.find(
        (entry) => entry.action === 'intel.import' && entry.entityId === source?.id,
      );
      expect(audit?.actor).toEqual({ kind: 'user', id: intel.userIds.analyst });
    });

    it('keeps one source when the same file comes again under the same name, waiting or not', async () => {
      const body = 'same[.]invalid\n';
      const first = await (await postIntel('name=twice', body)).json();
      await settledJob(first.jobId);
      const again = await postIntel('name=twice&wait=true', body);
      const answer = JSON.parse(await again.text());
      expect(again.status, JSON.stringify(answer)).toBe(201);
      const named = (await intel.store.listIntelSources()).filter((item) => item.name === 'twice');
      expect(named).toHaveLength(1);
      expect(answer.source.id).toBe(named[0]?.id);
      // Under another name it is another source.
      const other = await postIntel('name=twice-other&wait=true', body);
      expect(other.status).toBe(201);
      expect((await other.json()).source.id).not.toBe(named[0]?.id);
    });

    it('joins the queued job when the same file and name are posted before it ran', async () => {
      // A server whose queue runs nothing: both posts find the first job still queued.
      const body = 'joined[.]invalid\n';
      const first = await (
        await server.call('POST', '/api/v1/intel/sources?name=joined', {
          ...asAnalyst(),
          body: new TextEncoder().encode(body),
          headers: { 'content-type': 'application/octet-stream' },
        })
      ).json();
      const second = await (
        await server.call('POST', '/api/v1/intel/sources?name=joined', {
          ...asAnalyst(),
          body: new TextEncoder().encode(body),
          headers: { 'content-type': 'application/octet-stream' },
        })
      ).json();
      expect(second.jobId).toBe(first.jobId);
      expect((await server.queue.status(first.jobId))?.state).toBe('queued');
    });

    it('with wait=true answers 201 with the source, its rejected count and the job', async () => {
      const response = await postIntel(
        'name=waited&wait=true',
        [...text, 'not an indicator at all'].join('\n'),
      );
      const body = JSON.parse(await response.text());
      expect(response.status, JSON.stringify(body)).toBe(201);
      expect(body.source).toMatchObject({ name: 'waited', kind: 'ioc' });
      expect(body.source.counts.indicators).toBe(3);
      expect(body.rejected).toBe(body.source.counts.rejected);
      expect((await intel.queue.status(body.jobId))?.state).toBe('completed');
    });

    it('fails the job at once with the parser message, never a server path, on an unreadable STIX file', async () => {
      const broken = '{"type": "bundle", "objects": ';
      const response = await postIntel('name=broken&format=stix', broken);
      expect(response.status).toBe(202);
      const job = await settledJob((await response.json()).jobId);
      expect(job).toMatchObject({ state: 'failed', attempts: 1, code: 'E_INTEL_MALFORMED' });
      expect(job.error).toContain('broken');
      expect(job.error).not.toContain(intel.dir);
      expect(job.error).not.toMatch(/[0-9a-f]{64}/);
      // Waiting gives the same failure as the problem an inline import would have answered.
      const waited = await postIntel('name=broken&format=stix&wait=true', broken);
      const problem = await readProblem(waited);
      expect(problem).toMatchObject({ status: 400, code: 'E_INTEL_MALFORMED' });
      expect(problem.detail).not.toContain(intel.dir);
      expect((await intel.store.listIntelSources()).map((item) => item.name)).not.toContain('broken');
    });

    async function enqueuedImports(): Promise<number> {
      const text = await (await intel.call('GET', '/metrics', { token: intel.tokens.viewer })).text();
      return Number(/countersign_jobs_enqueued_total\{name="import-intel"\} (\d+)/.exec(text)?.[1] ?? 0);
    }

    it('refuses at once, queueing nothing, what it can see without parsing', async () => {
      const before = (await intel.store.listIntelSources()).length;
      const enqueuedBefore = await enqueuedImports();
      const cases: [string, Uint8Array | string, number, string][] = [
        ['name=empty', new Uint8Array(0), 400, 'E_API_BAD_REQUEST'],
        ['name=huge', new Uint8Array(MAX_UPLOAD + 1).fill(0x61), 413, 'E_UPLOAD_TOO_LARGE'],
        ['name=..bad', 'x[.]invalid', 400, 'E_API_VALIDATION'],
        ['name=ok&format=yaml', 'x[.]invalid', 400, 'E_API_VALIDATION'],
        ['name=ok&wait=maybe', 'x[.]invalid', 400, 'E_API_VALIDATION'],
      ];
      for (const [query, body, status, code] of cases) {
        const response = await postIntel(query, body);
        expect(response.status, query).toBe(status);
        expect((await readProblem(response)).code, query).toBe(code);
      }
      const refused = await postIntel('name=viewer-try', 'x[.]invalid', intel.tokens.viewer);
      expect(refused.status).toBe(403);
      await refused.arrayBuffer();
      expect(await enqueuedImports()).toBe(enqueuedBefore);
      expect((await intel.store.listIntelSources()).length).toBe(before);
      // The counter does count what is queued: one more good post moves it.
      const good = await postIntel('name=counted', 'counted[.]invalid');
      expect(good.status).toBe(202);
      await good.arrayBuffer();
      expect(await enqueuedImports()).toBe(enqueuedBefore + 1);
    });
  });

  describe('tokens and users (admin)', () => {
    it('issues a token shown once, which then authenticates as the new user', async () => {
      const user = await created<{ id: string; role: string }>(
        await server.call('POST', '/api/v1/users', {
          ...asAdmin(),
          json: { name: 'ci-bot', role: 'analyst' },
        }),
      );
      const response = await server.call('POST', '/api/v1/tokens', {
        ...asAdmin(),
        json: { userId: user.id, label: 'ci' },
      });
      expect(response.headers.get('cache-control')).toBe('no-store');
      const issued = await created<{ token: string; record: { prefix: string; userId: string } }>(response);
      expect(issued.token.startsWith(issued.record.prefix)).toBe(true);
      const me = await (await server.call('GET', '/api/v1/me', { token: issued.token })).json();
      expect(me).toMatchObject({ id: user.id, role: 'analyst' });
      const users = await (await server.call('GET', '/api/v1/users', asAdmin())).json();
      expect(users.items.map((u: { name: string }) => u.name)).toContain('ci-bot');
      // The audit log never carries the clear token.
      const audit = await (await server.call('GET', '/api/v1/audit?limit=500', asAdmin())).text();
      expect(audit).not.toContain(issued.token);
    });

    it("lists tokens with their user's name and role, revoked ones marked, never the token or its hash", async () => {
      const user = await created<{ id: string }>(
        await server.call('POST', '/api/v1/users', {
          ...asAdmin(),
          json: { name: 'listed-bot', role: 'viewer' },
        }),
      );
      const issued = await created<{ token: string; record: { id: string } }>(
        await server.call('POST', '/api/v1/tokens', {
          ...asAdmin(),
          json: { userId: user.id, label: 'old' },
        }),
      );
      const revoke = await server.call('DELETE', `/api/v1/tokens/${issued.record.id}`, asAdmin());
      expect(revoke.status).toBe(204);
      const response = await server.call('GET', '/api/v1/tokens', asAdmin());
      expect(response.status).toBe(200);
      const text = await response.text();
      expect(text).not.toContain(issued.token);
      expect(text).not.toContain(createHash('sha256').update(issued.token).digest('hex'));
      expect(text).not.toContain(server.tokens.admin);
      const items: Record<string, unknown>[] = JSON.parse(text).items;
      const listed = items.find((item) => item.id === issued.record.id);
      expect(listed).toMatchObject({ userId: user.id, userName: 'listed-bot', role: 'viewer', label: 'old' });
      expect(listed?.revokedAt).toEqual(expect.any(String));
      // The test server's own tokens are there too, each with its role.
      expect(items.find((item) => item.userId === server.userIds.admin)).toMatchObject({ role: 'admin' });
      expect(Object.keys(listed ?? {}).sort()).toEqual(
        ['createdAt', 'id', 'label', 'prefix', 'revokedAt', 'role', 'userId', 'userName'].sort(),
      );
      const mine = await (await server.call('GET', `/api/v1/tokens?userId=${user.id}`, asAdmin())).json();
      expect(mine.items.map((item: { id: string }) => item.id)).toEqual([issued.record.id]);
    });

    it('answers 404 to revoking a token that does not exist', async () => {
      const response = await server.call('DELETE', '/api/v1/tokens/no-such-token', asAdmin());
      expect(response.status).toBe(404);
      expect((await readProblem(response)).code).toMatch(/NOT_FOUND/);
    });

    it('refuses a token for an unknown user', async () => {
      const response = await server.call('POST', '/api/v1/tokens', {
        ...asAdmin(),
        json: { userId: 'x', label: 'y' },
      });
      expect(response.status).toBe(404);
      await response.arrayBuffer();
    });

    it('verifies the audit chain', async () => {
      const verification = await (await server.call('GET', '/api/v1/audit/verify', asAdmin())).json();
      expect(verification.ok).toBe(true);
      expect(verification.entries).toBeGreaterThan(5);
    });
  });

  describe('health, readiness, metrics and the OpenAPI document', () => {
    it('answers liveness and readiness without a token', async () => {
      expect(await (await server.call('GET', '/healthz')).json()).toEqual({ status: 'ok' });
      expect(await (await server.call('GET', '/readyz')).json()).toEqual({ status: 'ready' });
    });

    it('exposes Prometheus metrics with request counts by route pattern', async () => {
      // Its own traffic, so the test stands alone: a supplier read twice, and one vet request.
      const supplier = await server.store.createSupplier(SYSTEM, { name: 'Metered' });
      const product = await server.store.createProduct(SYSTEM, { supplierId: supplier.id, name: 'M' });
      const release = await server.store.createRelease(SYSTEM, { productId: product.id, version: '1' });
      const artifact = await created<{ sha256: string }>(
        await upload(new TextEncoder().encode('metered'), 'm.txt'),
      );
      await server.store.attachArtifact(SYSTEM, {
        releaseId: release.id,
        sha256: artifact.sha256,
        name: 'm.txt',
      });
      for (let i = 0; i < 2; i++)
        await (await server.call('GET', `/api/v1/suppliers/${supplier.id}`, asViewer())).text();
      expect((await server.call('POST', `/api/v1/releases/${release.id}/vet`, asAnalyst())).status).toBe(202);

      const response = await server.call('GET', '/metrics', asViewer());
      expect(response.headers.get('content-type')).toContain('text/plain');
      const text = await response.text();
      expect(text).toMatch(
        /countersign_http_requests_total\{method="GET",route="\/api\/v1\/suppliers\/:id",status="200"\} ([2-9]|\d\d+)/,
      );
      expect(text).toContain('countersign_http_request_duration_seconds_bucket');
      expect(text).toMatch(/countersign_jobs_enqueued_total\{name="vet-release"\} [1-9]/);
      expect(text).toMatch(/countersign_vets_stored \d+/);
    });

    it('serves the OpenAPI 3.1 document, identical to the checked-in openapi/openapi.json', async () => {
      const served = await (await server.call('GET', '/openapi.json', asViewer())).json();
      expect(served.openapi).toBe('3.1.0');
      expect(Object.keys(served.paths)).toContain('/api/v1/releases/{id}/vet');
      const operations = Object.values(
        served.paths as Record<string, Record<string, { operationId?: string }>>,
      )
        .flatMap((path) => Object.values(path))
        .map((operation) => operation.operationId);
      expect(operations.every((id) => typeof id === 'string')).toBe(true);
      expect(new Set(operations).size).toBe(operations.length);
      // Regenerate with: npx tsx src/server/openapi.ts --write
      expect(served, 'openapi/openapi.json is stale: run npx tsx src/server/openapi.ts --write').toEqual(
        await readCheckedInOpenApi(),
      );
      expect(await generateOpenApi()).toEqual(served);
    });
  });
});

describe('when something unexpected breaks', () => {
  it('answers 500 problem+json without a stack or internal message', async () => {
    const broken = await startTestServer();
    try {
      await broken.store.close(); // every store call now fails inside the driver
      const response = await broken.call('GET', '/api/v1/suppliers', { token: broken.tokens.viewer });
      const problem = await readProblem(response);
      expect(problem.status).toBeGreaterThanOrEqual(500);
      expect(JSON.stringify(problem)).not.toMatch(/\bat .*\.(ts|js):\d+|sqlite|database/i);
      // The detail names the request id the server logged the error under.
      expect(problem.detail).toContain(response.headers.get('x-request-id')!);
      const ready = await broken.call('GET', '/readyz');
      expect(ready.status).toBe(503);
      await ready.arrayBuffer();
    } finally {
      await broken.app.close();
      await broken.queue.stop();
      await rm(broken.dir, { recursive: true, force: true });
    }
  });
});
