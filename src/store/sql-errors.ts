import { CountersignError } from '../core/errors.js';

/** Driver errors from better-sqlite3 (`SQLITE_CONSTRAINT_*`) and pg (SQLSTATE) in one vocabulary. */
export type ConstraintKind = 'unique' | 'foreign-key';

export function constraintKind(error: unknown): ConstraintKind | undefined {
  if (error === null || typeof error !== 'object') return undefined;
  const code = (error as { code?: unknown }).code;
  if (code === 'SQLITE_CONSTRAINT_UNIQUE' || code === 'SQLITE_CONSTRAINT_PRIMARYKEY' || code === '23505') {
    return 'unique';
  }
  if (code === 'SQLITE_CONSTRAINT_FOREIGNKEY' || code === '23503') return 'foreign-key';
  return undefined;
}

/** Turns a constraint violation into a typed error; anything else is rethrown unchanged. */
export function toStoreError(error: unknown, what: string): never {
  const kind = constraintKind(error);
  if (kind === 'unique')
    throw new CountersignError('E_STORE_CONFLICT', `${what}: already exists`, { cause: error });
  if (kind === 'foreign-key') {
    throw new CountersignError('E_STORE_NOT_FOUND', `${what}: a referenced record does not exist`, {
      cause: error,
    });
  }
  throw error;
}
