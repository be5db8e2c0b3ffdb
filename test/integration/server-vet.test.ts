import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type LooseJson, startTestServer, type TestServer } from './server-harness.js';

/**
 * The 3CX case end to end over HTTP: upload ExampleDesk 1.0.1 and 1.0.2, make 1.0.1 the trusted
 * release, vet 1.0.2 through the queue, and read the block verdict, its findings, the artifact's
 * analysis and where its ffmpeg.dll has been seen.
 */

const RELEASES = join(import.meta.dirname, '../fixtures/vet/data/releases');

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer({ withWorker: true });
});
afterAll(async () => server?.close());

async function ok(response: Response | Promise<Response>, status = 200): Promise<LooseJson> {
  const resolved = await response;
  const text = await resolved.text();
  expect(resolved.status, text).toBe(status);
  return text ? JSON.parse(text) : undefined;
}

async function until<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 60_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const value = await probe();
    if (value !== undefined) return value;
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  throw new Error(`timed out waiting for ${what}`);
}

describe('when an analyst vets a 3CX-style release through the API', () => {
  it('the job completes with a block verdict whose findings name the tampered DLLs', async () => {
    const analyst = { token: server.tokens.analyst };
    const supplier = await ok(
      server.call('POST', '/api/v1/suppliers', { ...analyst, json: { name: 'ExampleSoft' } }),
      201,
    );
    const product = await ok(
      server.call('POST', '/api/v1/products', {
        ...analyst,
        json: { supplierId: supplier.id, name: 'ExampleDesk' },
      }),
      201,
    );
    const ids: Record<string, string> = {};
    for (const version of ['1.0.1', '1.0.2']) {
      const file = `ExampleDesk-${version}.zip`;
      const artifact = await ok(
        server.call('POST', `/api/v1/artifacts?name=${file}`, {
          ...analyst,
          body: await readFile(join(RELEASES, file)),
          headers: { 'content-type': 'application/octet-stream' },
        }),
        201,
      );
      const release = await ok(
        server.call('POST', '/api/v1/releases', { ...analyst, json: { productId: product.id, version } }),
        201,
      );
      await ok(
        server.call('POST', `/api/v1/releases/${release.id}/artifacts`, {
          ...analyst,
          json: { sha256: artifact.sha256 },
        }),
        201,
      );
      ids[version] = release.id;
    }
    await ok(
      server.call('PUT', `/api/v1/products/${product.id}/trusted-release`, {
        ...analyst,
        json: { releaseId: ids['1.0.1'] },
      }),
    );

    const { jobId } = await ok(server.call('POST', `/api/v1/releases/${ids['1.0.2']}/vet`, analyst), 202);
    const job = await until('the vet job', async () => {
      const status = await ok(server.call('GET', `/api/v1/jobs/${jobId}`, analyst));
      return status.state === 'completed' || status.state === 'failed' ? status : undefined;
    });
    expect(job).toMatchObject({ state: 'completed', name: 'vet-release' });
    const metrics = await (await server.call('GET', '/metrics', analyst)).text();
    expect(metrics).toMatch(/^countersign_job_attempts_total\{name="vet-release",outcome="completed"\} 1$/m);
    expect(metrics).toMatch(/^countersign_jobs_running\{name="vet-release"\} 0$/m);
    expect(metrics).toMatch(/^countersign_vets_stored 1$/m);

    const release = await ok(server.call('GET', `/api/v1/releases/${ids['1.0.2']}`, analyst));
    expect(release).toMatchObject({ state: 'vetted', verdict: 'block' });
    const verdict = await ok(server.call('GET', `/api/v1/releases/${ids['1.0.2']}/verdict`, analyst));
    expect(verdict).toMatchObject({ verdict: 'block', baselineReleaseId: ids['1.0.1'] });
    expect(verdict.score).toBeGreaterThan(0);

    const findings = await ok(
      server.call('GET', `/api/v1/releases/${ids['1.0.2']}/findings?limit=500`, analyst),
    );
    const cited = findings.items.map(
      (finding: { ruleId: string; path: string }) => `${finding.ruleId} ${finding.path}`,
    );
    expect(cited).toContain(
      'pe.authenticode.anomaly.added ExampleDesk-1.0.2.zip!/ExampleDesk/d3dcompiler_47.dll',
    );
    expect(cited).toEqual(expect.arrayContaining([expect.stringMatching(/ffmpeg\.dll$/)]));

    // The analysis is stored per artifact, and its nodes answer "where have we seen this file?".
    const [link] = (await ok(server.call('GET', `/api/v1/releases/${ids['1.0.2']}/artifacts`, analyst)))
      .items;
    const analyses = await ok(server.call('GET', `/api/v1/artifacts/${link.sha256}/analyses`, analyst));
    expect(analyses.items).toHaveLength(1);
    const nodes = analyses.items[0].result.nodes as { path: string; digests?: { sha256: string } }[];
    const ffmpeg = nodes.find((node) => node.path.endsWith('/ffmpeg.dll'));
    const digest = ffmpeg?.digests?.sha256;
    expect(digest).toMatch(/^[a-f0-9]{64}$/);
    const seen = await ok(server.call('GET', `/api/v1/seen/${digest}`, analyst));
    expect(seen.items.map((item: { path: string }) => item.path)).toContain(ffmpeg!.path);
    expect(seen.items.flatMap((item: { releaseIds: string[] }) => item.releaseIds)).toContain(ids['1.0.2']);
  });
});
