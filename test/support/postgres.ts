/**
 * PostgreSQL for tests: the URL the global setup resolved (see postgres-setup.ts) and a fresh schema
 * per suite, so suites running in parallel in the shared `test` database never see each other's rows.
 *
 *   const pg = await withPostgresSchema('jobs');
 *   const store = await openStore({ url: pg.url, schema: pg.schema });
 *   ...
 *   await store.close(); await pg.drop();
 */
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { inject } from 'vitest';

declare module 'vitest' {
  export interface ProvidedContext {
    /** A PostgreSQL URL that answered at setup; always set (the setup fails rather than skip). */
    countersignPostgresUrl: string;
    /** Where it came from: `env` (COUNTERSIGN_TEST_PG_URL), `local` (127.0.0.1:5432) or `embedded`. */
    countersignPostgresSource: 'env' | 'local' | 'embedded';
  }
}

export function testPostgresUrl(): string {
  const url = inject('countersignPostgresUrl');
  if (typeof url !== 'string' || url === '') {
    // Never a silent skip: a run without the global setup is a configuration error.
    throw new Error(
      'no PostgreSQL URL provided: run vitest with test/support/postgres-setup.ts as globalSetup',
    );
  }
  return url;
}

export function testPostgresSource(): 'env' | 'local' | 'embedded' {
  return inject('countersignPostgresSource');
}

export interface PostgresSchema {
  readonly url: string;
  readonly schema: string;
  /** Drops the schema and everything in it. */
  drop(): Promise<void>;
}

/** Creates an empty schema with a unique name (`t_<label>_<random>`) in the test database. */
export async function withPostgresSchema(label = 'suite'): Promise<PostgresSchema> {
  const url = testPostgresUrl();
  const safeLabel = label
    .toLowerCase()
    .replace(/[^a-z0-9_]/g, '_')
    .slice(0, 30);
  const schema = `t_${safeLabel}_${randomBytes(5).toString('hex')}`;
  await runSql(url, `create schema ${schema}`);
  return {
    url,
    schema,
    drop: async () => {
      await runSql(url, `drop schema if exists ${schema} cascade`);
    },
  };
}

/** One statement on a short-lived connection (schema DDL, raw test SQL). */
export async function runSql(url: string, text: string, values: unknown[] = []): Promise<pg.QueryResult> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return await client.query(text, values);
  } finally {
    await client.end();
  }
}
