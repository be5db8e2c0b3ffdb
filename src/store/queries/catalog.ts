/** Suppliers, products and releases: who ships what, and each version of it. */
import type { Kysely } from 'kysely';
import type { Decision } from '../../core/decision.js';
import { CountersignError } from '../../core/errors.js';
import { newId } from '../ids.js';
import { containsText, decodeCursor, mapPage, pageSize, toPage } from '../paging.js';
import { type ReleaseRow, toProduct, toRelease, toSupplier } from '../rows.js';
import type { Database } from '../schema.js';
import { toStoreError } from '../sql-errors.js';
import {
  type Actor,
  type Page,
  type PageOf,
  type Product,
  RELEASE_STATES,
  type Release,
  type ReleaseState,
  type Supplier,
} from '../types.js';
import { notFound, now, type StoreContext } from './context.js';

export async function createSupplier(
  ctx: StoreContext,
  actor: Actor,
  input: { name: string; website?: string },
): Promise<Supplier> {
  const row = { id: newId(), name: input.name, website: input.website ?? null, created_at: now() };
  await ctx.write(async (trx, audit) => {
    await trx.insertInto('suppliers').values(row).execute();
    await audit(actor, {
      action: 'supplier.create',
      entity: 'supplier',
      entityId: row.id,
      afterId: row.id,
      details: { name: row.name },
    });
  });
  return toSupplier(row);
}

export async function getSupplier(ctx: StoreContext, id: string): Promise<Supplier | undefined> {
  const row = await ctx.db.selectFrom('suppliers').selectAll().where('id', '=', id).executeTakeFirst();
  return row === undefined ? undefined : toSupplier(row);
}

export async function listSuppliers(
  ctx: StoreContext,
  query: Page & { q?: string },
): Promise<PageOf<Supplier>> {
  const limit = pageSize(query);
  const after = decodeCursor<string>(query.cursor, 'string');
  let select = ctx.db.selectFrom('suppliers').selectAll();
  if (after !== undefined) select = select.where('id', '<', after);
  if (query.q !== undefined && query.q !== '') {
    select = select.where(containsText('name', query.q));
  }
  const rows = await select
    .orderBy('id', 'desc')
    .limit(limit + 1)
    .execute();
  const page = toPage(rows, limit, (row) => row.id);
  return mapPage(page, toSupplier);
}

export async function createProduct(
  ctx: StoreContext,
  actor: Actor,
  input: { supplierId: string; name: string; ecosystem?: string },
): Promise<Product> {
  const row = {
    id: newId(),
    supplier_id: input.supplierId,
    name: input.name,
    ecosystem: input.ecosystem ?? null,
    trusted_release_id: null,
    created_at: now(),
  };
  await ctx.write(async (trx, audit) => {
    await trx
      .insertInto('products')
      .values(row)
      .execute()
      .catch((error: unknown) =>
        toStoreError(error, `product ${input.name} of supplier ${input.supplierId}`),
      );
    await audit(actor, {
      action: 'product.create',
      entity: 'product',
      entityId: row.id,
      afterId: row.id,
      details: { supplierId: row.supplier_id, name: row.name },
    });
  });
  return toProduct(row);
}

export async function getProduct(ctx: StoreContext, id: string): Promise<Product | undefined> {
  const row = await ctx.db.selectFrom('products').selectAll().where('id', '=', id).executeTakeFirst();
  return row === undefined ? undefined : toProduct(row);
}

export async function listProducts(
  ctx: StoreContext,
  query: Page & { q?: string; supplierId?: string },
): Promise<PageOf<Product>> {
  const limit = pageSize(query);
  const after = decodeCursor<string>(query.cursor, 'string');
  let select = ctx.db.selectFrom('products').selectAll();
  if (after !== undefined) select = select.where('id', '<', after);
  if (query.supplierId !== undefined) select = select.where('supplier_id', '=', query.supplierId);
  if (query.q !== undefined && query.q !== '') {
    select = select.where(containsText('name', query.q));
  }
  const rows = await select
    .orderBy('id', 'desc')
    .limit(limit + 1)
    .execute();
  const page = toPage(rows, limit, (row) => row.id);
  return mapPage(page, toProduct);
}

