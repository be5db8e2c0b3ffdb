import { type ChildProcessWithoutNullStreams, spawn, spawnSync } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runSql, withPostgresSchema } from '../support/postgres.js';

/**
 * `countersign serve` and `countersign audit verify` as a user runs them: real processes, a data
 * directory in a temp folder, HTTP on a free loopback port, SIGTERM to stop.
 */

const MAIN = join(import.meta.dirname, '../../src/cli/main.ts');

interface Running {
  readonly child: ChildProcessWithoutNullStreams;
  readonly base: string;
  stdout(): string;
  stderr(): string;
  stop(): Promise<number | null>;
  /** SIGKILL: the process gets no chance to stop gracefully (a crash, the OOM killer). */
  kill(): Promise<number | null>;
}

async function serve(dataDir: string, ...extra: string[]): Promise<Running> {
  return serveWith({}, dataDir, ...extra);
}

async function serveWith(env: Record<string, string>, dataDir: string, ...extra: string[]): Promise<Running> {
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', MAIN, 'serve', '--data-dir', dataDir, '--port', '0', '--log-level', 'warn', ...extra],
    { env: { ...process.env, COUNTERSIGN_HOME: dataDir, ...env } },
  );
  let out = '';
  let err = '';
  child.stdout.on('data', (chunk: Buffer) => {
    out += chunk.toString();
  });
  child.stderr.on('data', (chunk: Buffer) => {
    err += chunk.toString();
  });
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  children.add(child);
  void exited.then(() => children.delete(child));
  const base = await new Promise<string>((resolve, reject) => {
    const timer = setInterval(() => {
      const match = /listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(out);
      if (match) {
        clearInterval(timer);
        resolve(match[1]!);
      }
    }, 50);
    void exited.then((code) => {
      clearInterval(timer);
      reject(new Error(`serve exited with ${code}: ${err}`));
    });
  });
  return {
    child,
    base,
    stdout: () => out,
    stderr: () => err,
    async stop() {
      child.kill('SIGTERM');
      return exited;
    },
    async kill() {
      child.kill('SIGKILL');
      return exited;
    },
  };
}

function tokenIn(text: string): string | undefined {
  return /\b(cs_[A-Za-z0-9_-]{20,})/.exec(text)?.[1];
}

/** Imports a one-line IOC list and waits for the job: 201 only if a process runs import-intel jobs. */
async function importIntel(base: string, token: string, name: string) {
  const response = await fetch(`${base}/api/v1/intel/sources?name=${name}&wait=true`, {
    method: 'POST',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/octet-stream' },
    body: `${name}-c2[.]invalid\n`,
  });
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}

async function get(base: string, path: string, token: string) {
  const response = await fetch(`${base}${path}`, { headers: { authorization: `Bearer ${token}` } });
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}

function auditVerify(dataDir: string): { status: number | null; stdout: string } {
  const result = spawnSync(
    process.execPath,
    ['--import', 'tsx', MAIN, 'audit', 'verify', '--data-dir', dataDir],
    {
      encoding: 'utf8',
    },
  );
  return { status: result.status, stdout: result.stdout + result.stderr };
}

/** Servers still running when the file ends (a failed assertion skipped their stop) are stopped. */
const children = new Set<ChildProcessWithoutNullStreams>();

let dataDir: string;
beforeAll(async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'countersign-serve-'));
});
afterAll(async () => {
  for (const child of children) child.kill('SIGKILL');
  await rm(dataDir, { recursive: true, force: true });
});

