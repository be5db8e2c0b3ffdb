import { createHash } from 'node:crypto';
import { canonicalJson } from './canonical-json.js';
import type { Actor, AuditEntry } from './types.js';

/** The link before the first entry. */
export const GENESIS_HASH = '0'.repeat(64);

/** What an entry says, without its place in the chain. */
export type AuditContent = Omit<AuditEntry, 'seq' | 'at' | 'prevHash' | 'hash'>;

/** hash = sha256(prevHash + canonical JSON of the entry without its hashes). */
export function auditHash(prevHash: string, entry: Omit<AuditEntry, 'prevHash' | 'hash'>): string {
  const body = canonicalJson({
    seq: entry.seq,
    at: entry.at,
    actor: { kind: entry.actor.kind, id: entry.actor.id },
    action: entry.action,
    entity: entry.entity,
    entityId: entry.entityId,
    beforeId: entry.beforeId,
    afterId: entry.afterId,
    details: entry.details,
  });
  return createHash('sha256').update(prevHash).update(body).digest('hex');
}

/** Checks one link; returns why it is broken, or undefined when it holds. */
export function checkLink(
  entry: AuditEntry,
  expectedSeq: number,
  expectedPrevHash: string,
): string | undefined {
  if (entry.seq !== expectedSeq) return `expected seq ${expectedSeq}, found ${entry.seq}`;
  if (entry.prevHash !== expectedPrevHash)
    return `prev_hash does not match the hash of entry ${expectedSeq - 1}`;
  if (auditHash(entry.prevHash, entry) !== entry.hash) return 'hash does not match the entry content';
  return undefined;
}

export function actorOf(kind: string, id: string): Actor {
  return { kind: kind === 'system' ? 'system' : 'user', id };
}
