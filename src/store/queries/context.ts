import type { Kysely } from 'kysely';
import { CountersignError } from '../../core/errors.js';
import type { AppendAudit } from '../audit-writer.js';
import type { Database } from '../schema.js';

/** What every query module gets: the database, and the one way to change it (with its audit entry). */
export interface StoreContext {
  readonly db: Kysely<Database>;
  /** Runs `work` in a write transaction holding the audit append lock (see audit-writer.ts). */
  write<T>(work: (trx: Kysely<Database>, audit: AppendAudit) => Promise<T>): Promise<T>;
}

/** Rows per multi-row INSERT: well under SQLite's and PostgreSQL's bound-parameter limits. */
export const INSERT_BATCH_ROWS = 500;

export function now(): string {
  return new Date().toISOString();
}

export function chunks<T>(items: readonly T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

export function notFound(what: string, id: string): CountersignError {
  return new CountersignError('E_STORE_NOT_FOUND', `${what} ${id} does not exist`, { details: { id } });
}
