import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';
import {
  CompiledQuery,
  type DatabaseConnection,
  type DialectAdapter,
  type Driver,
  SqliteAdapter,
  SqliteDialect,
  type SqliteDialectConfig,
  SqliteDriver,
} from 'kysely';

/** How long a transaction keeps trying to get the write lock before it gives up with SQLITE_BUSY. */
export const SQLITE_WRITE_LOCK_WAIT_MS = 15_000;

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

export function isSqliteBusy(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return code === 'SQLITE_BUSY' || code === 'SQLITE_LOCKED';
}

/**
 * Every store transaction writes, so it starts as `BEGIN IMMEDIATE`: the write lock is taken up
 * front. A deferred `BEGIN` that reads first and writes later can fail with SQLITE_BUSY at once when
 * another connection committed in between. Holding the write lock for the whole transaction is also
 * what serialises audit-chain appends.
 *
 * The wait for the lock is asynchronous, not SQLite's busy_timeout: better-sqlite3 is synchronous,
 * so busy_timeout would block the whole event loop, and a second connection in the same process
 * (two stores on one file, or the lock holder's own pending work) could never finish: a deadlock
 * until the timeout. Here a busy BEGIN yields to the event loop and tries again with backoff.
 */
class ImmediateSqliteDriver extends SqliteDriver {
  override async beginTransaction(connection: DatabaseConnection): Promise<void> {
    const deadline = Date.now() + SQLITE_WRITE_LOCK_WAIT_MS;
    for (let attempt = 0; ; attempt++) {
      try {
        await connection.executeQuery(CompiledQuery.raw('begin immediate'));
        return;
      } catch (error) {
        if (!isSqliteBusy(error) || Date.now() > deadline) throw error;
        // Short, jittered polls: SQLite's lock is not fair (a process writing back to back can take it
        // again before a sleeper wakes), so waiters must look often to get a turn.
        await sleep(Math.min(10, 1 + attempt) * (0.5 + Math.random()));
      }
    }
  }
}

/**
 * SQLite's DDL is transactional, but Kysely's adapter says otherwise, so its Migrator would run
 * migrations outside a transaction, and two processes opening a fresh file at once would both
 * create the tables. Saying so lets the Migrator run in a (BEGIN IMMEDIATE) transaction: the second
 * opener waits for the first, then finds the migrations applied.
 */
class TransactionalDdlSqliteAdapter extends SqliteAdapter {
  override get supportsTransactionalDdl(): boolean {
    return true;
  }
}

class ImmediateSqliteDialect extends SqliteDialect {
  readonly #config: SqliteDialectConfig;
  constructor(config: SqliteDialectConfig) {
    super(config);
    this.#config = config;
  }
  override createDriver(): Driver {
    return new ImmediateSqliteDriver(this.#config);
  }
  override createAdapter(): DialectAdapter {
    return new TransactionalDdlSqliteAdapter();
  }
}

/**
 * Opens the database file: WAL (readers never block the writer), foreign keys enforced, no blocking
 * busy timeout (see ImmediateSqliteDriver), and synchronous=NORMAL, which in WAL mode keeps the file
 * consistent after any crash and loses committed transactions only on power loss, not on a killed
 * process (the WAL is in the OS page cache by then).
 */
export function createSqliteDialect(file: string): SqliteDialect {
  if (file !== ':memory:') mkdirSync(dirname(file), { recursive: true });
  const database = new Database(file);
  database.pragma('journal_mode = WAL');
  database.pragma('foreign_keys = ON');
  database.pragma('busy_timeout = 0');
  database.pragma('synchronous = NORMAL');
  return new ImmediateSqliteDialect({ database });
}