export async function setTrustedRelease(
  ctx: StoreContext,
  actor: Actor,
  productId: string,
  releaseId: string,
): Promise<Product> {
  return ctx.write(async (trx, audit) => {
    const product = await trx
      .selectFrom('products')
      .selectAll()
      .where('id', '=', productId)
      .executeTakeFirst();
    if (product === undefined) throw notFound('product', productId);
    const release = await trx
      .selectFrom('releases')
      .select(['id', 'product_id'])
      .where('id', '=', releaseId)
      .executeTakeFirst();
    if (release === undefined) throw notFound('release', releaseId);
    if (release.product_id !== productId) {
      throw new CountersignError('E_USAGE', `release ${releaseId} does not belong to product ${productId}`);
    }
    if (product.trusted_release_id === releaseId) return toProduct(product);
    await trx
      .updateTable('products')
      .set({ trusted_release_id: releaseId })
      .where('id', '=', productId)
      .execute();
    await audit(actor, {
      action: 'product.trust',
      entity: 'product',
      entityId: productId,
      ...(product.trusted_release_id === null ? {} : { beforeId: product.trusted_release_id }),
      afterId: releaseId,
    });
    return toProduct({ ...product, trusted_release_id: releaseId });
  });
}

export async function createRelease(
  ctx: StoreContext,
  actor: Actor,
  input: { productId: string; version: string; baselineReleaseId?: string },
): Promise<Release> {
  const row = {
    id: newId(),
    product_id: input.productId,
    version: input.version,
    state: 'new',
    verdict: null,
    baseline_release_id: input.baselineReleaseId ?? null,
    created_at: now(),
  };
  return ctx.write(async (trx, audit) => {
    const product = await trx
      .selectFrom('products')
      .select(['id', 'trusted_release_id'])
      .where('id', '=', input.productId)
      .executeTakeFirst();
    if (product === undefined) throw notFound('product', input.productId);
    await trx
      .insertInto('releases')
      .values(row)
      .execute()
      .catch((error: unknown) =>
        toStoreError(error, `release ${input.version} of product ${input.productId}`),
      );
    await audit(actor, {
      action: 'release.create',
      entity: 'release',
      entityId: row.id,
      afterId: row.id,
      details: { productId: row.product_id, version: row.version },
    });
    return toRelease({ ...row, trusted_release_id: product.trusted_release_id });
  });
}

function releasesQuery(db: Kysely<Database>) {
  return db
    .selectFrom('releases')
    .innerJoin('products', 'products.id', 'releases.product_id')
    .selectAll('releases')
    .select('products.trusted_release_id');
}

export async function getRelease(ctx: StoreContext, id: string): Promise<Release | undefined> {
  const row = await releasesQuery(ctx.db).where('releases.id', '=', id).executeTakeFirst();
  return row === undefined ? undefined : toRelease(row);
}

export async function listReleases(
  ctx: StoreContext,
  query: Page & { q?: string; productId?: string },
): Promise<PageOf<Release>> {
  const limit = pageSize(query);
  const after = decodeCursor<string>(query.cursor, 'string');
  let select = releasesQuery(ctx.db);
  if (after !== undefined) select = select.where('releases.id', '<', after);
  if (query.productId !== undefined) select = select.where('releases.product_id', '=', query.productId);
  if (query.q !== undefined && query.q !== '') {
    select = select.where(containsText('releases.version', query.q));
  }
  const rows: ReleaseRow[] = await select
    .orderBy('releases.id', 'desc')
    .limit(limit + 1)
    .execute();
  const page = toPage(rows, limit, (row) => row.id);
  return mapPage(page, toRelease);
}

export async function setReleaseState(
  ctx: StoreContext,
  actor: Actor,
  releaseId: string,
  state: ReleaseState,
  verdict?: Decision,
): Promise<Release> {
  if (!RELEASE_STATES.includes(state))
    throw new CountersignError('E_USAGE', `unknown release state: ${state}`);
  return ctx.write(async (trx, audit) => {
    const before: ReleaseRow | undefined = await releasesQuery(trx)
      .where('releases.id', '=', releaseId)
      .executeTakeFirst();
    if (before === undefined) throw notFound('release', releaseId);
    const after: ReleaseRow = { ...before, state, verdict: verdict ?? before.verdict };
    await trx
      .updateTable('releases')
      .set({ state: after.state, verdict: after.verdict })
      .where('id', '=', releaseId)
      .execute();
    await audit(actor, {
      action: 'release.state',
      entity: 'release',
      entityId: releaseId,
      details: {
        from: before.state,
        to: state,
        ...(verdict === undefined ? {} : { verdict }),
      },
    });
    return toRelease(after);
  });
}
