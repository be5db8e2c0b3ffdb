import { PostgresDialect } from 'kysely';
import pg from 'pg';
import { CountersignError } from '../core/errors.js';

const INT8_OID = 20;

/** Schema names go into a startup option, so only plain identifiers are accepted. */
export function assertSchemaName(schema: string): void {
  if (!/^[a-z_][a-z0-9_]{0,62}$/.test(schema)) {
    throw new CountersignError('E_STORE_URL_INVALID', `invalid PostgreSQL schema name: ${schema}`);
  }
}

/**
 * A pg Pool whose bigints (sizes, counts, audit seq) come back as numbers: the store's contract says
 * numbers, and every value we keep in bigint columns is far below 2^53. The parser is set per pool,
 * not globally, so other pg users in the process keep pg's default.
 */
export function createPostgresPool(url: string, options: { schema?: string; poolSize?: number }): pg.Pool {
  if (options.schema !== undefined) assertSchemaName(options.schema);
  const pool = new pg.Pool({
    connectionString: url,
    max: options.poolSize ?? 10,
    ...(options.schema === undefined ? {} : { options: `-c search_path=${options.schema}` }),
    types: {
      getTypeParser: ((oid: number, format?: 'text' | 'binary') =>
        oid === INT8_OID
          ? (value: string) => Number(value)
          : pg.types.getTypeParser(oid, format ?? 'text')) as typeof pg.types.getTypeParser,
    },
  });
  // An idle connection that dies (server restart, network cut) is reported as an 'error' event on the
  // pool; unhandled, that event would crash the process. The pool drops the client and the next query
  // opens a new one, or fails with a proper error, so there is nothing more to do here.
  pool.on('error', () => {});
  return pool;
}

/** Creates the schema if needed, on a short-lived connection (the pool's search_path needs it to exist). */
export async function ensureSchema(url: string, schema: string): Promise<void> {
  assertSchemaName(schema);
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    await client.query(`create schema if not exists ${schema}`);
  } catch (error) {
    // Two processes creating the same schema at once: the loser sees a unique violation; fine.
    if ((error as { code?: string }).code !== '23505') throw error;
  } finally {
    await client.end();
  }
}

export function createPostgresDialect(pool: pg.Pool): PostgresDialect {
  return new PostgresDialect({ pool });
}
