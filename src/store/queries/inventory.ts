/** Deployments (where software runs), policies, decisions and alerts. */
import { newId } from '../ids.js';
import { decodeCursor, pageSize, toPage } from '../paging.js';
import { toAlert, toDecision, toDeployment, toPolicy } from '../rows.js';
import { toStoreError } from '../sql-errors.js';
import type { Actor, AlertRecord, DecisionRecord, Deployment, Page, PageOf, PolicyRecord } from '../types.js';
import { now, type StoreContext } from './context.js';

export async function recordDeployment(
  ctx: StoreContext,
  actor: Actor,
  input: Omit<Deployment, 'id'>,
): Promise<Deployment> {
  const row = {
    id: newId(),
    target: input.target,
    target_kind: input.targetKind,
    release_id: input.releaseId ?? null,
    purl: input.purl ?? null,
    sha256: input.sha256?.toLowerCase() ?? null,
    seen_at: input.seenAt,
  };
  await ctx.write(async (trx, audit) => {
    await trx
      .insertInto('deployments')
      .values(row)
      .execute()
      .catch((error: unknown) => toStoreError(error, `deployment on ${input.target}`));
    await audit(actor, {
      action: 'deployment.record',
      entity: 'deployment',
      entityId: row.id,
      afterId: row.id,
      details: { target: row.target, targetKind: row.target_kind },
    });
  });
  return toDeployment(row);
}

export async function listDeployments(
  ctx: StoreContext,
  query: Page & { releaseId?: string; sha256?: string; target?: string },
): Promise<PageOf<Deployment>> {
  const limit = pageSize(query);
  const after = decodeCursor<string>(query.cursor, 'string');
  let select = ctx.db.selectFrom('deployments').selectAll();
  if (after !== undefined) select = select.where('id', '<', after);
  if (query.releaseId !== undefined) select = select.where('release_id', '=', query.releaseId);
  if (query.sha256 !== undefined) select = select.where('sha256', '=', query.sha256.toLowerCase());
  if (query.target !== undefined) select = select.where('target', '=', query.target);
  const rows = await select
    .orderBy('id', 'desc')
    .limit(limit + 1)
    .execute();
  const { items, next } = toPage(rows, limit, (row) => row.id);
  return { items: items.map(toDeployment), ...(next === undefined ? {} : { next }) };
}

/** Policies are versioned by record: saving an active one deactivates the older ones of that name. */
export async function savePolicy(
  ctx: StoreContext,
  actor: Actor,
  input: { name: string; body: unknown; active: boolean },
): Promise<PolicyRecord> {
  const row = {
    id: newId(),
    name: input.name,
    body: JSON.stringify(input.body ?? null),
    active: input.active ? 1 : 0,
    created_at: now(),
  };
  await ctx.write(async (trx, audit) => {
    const previous = await trx
      .selectFrom('policies')
      .select('id')
      .where('name', '=', input.name)
      .where('active', '=', 1)
      .orderBy('id', 'desc')
      .executeTakeFirst();
    if (input.active) {
      await trx.updateTable('policies').set({ active: 0 }).where('name', '=', input.name).execute();
    }
    await trx.insertInto('policies').values(row).execute();
    await audit(actor, {
      action: 'policy.save',
      entity: 'policy',
      entityId: row.id,
      ...(previous === undefined ? {} : { beforeId: previous.id }),
      afterId: row.id,
      details: { name: row.name, active: input.active },
    });
  });
  return toPolicy(row);
}

export async function recordDecision(
  ctx: StoreContext,
  actor: Actor,
  input: Omit<DecisionRecord, 'id' | 'createdAt'>,
): Promise<DecisionRecord> {
  const row = {
    id: newId(),
    subject: input.subject,
    decision: input.decision,
    policy_id: input.policyId ?? null,
    reasons: JSON.stringify(input.reasons ?? null),
    created_at: now(),
  };
  await ctx.write(async (trx, audit) => {
    await trx
      .insertInto('decisions')
      .values(row)
      .execute()
      .catch((error: unknown) => toStoreError(error, `decision on ${input.subject}`));
    await audit(actor, {
      action: 'decision.record',
      entity: 'decision',
      entityId: row.id,
      afterId: row.id,
      details: { subject: row.subject, decision: row.decision },
    });
  });
  return toDecision(row);
}

export async function raiseAlert(
  ctx: StoreContext,
  actor: Actor,
  input: Omit<AlertRecord, 'id' | 'createdAt' | 'acknowledgedAt'>,
): Promise<AlertRecord> {
  const row = {
    id: newId(),
    kind: input.kind,
    severity: input.severity,
    subject: input.subject,
    message: input.message,
    created_at: now(),
    acknowledged_at: null,
  };
  await ctx.write(async (trx, audit) => {
    await trx.insertInto('alerts').values(row).execute();
    await audit(actor, {
      action: 'alert.raise',
      entity: 'alert',
      entityId: row.id,
      afterId: row.id,
      details: { kind: row.kind, severity: row.severity, subject: row.subject },
    });
  });
  return toAlert(row);
}

export async function listAlerts(ctx: StoreContext, page?: Page): Promise<PageOf<AlertRecord>> {
  const limit = pageSize(page);
  const after = decodeCursor<string>(page?.cursor, 'string');
  let select = ctx.db.selectFrom('alerts').selectAll();
  if (after !== undefined) select = select.where('id', '<', after);
  const rows = await select
    .orderBy('id', 'desc')
    .limit(limit + 1)
    .execute();
  const { items, next } = toPage(rows, limit, (row) => row.id);
  return { items: items.map(toAlert), ...(next === undefined ? {} : { next }) };
}
