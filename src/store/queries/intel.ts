/** Intel sources and their indicators. */
import type { Kysely } from 'kysely';
import { newId } from '../ids.js';
import { decodeCursor, mapPage, pageSize, toPage } from '../paging.js';
import { toIndicator, toIntelImport, toIntelSource } from '../rows.js';
import type { Database } from '../schema.js';
import type {
  Actor,
  IndicatorRecord,
  IntelImportRecord,
  IntelImportRequest,
  IntelImportState,
  IntelSourceRecord,
  Page,
  PageOf,
} from '../types.js';
import { chunks, INSERT_BATCH_ROWS, now, type StoreContext } from './context.js';

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
    if (importKey !== null) {
      // The recorded request, if any, is done in the same transaction: a crash leaves either both
      // (nothing to redo) or neither (the pending import is requeued and stores the source once).
      await trx
        .updateTable('intel_imports')
        .set({ state: 'imported', source_id: row.id, error: null, error_code: null, updated_at: now() })
        .where('import_key', '=', importKey)
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

export async function requestIntelImport(
  ctx: StoreContext,
  actor: Actor,
  input: IntelImportRequest,
): Promise<IntelImportRecord> {
  const known = await intelImportByKey(ctx.db, input.importKey);
  if (known !== undefined && known.state !== 'failed') return known;
  return ctx.write(async (trx, audit) => {
    // Read again under the append lock: a concurrent request may have committed since.
    const current = await intelImportByKey(trx, input.importKey);
    if (current !== undefined && current.state !== 'failed') return current;
    const at = now();
    const request = {
      name: input.name,
      sha256: input.sha256,
      format: input.format,
      tags: JSON.stringify(input.tags),
      requested_by: input.requestedBy ? JSON.stringify(input.requestedBy) : null,
      job_id: input.jobId,
      error: null,
      error_code: null,
      updated_at: at,
    };
    if (current !== undefined) {
      // A failed import asked for again: the same record, pending with the new job.
      await trx
        .updateTable('intel_imports')
        .set({ ...request, state: 'pending' })
        .where('id', '=', current.id)
        .execute();
      await audit(actor, {
        action: 'intel.import.request',
        entity: 'intel_import',
        entityId: current.id,
        details: { name: input.name, sha256: input.sha256, retry: true },
      });
      return (await intelImportByKey(trx, input.importKey)) as IntelImportRecord;
    }
    // A source stored under this key before imports were recorded: nothing left to import.
    const stored = await intelSourceByImportKey(trx, input.importKey);
    const row = {
      id: newId(),
      import_key: input.importKey,
      ...request,
      state: stored === undefined ? 'pending' : 'imported',
      source_id: stored?.id ?? null,
      created_at: at,
    };
    await trx.insertInto('intel_imports').values(row).execute();
    await audit(actor, {
      action: 'intel.import.request',
      entity: 'intel_import',
      entityId: row.id,
      afterId: row.id,
      details: { name: input.name, sha256: input.sha256 },
    });
    return toIntelImport(row);
  });
}

export async function failIntelImport(
  ctx: StoreContext,
  actor: Actor,
  importKey: string,
  failure: { error: string; code?: string },
): Promise<IntelImportRecord | undefined> {
  return ctx.write(async (trx, audit) => {
    const current = await intelImportByKey(trx, importKey);
    if (current?.state !== 'pending') return undefined;
    await trx
      .updateTable('intel_imports')
      .set({ state: 'failed', error: failure.error, error_code: failure.code ?? null, updated_at: now() })
      .where('id', '=', current.id)
      .execute();
    await audit(actor, {
      action: 'intel.import.fail',
      entity: 'intel_import',
      entityId: current.id,
      details: { name: current.name, ...(failure.code !== undefined ? { code: failure.code } : {}) },
    });
    return intelImportByKey(trx, importKey);
  });
}

export async function listIntelImports(
  ctx: StoreContext,
  query: { states?: readonly IntelImportState[] } = {},
): Promise<readonly IntelImportRecord[]> {
  let select = ctx.db.selectFrom('intel_imports').selectAll();
  if (query.states !== undefined) {
    if (query.states.length === 0) return [];
    select = select.where('state', 'in', [...query.states]);
  }
  const rows = await select.orderBy('id', 'desc').execute();
  return rows.map(toIntelImport);
}

export async function findIntelImportByJob(
  ctx: StoreContext,
  jobId: string,
): Promise<IntelImportRecord | undefined> {
  const row = await ctx.db
    .selectFrom('intel_imports')
    .selectAll()
    .where('job_id', '=', jobId)
    .orderBy('id', 'desc')
    .executeTakeFirst();
  return row === undefined ? undefined : toIntelImport(row);
}

async function intelImportByKey(
  db: Kysely<Database>,
  importKey: string,
): Promise<IntelImportRecord | undefined> {
  const row = await db
    .selectFrom('intel_imports')
    .selectAll()
    .where('import_key', '=', importKey)
    .executeTakeFirst();
  return row === undefined ? undefined : toIntelImport(row);
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
