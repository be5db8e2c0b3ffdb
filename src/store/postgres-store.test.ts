/** PostgreSQL-only behaviour; everything shared with SQLite is in store.contract.test.ts. */
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runSql, testPostgresUrl, withPostgresSchema } from '../../test/support/postgres.js';
import { openStore } from './open-store.js';

describe('a PostgreSQL store without a schema option', () => {
  const database = `cs_t_${randomBytes(5).toString('hex')}`;
  let url: string;

  beforeAll(async () => {
    await runSql(testPostgresUrl(), `create database ${database}`);
    const parsed = new URL(testPostgresUrl());
    parsed.pathname = `/${database}`;
    url = parsed.toString();
  });
  afterAll(async () => {
    await runSql(testPostgresUrl(), `drop database if exists ${database} with (force)`);
  });

  it('migrates into its own search_path schema even when another schema has migration tables', async () => {
    await runSql(url, 'create schema other');
    const elsewhere = await openStore({ url, schema: 'other' });
    await elsewhere.close();
    const store = await openStore({ url });
    try {
      await store.createSupplier({ kind: 'system', id: 't' }, { name: 'in public' });
      const tables = await runSql(
        url,
        `select table_schema from information_schema.tables where table_name = 'kysely_migration' order by 1`,
      );
      expect(tables.rows.map((row) => row.table_schema)).toEqual(['other', 'public']);
      expect(await store.verifyAudit()).toMatchObject({ ok: true, entries: 1 });
    } finally {
      await store.close();
    }
  });
});

describe('schema names', () => {
  it('accepts only plain identifiers (they go into the connection options)', async () => {
    await expect(openStore({ url: testPostgresUrl(), schema: 'x; drop table users' })).rejects.toMatchObject({
      code: 'E_STORE_URL_INVALID',
    });
  });

  it('creates a missing schema on open', async () => {
    const pg = await withPostgresSchema('created');
    await pg.drop();
    const store = await openStore({ url: pg.url, schema: pg.schema });
    try {
      expect(await store.isEmpty()).toBe(true);
    } finally {
      await store.close();
      await pg.drop();
    }
  });
});

describe('an unreachable PostgreSQL', () => {
  it('fails with E_STORE_UNAVAILABLE', async () => {
    const error = await openStore({ url: 'postgres://postgres@127.0.0.1:1/none', schema: 's' }).catch(
      (e: unknown) => e,
    );
    expect(error).toMatchObject({ code: 'E_STORE_UNAVAILABLE' });
  });
});
