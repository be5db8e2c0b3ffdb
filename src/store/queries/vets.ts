/** Vets and their findings, stored once per job key. */
import type { Kysely } from 'kysely';
import { newId } from '../ids.js';
import { decodeCursor, pageSize, toPage } from '../paging.js';
import { toFinding, toVet } from '../rows.js';
import type { Database } from '../schema.js';
import { toStoreError } from '../sql-errors.js';
import type { Actor, Page, PageOf, StoredFinding, VetRecord } from '../types.js';
import { chunks, INSERT_BATCH_ROWS, now, type StoreContext } from './context.js';

export async function saveVet(
  ctx: StoreContext,
  actor: Actor,
  input: Omit<VetRecord, 'id' | 'createdAt'> & { findings: readonly Omit<StoredFinding, 'id' | 'vetId'>[] },
): Promise<VetRecord> {
  const existing = await vetByJobKey(ctx.db, input.jobKey);
  if (existing !== undefined) return existing;
  return ctx.write(async (trx, audit) => {
    const raced = await vetByJobKey(trx, input.jobKey);
    if (raced !== undefined) return raced;
    const row = {
      id: newId(),
      release_id: input.releaseId,
      baseline_release_id: input.baselineReleaseId ?? null,
      verdict: input.verdict,
      score: input.score,
      detail: JSON.stringify(input.detail ?? null),
      job_key: input.jobKey,
      created_at: now(),
    };
    await trx
      .insertInto('vets')
      .values(row)
      .execute()
      .catch((error: unknown) => toStoreError(error, `vet of release ${input.releaseId}`));
    for (const batch of chunks(input.findings, INSERT_BATCH_ROWS)) {
      await trx
        .insertInto('findings')
        .values(
          batch.map((finding) => ({
            id: newId(),
            vet_id: row.id,
            rule_id: finding.ruleId,
            severity: finding.severity,
            confidence: finding.confidence,
            path: finding.path,
            message: finding.message,
            fingerprint: finding.fingerprint,
            origin: finding.origin,
            evidence: JSON.stringify(finding.evidence ?? null),
          })),
        )
        .execute();
    }
    await audit(actor, {
      action: 'vet.save',
      entity: 'vet',
      entityId: row.id,
      afterId: row.id,
      details: {
        releaseId: row.release_id,
        verdict: row.verdict,
        jobKey: row.job_key,
        findings: input.findings.length,
      },
    });
    return toVet(row);
  });
}

async function vetByJobKey(db: Kysely<Database>, jobKey: string): Promise<VetRecord | undefined> {
  const row = await db.selectFrom('vets').selectAll().where('job_key', '=', jobKey).executeTakeFirst();
  return row === undefined ? undefined : toVet(row);
}

export async function getVet(ctx: StoreContext, id: string): Promise<VetRecord | undefined> {
  const row = await ctx.db.selectFrom('vets').selectAll().where('id', '=', id).executeTakeFirst();
  return row === undefined ? undefined : toVet(row);
}

export async function latestVet(ctx: StoreContext, releaseId: string): Promise<VetRecord | undefined> {
  const row = await ctx.db
    .selectFrom('vets')
    .selectAll()
    .where('release_id', '=', releaseId)
    .orderBy('id', 'desc')
    .limit(1)
    .executeTakeFirst();
  return row === undefined ? undefined : toVet(row);
}

/** Findings in the order they were saved. */
export async function vetFindings(
  ctx: StoreContext,
  vetId: string,
  page?: Page,
): Promise<PageOf<StoredFinding>> {
  const limit = pageSize(page);
  const after = decodeCursor<string>(page?.cursor, 'string');
  let select = ctx.db.selectFrom('findings').selectAll().where('vet_id', '=', vetId);
  if (after !== undefined) select = select.where('id', '>', after);
  const rows = await select
    .orderBy('id', 'asc')
    .limit(limit + 1)
    .execute();
  const { items, next } = toPage(rows, limit, (row) => row.id);
  return { items: items.map(toFinding), ...(next === undefined ? {} : { next }) };
}

export async function countVets(ctx: StoreContext): Promise<number> {
  const row = await ctx.db
    .selectFrom('vets')
    .select((eb) => eb.fn.countAll().as('count'))
    .executeTakeFirstOrThrow();
  return Number(row.count);
}