// Each test starts real processes (tsx compiles on the fly): generous time on a shared 2-core box.
describe('countersign serve', { timeout: 180_000 }, () => {
  let token: string;

  it('prints the bootstrap admin token on the first start only, and stops on SIGTERM with exit 0', async () => {
    const first = await serve(dataDir);
    token = tokenIn(first.stdout())!;
    expect(token).toBeDefined();
    const me = await get(first.base, '/api/v1/me', token);
    expect(me).toMatchObject({ status: 200, body: { name: 'admin', role: 'admin' } });
    expect(await first.stop()).toBe(0);

    const second = await serve(dataDir);
    expect(tokenIn(second.stdout())).toBeUndefined();
    expect((await get(second.base, '/api/v1/me', token)).status).toBe(200);
    // The server's own queue runs import jobs too (SQLite: nobody else would).
    expect(await importIntel(second.base, token, 'serve-feed')).toMatchObject({
      status: 201,
      body: { source: { name: 'serve-feed', counts: { indicators: 1 } } },
    });
    expect(await second.stop()).toBe(0);
  });

  it('--demo loads ExampleSoft / ExampleDesk and vets 1.0.0 (trusted), 1.0.1 (pass), 1.0.2 (block) through the queue; loading again adds nothing', async () => {
    const server = await serve(dataDir, '--demo');
    let releases: { version: string; state: string; verdict?: string }[] = [];
    const deadline = Date.now() + 90_000;
    while (Date.now() < deadline) {
      releases = (await get(server.base, '/api/v1/releases', token)).body.items as typeof releases;
      if (releases.length === 3 && releases.every((release) => release.state === 'vetted')) break;
      await new Promise((resolve) => setTimeout(resolve, 500));
    }
    const verdicts = Object.fromEntries(releases.map((release) => [release.version, release.verdict]));
    expect(verdicts).toEqual({ '1.0.0': 'pass', '1.0.1': 'pass', '1.0.2': 'block' });
    const products = (await get(server.base, '/api/v1/products?q=ExampleDesk', token)).body.items as {
      trustedReleaseId: string;
    }[];
    expect(products).toHaveLength(1);
    expect(await server.stop()).toBe(0);

    const again = await serve(dataDir, '--demo');
    expect(again.stdout()).toMatch(/demo: ExampleSoft/);
    const after = (await get(again.base, '/api/v1/releases', token)).body.items as typeof releases;
    expect(after).toHaveLength(3);
    expect(after.every((release) => release.state === 'vetted')).toBe(true);
    const suppliers = (await get(again.base, '/api/v1/suppliers?q=ExampleSoft', token)).body
      .items as unknown[];
    expect(suppliers).toHaveLength(1);
    expect(await again.stop()).toBe(0);
  });
});

describe('when serve is asked for something it cannot do', { timeout: 60_000 }, () => {
  it('refuses --workers 0 on SQLite (nobody else would run the jobs) with a usage error', () => {
    const result = spawnSync(
      process.execPath,
      ['--import', 'tsx', MAIN, 'serve', '--data-dir', join(dataDir, 'unused'), '--workers', '0'],
      { encoding: 'utf8' },
    );
    expect(result.status).toBe(2);
    expect(result.stderr).toContain('--workers 0 needs a PostgreSQL --database-url');
  });
});

