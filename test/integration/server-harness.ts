import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { InProcessQueue } from '../../src/jobs/in-process-queue.js';
import type { JobEventListener, JobQueue } from '../../src/jobs/types.js';
import { startWorker } from '../../src/jobs/worker.js';
import { buildServer } from '../../src/server/build-server.js';
import type { ServerLimits } from '../../src/server/context.js';
import { serverMetrics } from '../../src/server/metrics.js';
import { FsBlobStore } from '../../src/store/fs-blob-store.js';
import { openStore } from '../../src/store/open-store.js';
import type { Actor, Role, Store } from '../../src/store/types.js';
import { withPostgresSchema } from '../support/postgres.js';

/**
 * A real server for API tests: SQLite store in a temp dir (or a PostgreSQL URL and schema), blobs
 * on disk, the in-process queue, listening on a random loopback port. Tests speak HTTP with fetch.
 */

export const SYSTEM: Actor = { kind: 'system', id: 'test' };

export interface TestServer {
  readonly app: FastifyInstance;
  readonly base: string;
  readonly dir: string;
  readonly store: Store;
  readonly blobs: FsBlobStore;
  readonly queue: JobQueue;
  readonly tokens: Readonly<Record<Role, string>>;
  readonly userIds: Readonly<Record<Role, string>>;
  call(method: string, path: string, options?: CallOptions): Promise<ApiResponse>;
  /** Blob files on disk (temp files included): what an upload left behind. */
  blobFiles(): Promise<string[]>;
  close(): Promise<void>;
}

/** Response bodies in tests are loosely typed JSON: the assertions check their shape. */
// biome-ignore lint/suspicious/noExplicitAny: test-side JSON, checked by assertions
export type LooseJson = any;
export type ApiResponse = Omit<Response, 'json'> & { json(): Promise<LooseJson> };

export interface CallOptions {
  readonly token?: string | undefined;
  readonly json?: unknown;
  readonly body?: RequestInit['body'];
  readonly headers?: Record<string, string>;
  readonly signal?: AbortSignal;
}

export interface TestServerOptions {
  readonly limits?: Partial<ServerLimits>;
  /** `sqlite` (default): a file in the temp dir; `postgres`: a fresh schema in the test database. */
  readonly backend?: 'sqlite' | 'postgres';
  readonly queue?: JobQueue;
  /** Run vet jobs in this process (the in-process queue with a worker), as `serve` does with SQLite. */
  readonly withWorker?: boolean;
}

async function listFiles(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true }).catch(() => []);
  return entries.filter((entry) => entry.isFile()).map((entry) => join(entry.parentPath, entry.name));
}

export async function startTestServer(options: TestServerOptions = {}): Promise<TestServer> {
  const dir = await mkdtemp(join(tmpdir(), 'countersign-server-'));
  const pg = options.backend === 'postgres' ? await withPostgresSchema('server') : undefined;
  const store = await openStore(pg ? { url: pg.url, schema: pg.schema } : { url: join(dir, 'store.db') });
  const blobs = new FsBlobStore(dir);
  let onJobEvent: JobEventListener | undefined;
  const queue =
    options.queue ?? new InProcessQueue({ retryDelayMs: 100, onEvent: (event) => onJobEvent?.(event) });
  const app = await buildServer({
    store,
    blobs,
    queue,
    ...(options.limits ? { limits: options.limits } : {}),
  });
  onJobEvent = serverMetrics(app)?.onJobEvent;
  if (options.withWorker) await startWorker({ store, blobs, queue, concurrency: 2 });
  else await queue.start();
  await app.listen({ port: 0, host: '127.0.0.1' });
  const address = app.server.address();
  if (address === null || typeof address === 'string') throw new Error('server has no TCP address');
  const base = `http://127.0.0.1:${address.port}`;

  const tokens = {} as Record<Role, string>;
  const userIds = {} as Record<Role, string>;
  for (const role of ['viewer', 'analyst', 'admin'] as const) {
    const user = await store.createUser(SYSTEM, { name: `${role}-user`, role });
    tokens[role] = (await store.issueToken(SYSTEM, { userId: user.id, label: 'test' })).token;
    userIds[role] = user.id;
  }

  return {
    app,
    base,
    dir,
    store,
    blobs,
    queue,
    tokens,
    userIds,
    call(method, path, call = {}) {
      const headers: Record<string, string> = { ...call.headers };
      if (call.token !== undefined) headers.authorization = `Bearer ${call.token}`;
      let body = call.body;
      if (call.json !== undefined) {
        headers['content-type'] ??= 'application/json';
        body = JSON.stringify(call.json);
      }
      return fetch(`${base}${path}`, {
        method,
        headers,
        ...(body !== undefined ? { body } : {}),
        ...(call.signal ? { signal: call.signal } : {}),
        ...(body instanceof ReadableStream ? { duplex: 'half' } : {}),
      } as RequestInit) as Promise<ApiResponse>;
    },
    blobFiles: () => listFiles(join(dir, 'blobs')),
    async close() {
      await app.close();
      await queue.stop({ graceMs: 1000 });
      await store.close();
      await pg?.drop();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/** Reads a problem+json response and checks its shape; returns it for more assertions. */
export async function readProblem(response: ApiResponse | Response): Promise<{
  type: string;
  title: string;
  status: number;
  detail: string;
  code: string;
  errors?: { path: string; message: string }[];
}> {
  const type = response.headers.get('content-type') ?? '';
  const text = await response.text();
  if (!type.startsWith('application/problem+json')) {
    throw new Error(`expected application/problem+json, got ${type}: ${text.slice(0, 300)}`);
  }
  const problem = JSON.parse(text);
  if (problem.status !== response.status)
    throw new Error(`problem status ${problem.status} != ${response.status}`);
  return problem;
}
