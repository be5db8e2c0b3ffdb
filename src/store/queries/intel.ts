/** Intel sources and their indicators. */
import type { Kysely } from 'kysely';
import { newId } from '../ids.js';
import { decodeCursor, mapPage, pageSize, toPage } from '../paging.js';
import { toIndicator, toIntelSource } from '../rows.js';
import type { Database } from '../schema.js';
import type { Actor, IndicatorRecord, IntelSourceRecord, Page, PageOf } from '../types.js';
import { chunks, INSERT_BATCH_ROWS, type StoreContext } from './context.js';

export async function saveIntelSource(
  ctx: StoreContext,
  actor: Actor,
  input: Omit<IntelSourceRecord, 'id'>,
  indicators: readonly Omit<IndicatorRecord, 'sourceId'>[],
): Promise<IntelSourceRecord> {
  const importKey = input.importKey ?? null;
  if (importKey !== null) {
    const existing = await intelSourceByImportKey(ctx.db, importKey);
    if (existing !== undefined) return existing;
  }
  const row = {
    id: newId(),
    name: input.name,
    kind: input.kind,
    origin: input.origin,
    fetched_at: input.fetchedAt,
    counts: JSON.stringify(input.counts),
    import_key: importKey,
  };
  return ctx.write(async (trx, audit) => {
    if (importKey !== null) {
      // Checked again under the append lock: a concurrent attempt may have committed since.
      const raced = await intelSourceByImportKey(trx, importKey);
      if (raced !== undefined) return raced;
    }
    await trx.insertInto('intel_sources').values(row).execute();
    for (const batch of chunks(indicators, INSERT_BATCH_ROWS)) {
      await trx
        .insertInto('indicators')
        .values(
          batch.map((indicator) => ({
            id: newId(),
            source_id: row.id,
            kind: indicator.kind,
            value: indicator.value,
            tags: JSON.stringify(indicator.tags),
            confidence: indicator.confidence ?? null,
            reference: indicator.reference ?? null,
            expires_at: indicator.expiresAt ?? null,
          })),
        )
        .execute();
    }
    await audit(actor, {
      action: 'intel.import',
      entity: 'intel_source',
      entityId: row.id,
      afterId: row.id,
      details: { name: row.name, kind: row.kind, indicators: indicators.length },
    });
    return toIntelSource(row);
  });
}

async function intelSourceByImportKey(
  db: Kysely<Database>,
  importKey: string,
): Promise<IntelSourceRecord | undefined> {
  const row = await db
    .selectFrom('intel_sources')
    .selectAll()
    .where('import_key', '=', importKey)
    .executeTakeFirst();
  return row === undefined ? undefined : toIntelSource(row);
}

export async function listIntelSources(ctx: StoreContext): Promise<readonly IntelSourceRecord[]> {
  const rows = await ctx.db.selectFrom('intel_sources').selectAll().orderBy('id', 'desc').execute();
  return rows.map(toIntelSource);
}

export async function findIndicators(
  ctx: StoreContext,
  kind: string,
  values: readonly string[],
): Promise<readonly IndicatorRecord[]> {
  const found: IndicatorRecord[] = [];
  for (const batch of chunks([...new Set(values)], INSERT_BATCH_ROWS)) {
    const rows = await ctx.db
      .selectFrom('indicators')
      .selectAll()
      .where('kind', '=', kind)
      .where('value', 'in', batch)
      .orderBy('id')
      .execute();
    found.push(...rows.map(toIndicator));
  }
  return found;
}

/** Indicator kinds matched by pattern rather than by value (plus CIDR blocks among `ip`). */
const PATTERN_KINDS = ['url-pattern', 'path-pattern'];

export async function listPatternIndicators(
  ctx: StoreContext,
  page: Page = {},
): Promise<PageOf<IndicatorRecord>> {
  const limit = pageSize(page);
  const after = decodeCursor<string>(page.cursor, 'string');
  let query = ctx.db
    .selectFrom('indicators')
    .selectAll()
    .where((eb) =>
      eb.or([eb('kind', 'in', PATTERN_KINDS), eb.and([eb('kind', '=', 'ip'), eb('value', 'like', '%/%')])]),
    );
  if (after !== undefined) query = query.where('id', '>', after);
  const rows = await query
    .orderBy('id')
    .limit(limit + 1)
    .execute();
  return mapPage(
    toPage(rows, limit, (row) => row.id),
    toIndicator,
  );
}
