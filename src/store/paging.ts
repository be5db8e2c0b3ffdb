import { type RawBuilder, sql } from 'kysely';
import { CountersignError } from '../core/errors.js';
import type { Page, PageOf } from './types.js';

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

/** A page of rows as a page of records. */
export function mapPage<T, R>(
  page: { items: readonly T[]; next?: string },
  toRecord: (row: T) => R,
): PageOf<R> {
  return { items: page.items.map(toRecord), ...(page.next === undefined ? {} : { next: page.next }) };
}

/** LIKE pattern for a case-insensitive "contains" search; `\` escapes the wildcards. */
export function containsPattern(q: string): string {
  return `%${q.toLowerCase().replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
}

/** `column` contains `q`, case-insensitively (the same SQL on SQLite and PostgreSQL). */
export function containsText(column: string, q: string): RawBuilder<boolean> {
  return sql<boolean>`lower(${sql.ref(column)}) like ${containsPattern(q)} escape '\\'`;
}
