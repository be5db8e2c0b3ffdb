/** Reading and verifying the hash-chained audit log (appends are in ../audit-writer.ts). */
import { checkLink, GENESIS_HASH } from '../audit-chain.js';
import { decodeCursor, pageSize, toPage } from '../paging.js';
import { toAuditEntry } from '../rows.js';
import type { AuditEntry, AuditVerification, Page, PageOf } from '../types.js';
import type { StoreContext } from './context.js';

const AUDIT_VERIFY_BATCH = 1000;

/** The log in chain order (oldest first), as a verifier reads it. */
export async function auditLog(ctx: StoreContext, page?: Page): Promise<PageOf<AuditEntry>> {
  const limit = pageSize(page);
  const after = decodeCursor<number>(page?.cursor, 'number') ?? 0;
  const rows = await ctx.db
    .selectFrom('audit_log')
    .selectAll()
    .where('seq', '>', after)
    .orderBy('seq', 'asc')
    .limit(limit + 1)
    .execute();
  const { items, next } = toPage(rows, limit, (row) => Number(row.seq));
  return { items: items.map(toAuditEntry), ...(next === undefined ? {} : { next }) };
}

export async function verifyAudit(ctx: StoreContext): Promise<AuditVerification> {
  let expectedSeq = 1;
  let prevHash = GENESIS_HASH;
  for (;;) {
    const rows = await ctx.db
      .selectFrom('audit_log')
      .selectAll()
      .where('seq', '>=', expectedSeq)
      .orderBy('seq', 'asc')
      .limit(AUDIT_VERIFY_BATCH)
      .execute();
    for (const row of rows) {
      const entry = toAuditEntry(row);
      const reason = checkLink(entry, expectedSeq, prevHash);
      if (reason !== undefined) {
        return {
          ok: false,
          entries: expectedSeq - 1,
          brokenAt: Math.min(entry.seq, expectedSeq),
          reason,
          ...(expectedSeq > 1 ? { headHash: prevHash } : {}),
        };
      }
      prevHash = entry.hash;
      expectedSeq += 1;
    }
    if (rows.length < AUDIT_VERIFY_BATCH) {
      return { ok: true, entries: expectedSeq - 1, ...(expectedSeq > 1 ? { headHash: prevHash } : {}) };
    }
  }
}