describe('when serve is stopped while vets are running', { timeout: 180_000 }, () => {
  it('exits 0 after the grace period, and the next start requeues and finishes the interrupted vets once each', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'countersign-serve-stop-'));
    try {
      // Every vet pauses as soon as it starts, so the stop finds them running.
      const busy = await serveWith(
        { COUNTERSIGN_TEST_PAUSE_AT: 'started:600000' },
        dir,
        '--demo',
        '--grace-seconds',
        '1',
      );
      const token = tokenIn(busy.stdout())!;
      const releases = async (base: string) =>
        (await get(base, '/api/v1/releases', token)).body.items as {
          id: string;
          state: string;
          verdict?: string;
        }[];
      expect((await releases(busy.base)).map((release) => release.state)).toEqual([
        'vetting',
        'vetting',
        'vetting',
      ]);
      const stoppedAt = Date.now();
      expect(await busy.stop()).toBe(0);
      expect(Date.now() - stoppedAt).toBeLessThan(30_000);

      const next = await serve(dir);
      let states: { id: string; state: string; verdict?: string }[] = [];
      const deadline = Date.now() + 120_000;
      while (Date.now() < deadline) {
        states = await releases(next.base);
        if (states.every((release) => release.state === 'vetted')) break;
        await new Promise((resolve) => setTimeout(resolve, 500));
      }
      expect(states.map((release) => release.verdict).sort()).toEqual(['block', 'pass', 'pass']);
      const metrics = await (
        await fetch(`${next.base}/metrics`, { headers: { authorization: `Bearer ${token}` } })
      ).text();
      expect(metrics).toMatch(/^countersign_vets_stored 3$/m);
      expect(next.stderr()).toContain('requeued vets interrupted by the last stop');
      expect(await next.stop()).toBe(0);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe('when serve is killed before an intel import it accepted ran', { timeout: 240_000 }, () => {
  /** Polls a job until it is in one of the states (the id the client got, whichever process answers). */
  async function jobIn(base: string, token: string, jobId: string, states: string[]) {
    let job: Record<string, unknown> = {};
    const deadline = Date.now() + 60_000;
    while (Date.now() < deadline) {
      const answer = await get(base, `/api/v1/jobs/${jobId}`, token);
      job = { status: answer.status, ...answer.body };
      if (answer.status === 200 && states.includes(String(job.state))) break;
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
    return job;
  }

  const post = (base: string, token: string, query: string, body: string) =>
    fetch(`${base}/api/v1/intel/sources?${query}`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/octet-stream' },
      body,
    });

  interface Listing {
    items: { name: string; counts: Record<string, number> }[];
    imports: { name: string; state: string; jobId: string; code?: string }[];
  }
  const listing = async (base: string, token: string) =>
    (await get(base, '/api/v1/intel/sources', token)).body as unknown as Listing;

  it('imports it exactly once after the next start, and the job id the client got keeps answering', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'countersign-serve-kill-'));
    try {
      // Every import pauses before it parses: the kill finds this one accepted (202) and not run.
      const busy = await serveWith({ COUNTERSIGN_TEST_PAUSE_IMPORT_MS: '600000' }, dir);
      const token = tokenIn(busy.stdout())!;
      const accepted = await post(busy.base, token, 'name=killed-feed&tag=restart', 'killed-c2[.]invalid\n');
      expect(accepted.status).toBe(202);
      const { jobId } = (await accepted.json()) as { jobId: string };
      expect(await jobIn(busy.base, token, jobId, ['active'])).toMatchObject({ state: 'active' });
      expect((await listing(busy.base, token)).imports).toContainEqual(
        expect.objectContaining({ name: 'killed-feed', state: 'pending', jobId }),
      );
      expect(await busy.kill()).toBeNull();

      const next = await serve(dir);
      expect(await jobIn(next.base, token, jobId, ['completed', 'failed'])).toMatchObject({
        id: jobId,
        name: 'import-intel',
        state: 'completed',
      });
      const after = await listing(next.base, token);
      expect(after.items.filter((source) => source.name === 'killed-feed')).toEqual([
        expect.objectContaining({ counts: expect.objectContaining({ indicators: 1 }) }),
      ]);
      expect(after.imports.map((item) => item.name)).not.toContain('killed-feed');
      expect(next.stderr()).toContain('requeued intel imports interrupted by the last stop');
      // A file the parser refuses fails at once, and stays failed.
      const broken = await post(
        next.base,
        token,
        'name=broken-feed&format=stix',
        '{"type": "bundle", "objects": ',
      );
      const brokenJob = ((await broken.json()) as { jobId: string }).jobId;
      expect(await jobIn(next.base, token, brokenJob, ['completed', 'failed'])).toMatchObject({
        state: 'failed',
        code: 'E_INTEL_MALFORMED',
      });
      expect(await next.stop()).toBe(0);

      // A third start: nothing to requeue, nothing imported twice, and both job ids still answer
      // (the in-process queue is new and empty: from the store's import records).
      const third = await serve(dir);
      expect(await jobIn(third.base, token, jobId, ['completed'])).toMatchObject({ state: 'completed' });
      expect(await jobIn(third.base, token, brokenJob, ['failed'])).toMatchObject({
        state: 'failed',
        code: 'E_INTEL_MALFORMED',
      });
      const last = await listing(third.base, token);
      expect(last.items.filter((source) => source.name === 'killed-feed')).toHaveLength(1);
      expect(last.imports).toEqual([
        expect.objectContaining({ name: 'broken-feed', state: 'failed', code: 'E_INTEL_MALFORMED' }),
      ]);
      expect(third.stderr()).not.toContain('requeued intel imports');
      expect(await third.stop()).toBe(0);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe('countersign serve on PostgreSQL with --workers 0', { timeout: 180_000 }, () => {
  it('only enqueues, and a separate `countersign worker` process does the vetting', async () => {
    const pg = await withPostgresSchema('serve');
    const queueSchema = `${pg.schema}_q`;
    const dir = await mkdtemp(join(tmpdir(), 'countersign-serve-pg-'));
    const database = ['--database-url', pg.url, '--schema', pg.schema, '--queue-schema', queueSchema];
    let worker: ChildProcessWithoutNullStreams | undefined;
    try {
      const server = await serve(dir, ...database, '--workers', '0', '--demo');
      const token = tokenIn(server.stdout())!;
      const releases = async () =>
        (await get(server.base, '/api/v1/releases', token)).body.items as {
          state: string;
          verdict?: string;
        }[];
      // Nobody works the queue yet: the releases wait.
      await new Promise((resolve) => setTimeout(resolve, 1500));
      expect((await releases()).map((release) => release.state)).toEqual(['vetting', 'vetting', 'vetting']);

      worker = spawn(process.execPath, ['--import', 'tsx', MAIN, 'worker', ...database, '--data-dir', dir]);
      children.add(worker);
      let states: { state: string; verdict?: string }[] = [];
      const deadline = Date.now() + 120_000;
      while (Date.now() < deadline) {
        states = await releases();
        if (states.every((release) => release.state === 'vetted')) break;
        await new Promise((resolve) => setTimeout(resolve, 500));
      }
      expect(states.map((release) => release.verdict).sort()).toEqual(['block', 'pass', 'pass']);
      // Intel imports queued by the server are run by the worker process as well.
      expect(await importIntel(server.base, token, 'worker-feed')).toMatchObject({
        status: 201,
        body: { source: { name: 'worker-feed', counts: { indicators: 1 } } },
      });
      expect(await server.stop()).toBe(0);
    } finally {
      if (worker && worker.exitCode === null) {
        const exited = new Promise((resolve) => worker!.on('exit', resolve));
        worker.kill('SIGTERM');
        await exited;
      }
      await runSql(pg.url, `drop schema if exists ${queueSchema} cascade`);
      await pg.drop();
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe('countersign audit verify', { timeout: 120_000 }, () => {
  it('exits 0 on an intact log and 1 with the broken seq after a row is edited behind its back', () => {
    const intact = auditVerify(dataDir);
    expect(intact.stdout).toMatch(/audit log intact: \d+ entries/);
    expect(intact.status).toBe(0);

    const db = new Database(join(dataDir, 'countersign.db'));
    try {
      const changed = db.prepare('update audit_log set entity_id = ? where seq = 5').run('forged');
      expect(changed.changes).toBe(1);
    } finally {
      db.close();
    }
    const broken = auditVerify(dataDir);
    expect(broken.stdout).toMatch(/BROKEN at seq 5\b/);
    expect(broken.status).toBe(1);
  });

  it('refuses a data directory without a database', () => {
    const result = auditVerify(join(dataDir, 'nothing-here'));
    expect(result.status).toBe(3);
  });
});
