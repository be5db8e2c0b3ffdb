import { CountersignError } from '../core/errors.js';
import type { Page } from './types.js';

export const DEFAULT_PAGE_SIZE = 50;
export const MAX_PAGE_SIZE = 500;

export function pageSize(page: Page | undefined): number {
  const limit = page?.limit ?? DEFAULT_PAGE_SIZE;
  if (!Number.isInteger(limit) || limit < 1) {
    throw new CountersignError('E_USAGE', `page limit must be a positive integer, got ${limit}`);
  }
  return Math.min(limit, MAX_PAGE_SIZE);
}

/** Cursors are the last key of the previous page, wrapped so callers treat them as opaque. */
export function encodeCursor(key: string | number): string {
  return Buffer.from(JSON.stringify(key), 'utf8').toString('base64url');
}

export function decodeCursor<K extends string | number>(
  cursor: string | undefined,
  kind: 'string' | 'number',
): K | undefined {
  if (cursor === undefined || cursor === '') return undefined;
  let key: unknown;
  try {
    key = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    key = undefined;
  }
  if (typeof key !== kind) throw new CountersignError('E_USAGE', 'invalid page cursor');
  return key as K;
}

/** Fetch limit + 1 rows; the extra one only says whether a next page exists. */
export function toPage<T, K extends string | number>(
  rows: readonly T[],
  limit: number,
  keyOf: (row: T) => K,
): { items: T[]; next?: string } {
  if (rows.length <= limit) return { items: [...rows] };
  const items = rows.slice(0, limit);
  return { items, next: encodeCursor(keyOf(items[items.length - 1] as T)) };
}

/** LIKE pattern for a case-insensitive "contains" search; `\` escapes the wildcards. */
export function containsPattern(q: string): string {
  return `%${q.toLowerCase().replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
}
