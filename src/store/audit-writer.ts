import { type Kysely, sql, type Transaction } from 'kysely';
import { type AuditContent, auditHash, GENESIS_HASH } from './audit-chain.js';
import { canonicalJson } from './canonical-json.js';
import type { Database } from './schema.js';
import type { Actor, AuditEntry } from './types.js';

/** Writes one audit entry inside the caller's transaction; returns the stored entry. */
export type AppendAudit = (actor: Actor, content: Omit<AuditContent, 'actor'>) => Promise<AuditEntry>;

/** First key of PostgreSQL's two-key advisory lock: "cs" + "au"dit, the second is the schema's hash. */
const AUDIT_LOCK_CLASS = 0x63736175;

/**
 * Runs `work` in one write transaction that holds the audit append lock from its first statement,
 * so the change and its audit entries commit together or not at all, and two writers can never read
 * the same chain head (which would fork the chain).
 * - PostgreSQL: `pg_advisory_xact_lock`, keyed per schema, released at commit or rollback.
 * - SQLite: the transaction starts with BEGIN IMMEDIATE (see sqlite-connection.ts), which takes the
 *   database's single write lock; within the process Kysely's connection mutex serialises anyway.
 */
export async function inWriteTransaction<T>(
  db: Kysely<Database>,
  dialect: 'sqlite' | 'postgres',
  work: (trx: Transaction<Database>, audit: AppendAudit) => Promise<T>,
): Promise<T> {
  return db.transaction().execute(async (trx) => {
    if (dialect === 'postgres') {
      await sql`select pg_advisory_xact_lock(${sql.lit(AUDIT_LOCK_CLASS)}, hashtext(current_schema()))`.execute(
        trx,
      );
    }
    let head: { seq: number; hash: string } | undefined;
    const audit: AppendAudit = async (actor, content) => {
      if (head === undefined) {
        const last = await trx
          .selectFrom('audit_log')
          .select(['seq', 'hash'])
          .orderBy('seq', 'desc')
          .limit(1)
          .executeTakeFirst();
        head =
          last === undefined ? { seq: 0, hash: GENESIS_HASH } : { seq: Number(last.seq), hash: last.hash };
      }
      // Details are stored as canonical JSON and hashed in their parsed form, so what a verifier
      // reads back hashes to exactly what was written.
      const detailsJson = content.details === undefined ? null : canonicalJson(content.details);
      const details = detailsJson === null ? undefined : (JSON.parse(detailsJson) as unknown);
      const unhashed: Omit<AuditEntry, 'prevHash' | 'hash'> = {
        seq: head.seq + 1,
        at: new Date().toISOString(),
        actor: { kind: actor.kind, id: actor.id },
        action: content.action,
        entity: content.entity,
        entityId: content.entityId,
        ...(content.beforeId === undefined ? {} : { beforeId: content.beforeId }),
        ...(content.afterId === undefined ? {} : { afterId: content.afterId }),
        ...(details === undefined ? {} : { details }),
      };
      const hash = auditHash(head.hash, unhashed);
      const entry: AuditEntry = { ...unhashed, prevHash: head.hash, hash };
      await trx
        .insertInto('audit_log')
        .values({
          seq: entry.seq,
          at: entry.at,
          actor_kind: entry.actor.kind,
          actor_id: entry.actor.id,
          action: entry.action,
          entity: entry.entity,
          entity_id: entry.entityId,
          before_id: entry.beforeId ?? null,
          after_id: entry.afterId ?? null,
          details: detailsJson,
          prev_hash: entry.prevHash,
          hash: entry.hash,
        })
        .execute();
      head = { seq: entry.seq, hash };
      return entry;
    };
    return work(trx, audit);
  });
}
