import { Kysely } from 'kysely';
import { CountersignError } from '../core/errors.js';
import { KyselyStore } from './kysely-store.js';
import {
  assertSchemaName,
  createPostgresDialect,
  createPostgresPool,
  ensureSchema,
} from './postgres-connection.js';
import type { Database } from './schema.js';
import { createSqliteDialect } from './sqlite-connection.js';

export interface OpenStoreOptions {
  /**
   * `sqlite:<file>` or a plain file path (the embedded default), `sqlite::memory:` for a throwaway
   * store, or `postgres://…` / `postgresql://…` for a shared PostgreSQL.
   */
  readonly url: string;
  /** PostgreSQL only: the schema to use (created if missing), e.g. one fresh schema per test suite. */
  readonly schema?: string;
  /** PostgreSQL only: connections in the pool (default 10). */
  readonly poolSize?: number;
  /** Bring the schema up to date on open (default true; migrations are idempotent and locked). */
  readonly migrate?: boolean;
}

export type StoreLocation =
  | { readonly kind: 'sqlite'; readonly file: string }
  | { readonly kind: 'postgres'; readonly url: string };

export function parseStoreUrl(url: string): StoreLocation {
  if (/^postgres(ql)?:\/\//.test(url)) return { kind: 'postgres', url };
  if (url.startsWith('sqlite:')) {
    const file = url.slice('sqlite:'.length).replace(/^\/\/(?=\/)/, '');
    if (file === '') throw new CountersignError('E_STORE_URL_INVALID', 'sqlite: URL without a file');
    return { kind: 'sqlite', file };
  }
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(url)) {
    throw new CountersignError('E_STORE_URL_INVALID', `unsupported store URL: ${url.split(':')[0]}://…`);
  }
  if (url === '') throw new CountersignError('E_STORE_URL_INVALID', 'empty store URL');
  return { kind: 'sqlite', file: url };
}

/** Opens (and by default migrates) the store a URL names. The caller closes it. */
export async function openStore(options: OpenStoreOptions): Promise<KyselyStore> {
  const location = parseStoreUrl(options.url);
  let store: KyselyStore;
  if (location.kind === 'sqlite') {
    if (options.schema !== undefined) {
      throw new CountersignError('E_STORE_URL_INVALID', 'a schema applies to PostgreSQL stores only');
    }
    store = new KyselyStore(new Kysely<Database>({ dialect: createSqliteDialect(location.file) }), 'sqlite');
  } else {
    if (options.schema !== undefined) {
      assertSchemaName(options.schema);
      await ensureSchema(location.url, options.schema).catch((error: unknown) => {
        throw new CountersignError(
          'E_STORE_UNAVAILABLE',
          `cannot reach PostgreSQL: ${(error as Error).message}`,
          {
            cause: error,
          },
        );
      });
    }
    const pool = createPostgresPool(location.url, {
      ...(options.schema === undefined ? {} : { schema: options.schema }),
      ...(options.poolSize === undefined ? {} : { poolSize: options.poolSize }),
    });
    store = new KyselyStore(new Kysely<Database>({ dialect: createPostgresDialect(pool) }), 'postgres', {
      ...(options.schema === undefined ? {} : { schema: options.schema }),
    });
  }
  if (options.migrate ?? true) {
    try {
      await store.migrate();
    } catch (error) {
      await store.close().catch(() => {});
      throw error;
    }
  }
  return store;
}
