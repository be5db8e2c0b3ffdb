/** The facts cache: what an analyzer version said about some bytes, keyed by their digest. */
import { toFacts } from '../rows.js';
import type { Actor, FactsRecord } from '../types.js';
import { chunks, INSERT_BATCH_ROWS, now, type StoreContext } from './context.js';

export async function saveFacts(
  ctx: StoreContext,
  actor: Actor,
  entries: readonly Omit<FactsRecord, 'createdAt'>[],
): Promise<number> {
  if (entries.length === 0) return 0;
  const createdAt = now();
  return ctx.write(async (trx, audit) => {
    let inserted = 0;
    for (const batch of chunks(entries, INSERT_BATCH_ROWS)) {
      const result = await trx
        .insertInto('facts')
        .values(
          batch.map((entry) => ({
            node_sha256: entry.nodeSha256.toLowerCase(),
            analyzer: entry.analyzer,
            analyzer_version: entry.analyzerVersion,
            facts: JSON.stringify(entry.facts ?? null),
            created_at: createdAt,
          })),
        )
        // The same key twice (a retry, or one file in two artifacts): the first facts stay.
        .onConflict((conflict) =>
          conflict.columns(['node_sha256', 'analyzer', 'analyzer_version']).doNothing(),
        )
        .executeTakeFirst();
      inserted += Number(result.numInsertedOrUpdatedRows ?? 0);
    }
    if (inserted > 0) {
      await audit(actor, {
        action: 'facts.save',
        entity: 'facts',
        entityId: [...new Set(entries.map((entry) => entry.analyzer))].sort().join(','),
        details: { entries: entries.length, inserted },
      });
    }
    return inserted;
  });
}

export async function getFacts(
  ctx: StoreContext,
  nodeSha256: string,
  analyzer: string,
  analyzerVersion: string,
): Promise<FactsRecord | undefined> {
  const row = await ctx.db
    .selectFrom('facts')
    .selectAll()
    .where('node_sha256', '=', nodeSha256.toLowerCase())
    .where('analyzer', '=', analyzer)
    .where('analyzer_version', '=', analyzerVersion)
    .executeTakeFirst();
  return row === undefined ? undefined : toFacts(row);
}

/**
 * Many lookups in a few queries (one per 500 digests): a worker on PostgreSQL would otherwise pay a
 * round trip per node and analyzer. Returns the records found, in no particular order.
 */
export async function findFacts(
  ctx: StoreContext,
  keys: readonly { nodeSha256: string; analyzer: string; analyzerVersion: string }[],
): Promise<readonly FactsRecord[]> {
  const wanted = new Set(
    keys.map((key) => `${key.nodeSha256.toLowerCase()}\u0000${key.analyzer}\u0000${key.analyzerVersion}`),
  );
  const digests = [...new Set(keys.map((key) => key.nodeSha256.toLowerCase()))];
  const analyzers = [...new Set(keys.map((key) => key.analyzer))];
  const found: FactsRecord[] = [];
  for (const batch of chunks(digests, INSERT_BATCH_ROWS)) {
    const rows = await ctx.db
      .selectFrom('facts')
      .selectAll()
      .where('node_sha256', 'in', batch)
      .where('analyzer', 'in', analyzers)
      .execute();
    for (const row of rows) {
      if (wanted.has(`${row.node_sha256}\u0000${row.analyzer}\u0000${row.analyzer_version}`))
        found.push(toFacts(row));
    }
  }
  return found;
}
