import { type Kysely, Migrator, sql } from 'kysely';
import type { Decision } from '../core/decision.js';
import { CountersignError } from '../core/errors.js';
import { checkLink, GENESIS_HASH } from './audit-chain.js';
import { type AppendAudit, inWriteTransaction } from './audit-writer.js';
import { newId } from './ids.js';
import { migrationProvider } from './migrations.js';
import { containsPattern, decodeCursor, pageSize, toPage } from './paging.js';
import {
  type ReleaseRow,
  toAlert,
  toAnalysis,
  toArtifact,
  toAuditEntry,
  toDecision,
  toDeployment,
  toFacts,
  toFinding,
  toIndicator,
  toIntelSource,
  toPolicy,
  toProduct,
  toRelease,
  toReleaseArtifact,
  toSeenNode,
  toSupplier,
  toToken,
  toUser,
  toVet,
} from './rows.js';
import type { Database } from './schema.js';
import { toStoreError } from './sql-errors.js';
import { isSqliteBusy, SQLITE_WRITE_LOCK_WAIT_MS } from './sqlite-connection.js';
import { generateToken, hashToken, looksLikeToken } from './tokens.js';
import {
  type Actor,
  type AlertRecord,
  type AnalysisRecord,
  type ApiTokenRecord,
  type ArtifactRecord,
  type AuditEntry,
  type AuditVerification,
  type DecisionRecord,
  type Deployment,
  type FactsRecord,
  type IndicatorRecord,
  type IntelSourceRecord,
  type IssuedToken,
  type Page,
  type PageOf,
  type PolicyRecord,
  type Principal,
  type Product,
  RELEASE_STATES,
  type Release,
  type ReleaseArtifact,
  type ReleaseState,
  ROLES,
  type Role,
  type SeenNode,
  type Store,
  type StoredFinding,
  type Supplier,
  type User,
  type VetRecord,
} from './types.js';

/** Rows per multi-row INSERT: well under SQLite's and PostgreSQL's bound-parameter limits. */
const INSERT_BATCH_ROWS = 500;
/** authenticate() records use at most this often per token: a write per request would serialise reads. */
export const TOKEN_TOUCH_INTERVAL_MS = 60_000;
const AUDIT_VERIFY_BATCH = 1000;

function now(): string {
  return new Date().toISOString();
}

function chunks<T>(items: readonly T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

function notFound(what: string, id: string): CountersignError {
  return new CountersignError('E_STORE_NOT_FOUND', `${what} ${id} does not exist`, { details: { id } });
}

/** Which digest column a hex digest addresses, by its length. */
function digestColumn(digest: string): 'sha256' | 'sha1' | 'md5' | undefined {
  if (!/^[0-9a-f]+$/.test(digest)) return undefined;
  return ({ 64: 'sha256', 40: 'sha1', 32: 'md5' } as const)[digest.length as 64 | 40 | 32];
}

/**
 * The Store over Kysely, for both dialects. Every mutating method runs in `inWriteTransaction`,
 * which appends the audit entry in the same transaction under the chain's append lock.
 */
export class KyselyStore implements Store {
  readonly dialect: 'sqlite' | 'postgres';
  readonly #db: Kysely<Database>;
  readonly #schema: string | undefined;
  readonly #onClose: () => Promise<void>;

  constructor(
    db: Kysely<Database>,
    dialect: 'sqlite' | 'postgres',
    options: { schema?: string; onClose?: () => Promise<void> } = {},
  ) {
    this.#db = db;
    this.dialect = dialect;
    this.#schema = options.schema;
    this.#onClose = options.onClose ?? (async () => {});
  }

  /** For tests and tools that need raw SQL (tampering tests, maintenance). */
  get db(): Kysely<Database> {
    return this.#db;
  }

  async migrate(): Promise<void> {
    const migrator = new Migrator({
      db: this.#db,
      provider: migrationProvider,
      ...(this.dialect === 'postgres' ? { migrationTableSchema: await this.#postgresSchema() } : {}),
    });
    let outcome = await migrator.migrateToLatest();
    // The Migrator creates its own bookkeeping tables outside a transaction; on SQLite that statement
    // fails at once (busy_timeout is 0) while another connection writes. Wait for it asynchronously.
    const deadline = Date.now() + SQLITE_WRITE_LOCK_WAIT_MS;
    while (this.dialect === 'sqlite' && isSqliteBusy(outcome.error) && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 10 + Math.random() * 40));
      outcome = await migrator.migrateToLatest();
    }
    const { error, results } = outcome;
    if (error !== undefined) {
      const failed = results?.find((result) => result.status === 'Error')?.migrationName ?? 'unknown';
      const message = error instanceof Error ? error.message : String(error);
      throw new CountersignError('E_STORE_UNAVAILABLE', `migration ${failed} failed: ${message}`, {
        cause: error,
      });
    }
  }

  #closed = false;

  /** Closes the connections; a second call does nothing. */
  /**
   * The schema the store lives in. Named explicitly to the Migrator: without it, Kysely looks for its
   * migration table in every schema of the database and, finding one of another schema's, skips
   * creating its own (then fails on it).
   */
  async #postgresSchema(): Promise<string> {
    if (this.#schema !== undefined) return this.#schema;
    const result = await sql<{ schema: string | null }>`select current_schema() as schema`.execute(this.#db);
    const schema = result.rows[0]?.schema;
    if (schema === null || schema === undefined) {
      throw new CountersignError('E_STORE_UNAVAILABLE', 'PostgreSQL search_path names no existing schema');
    }
    return schema;
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await this.#db.destroy();
    await this.#onClose();
  }

  async ping(): Promise<void> {
    await sql`select 1`.execute(this.#db);
  }

  #write<T>(work: (trx: Kysely<Database>, audit: AppendAudit) => Promise<T>): Promise<T> {
    return inWriteTransaction(this.#db, this.dialect, work);
  }

  // --- users and tokens --------------------------------------------------------------------------

  async createUser(actor: Actor, input: { name: string; role: Role }): Promise<User> {
    if (!ROLES.includes(input.role)) throw new CountersignError('E_USAGE', `unknown role: ${input.role}`);
    const row = { id: newId(), name: input.name, role: input.role, created_at: now() };
    await this.#write(async (trx, audit) => {
      await trx.insertInto('users').values(row).execute();
      await audit(actor, {
        action: 'user.create',
        entity: 'user',
        entityId: row.id,
        afterId: row.id,
        details: { name: row.name, role: row.role },
      });
    });
    return toUser(row);
  }

  async listUsers(): Promise<readonly User[]> {
    const rows = await this.#db.selectFrom('users').selectAll().orderBy('id').execute();
    return rows.map(toUser);
  }

  async issueToken(actor: Actor, input: { userId: string; label: string }): Promise<IssuedToken> {
    const { token, sha256, prefix } = generateToken();
    const row = {
      id: newId(),
      user_id: input.userId,
      label: input.label,
      prefix,
      token_sha256: sha256,
      created_at: now(),
      last_used_at: null,
      revoked_at: null,
    };
    await this.#write(async (trx, audit) => {
      await trx
        .insertInto('api_tokens')
        .values(row)
        .execute()
        .catch((error: unknown) => toStoreError(error, `token for user ${input.userId}`));
      await audit(actor, {
        action: 'token.issue',
        entity: 'api_token',
        entityId: row.id,
        afterId: row.id,
        details: { userId: row.user_id, label: row.label, prefix },
      });
    });
    return { token, record: toToken(row) };
  }

  async revokeToken(actor: Actor, tokenId: string): Promise<void> {
    await this.#write(async (trx, audit) => {
      const row = await trx.selectFrom('api_tokens').selectAll().where('id', '=', tokenId).executeTakeFirst();
      if (row === undefined) throw notFound('token', tokenId);
      if (row.revoked_at !== null) return; // already revoked: nothing changes, nothing to audit
      await trx.updateTable('api_tokens').set({ revoked_at: now() }).where('id', '=', tokenId).execute();
      await audit(actor, {
        action: 'token.revoke',
        entity: 'api_token',
        entityId: tokenId,
        beforeId: tokenId,
        details: { userId: row.user_id, prefix: row.prefix },
      });
    });
  }

  async authenticate(token: string): Promise<Principal | undefined> {
    if (!looksLikeToken(token)) return undefined;
    const row = await this.#db
      .selectFrom('api_tokens')
      .innerJoin('users', 'users.id', 'api_tokens.user_id')
      .select([
        'api_tokens.id as token_id',
        'api_tokens.revoked_at',
        'api_tokens.last_used_at',
        'users.id',
        'users.name',
        'users.role',
        'users.created_at',
      ])
      .where('api_tokens.token_sha256', '=', hashToken(token))
      .executeTakeFirst();
    if (row === undefined || row.revoked_at !== null) return undefined;
    // last_used_at is a hint for people ("is this token still in use?"), not an audit record: touch it
    // at most once a minute so busy clients do not turn every read into a write (on SQLite a write
    // takes the database's single write lock). Not audited: it is bookkeeping, not a change.
    const touchedAt = new Date();
    const threshold = new Date(touchedAt.getTime() - TOKEN_TOUCH_INTERVAL_MS).toISOString();
    if (row.last_used_at === null || row.last_used_at < threshold) {
      await this.#db
        .updateTable('api_tokens')
        .set({ last_used_at: touchedAt.toISOString() })
        .where('id', '=', row.token_id)
        .where((eb) => eb.or([eb('last_used_at', 'is', null), eb('last_used_at', '<', threshold)]))
        .execute()
        .catch((error: unknown) => {
          // Another writer holds SQLite's write lock: skip this touch, the next request retries it.
          const code = (error as { code?: unknown } | null)?.code;
          if (code !== 'SQLITE_BUSY' && code !== 'SQLITE_LOCKED') throw error;
        });
    }
    return {
      user: toUser({ id: row.id, name: row.name, role: row.role, created_at: row.created_at }),
      tokenId: row.token_id,
    };
  }

  /** Token records of a user (never the token), newest first. */
  async listTokens(userId: string): Promise<readonly ApiTokenRecord[]> {
    const rows = await this.#db
      .selectFrom('api_tokens')
      .selectAll()
      .where('user_id', '=', userId)
      .orderBy('id', 'desc')
      .execute();
    return rows.map(toToken);
  }

  async isEmpty(): Promise<boolean> {
    const row = await this.#db.selectFrom('users').select('id').limit(1).executeTakeFirst();
    return row === undefined;
  }

  // --- suppliers, products, releases ---------------------------------------------------------------

  async createSupplier(actor: Actor, input: { name: string; website?: string }): Promise<Supplier> {
    const row = { id: newId(), name: input.name, website: input.website ?? null, created_at: now() };
    await this.#write(async (trx, audit) => {
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

  async getSupplier(id: string): Promise<Supplier | undefined> {
    const row = await this.#db.selectFrom('suppliers').selectAll().where('id', '=', id).executeTakeFirst();
    return row === undefined ? undefined : toSupplier(row);
  }

  async listSuppliers(query: Page & { q?: string }): Promise<PageOf<Supplier>> {
    const limit = pageSize(query);
    const after = decodeCursor<string>(query.cursor, 'string');
    let select = this.#db.selectFrom('suppliers').selectAll();
    if (after !== undefined) select = select.where('id', '<', after);
    if (query.q !== undefined && query.q !== '') {
      select = select.where(sql<boolean>`lower(name) like ${containsPattern(query.q)} escape '\\'`);
    }
    const rows = await select
      .orderBy('id', 'desc')
      .limit(limit + 1)
      .execute();
    const page = toPage(rows, limit, (row) => row.id);
    return { items: page.items.map(toSupplier), ...(page.next === undefined ? {} : { next: page.next }) };
  }

  async createProduct(
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
    await this.#write(async (trx, audit) => {
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

  async getProduct(id: string): Promise<Product | undefined> {
    const row = await this.#db.selectFrom('products').selectAll().where('id', '=', id).executeTakeFirst();
    return row === undefined ? undefined : toProduct(row);
  }

  async listProducts(query: Page & { q?: string; supplierId?: string }): Promise<PageOf<Product>> {
    const limit = pageSize(query);
    const after = decodeCursor<string>(query.cursor, 'string');
    let select = this.#db.selectFrom('products').selectAll();
    if (after !== undefined) select = select.where('id', '<', after);
    if (query.supplierId !== undefined) select = select.where('supplier_id', '=', query.supplierId);
    if (query.q !== undefined && query.q !== '') {
      select = select.where(sql<boolean>`lower(name) like ${containsPattern(query.q)} escape '\\'`);
    }
    const rows = await select
      .orderBy('id', 'desc')
      .limit(limit + 1)
      .execute();
    const page = toPage(rows, limit, (row) => row.id);
    return { items: page.items.map(toProduct), ...(page.next === undefined ? {} : { next: page.next }) };
  }

  async setTrustedRelease(actor: Actor, productId: string, releaseId: string): Promise<Product> {
    return this.#write(async (trx, audit) => {
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

  async createRelease(
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
    return this.#write(async (trx, audit) => {
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

  #releases() {
    return this.#db
      .selectFrom('releases')
      .innerJoin('products', 'products.id', 'releases.product_id')
      .selectAll('releases')
      .select('products.trusted_release_id');
  }

  async getRelease(id: string): Promise<Release | undefined> {
    const row = await this.#releases().where('releases.id', '=', id).executeTakeFirst();
    return row === undefined ? undefined : toRelease(row as ReleaseRow);
  }

  async listReleases(query: Page & { q?: string; productId?: string }): Promise<PageOf<Release>> {
    const limit = pageSize(query);
    const after = decodeCursor<string>(query.cursor, 'string');
    let select = this.#releases();
    if (after !== undefined) select = select.where('releases.id', '<', after);
    if (query.productId !== undefined) select = select.where('releases.product_id', '=', query.productId);
    if (query.q !== undefined && query.q !== '') {
      select = select.where(
        sql<boolean>`lower(releases.version) like ${containsPattern(query.q)} escape '\\'`,
      );
    }
    const rows = (await select
      .orderBy('releases.id', 'desc')
      .limit(limit + 1)
      .execute()) as ReleaseRow[];
    const page = toPage(rows, limit, (row) => row.id);
    return { items: page.items.map(toRelease), ...(page.next === undefined ? {} : { next: page.next }) };
  }

  async setReleaseState(
    actor: Actor,
    releaseId: string,
    state: ReleaseState,
    verdict?: Decision,
  ): Promise<Release> {
    if (!RELEASE_STATES.includes(state))
      throw new CountersignError('E_USAGE', `unknown release state: ${state}`);
    return this.#write(async (trx, audit) => {
      const before = (await trx
        .selectFrom('releases')
        .innerJoin('products', 'products.id', 'releases.product_id')
        .selectAll('releases')
        .select('products.trusted_release_id')
        .where('releases.id', '=', releaseId)
        .executeTakeFirst()) as ReleaseRow | undefined;
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

  // --- artifacts and analyses ----------------------------------------------------------------------

  async putArtifact(actor: Actor, artifact: Omit<ArtifactRecord, 'createdAt'>): Promise<ArtifactRecord> {
    const existing = await this.getArtifact(artifact.sha256);
    if (existing !== undefined) return existing;
    return this.#write(async (trx, audit) => {
      const raced = await trx
        .selectFrom('artifacts')
        .selectAll()
        .where('sha256', '=', artifact.sha256)
        .executeTakeFirst();
      if (raced !== undefined) return toArtifact(raced);
      const row = { ...artifact, created_at: now() };
      await trx.insertInto('artifacts').values(row).execute();
      await audit(actor, {
        action: 'artifact.put',
        entity: 'artifact',
        entityId: row.sha256,
        afterId: row.sha256,
        details: { name: row.name, size: row.size },
      });
      return toArtifact(row);
    });
  }

  async getArtifact(sha256: string): Promise<ArtifactRecord | undefined> {
    const row = await this.#db
      .selectFrom('artifacts')
      .selectAll()
      .where('sha256', '=', sha256)
      .executeTakeFirst();
    return row === undefined ? undefined : toArtifact(row);
  }

  async attachArtifact(actor: Actor, link: ReleaseArtifact): Promise<void> {
    await this.#write(async (trx, audit) => {
      const existing = await trx
        .selectFrom('release_artifacts')
        .selectAll()
        .where('release_id', '=', link.releaseId)
        .where('name', '=', link.name)
        .executeTakeFirst();
      if (existing !== undefined) {
        if (existing.sha256 === link.sha256) return; // the same link again: nothing changes
        throw new CountersignError(
          'E_STORE_CONFLICT',
          `release ${link.releaseId} already has a different file named ${link.name}`,
          { details: { sha256: existing.sha256 } },
        );
      }
      await trx
        .insertInto('release_artifacts')
        .values({ release_id: link.releaseId, sha256: link.sha256, name: link.name })
        .execute()
        .catch((error: unknown) =>
          toStoreError(error, `artifact ${link.sha256} on release ${link.releaseId}`),
        );
      await audit(actor, {
        action: 'artifact.attach',
        entity: 'release',
        entityId: link.releaseId,
        afterId: link.sha256,
        details: { name: link.name },
      });
    });
  }

  async releaseArtifacts(releaseId: string): Promise<readonly ReleaseArtifact[]> {
    const rows = await this.#db
      .selectFrom('release_artifacts')
      .selectAll()
      .where('release_id', '=', releaseId)
      .orderBy('name')
      .execute();
    return rows.map(toReleaseArtifact);
  }

  async saveAnalysis(
    actor: Actor,
    input: { artifactSha256: string; analyzerVersion: string; result: unknown; nodes: readonly SeenNode[] },
  ): Promise<AnalysisRecord> {
    const existing = await this.getAnalysis(input.artifactSha256, input.analyzerVersion);
    if (existing !== undefined) return existing;
    return this.#write(async (trx, audit) => {
      // Checked again under the append lock: a concurrent save may have committed since.
      const raced = await trx
        .selectFrom('analyses')
        .selectAll()
        .where('artifact_sha256', '=', input.artifactSha256)
        .where('analyzer_version', '=', input.analyzerVersion)
        .executeTakeFirst();
      if (raced !== undefined) return toAnalysis(raced);
      const row = {
        id: newId(),
        artifact_sha256: input.artifactSha256,
        analyzer_version: input.analyzerVersion,
        result: JSON.stringify(input.result ?? null),
        created_at: now(),
      };
      await trx
        .insertInto('analyses')
        .values(row)
        .execute()
        .catch((error: unknown) => toStoreError(error, `analysis of artifact ${input.artifactSha256}`));
      for (const batch of chunks(input.nodes, INSERT_BATCH_ROWS)) {
        await trx
          .insertInto('seen_nodes')
          .values(
            batch.map((node) => ({
              id: newId(),
              analysis_id: row.id,
              artifact_sha256: node.artifactSha256,
              path: node.path,
              sha256: node.sha256?.toLowerCase() ?? null,
              sha1: node.sha1?.toLowerCase() ?? null,
              md5: node.md5?.toLowerCase() ?? null,
              size: node.size,
              type: node.type,
            })),
          )
          .execute();
      }
      await audit(actor, {
        action: 'analysis.save',
        entity: 'analysis',
        entityId: row.id,
        afterId: row.id,
        details: {
          artifactSha256: row.artifact_sha256,
          analyzerVersion: row.analyzer_version,
          nodes: input.nodes.length,
        },
      });
      return toAnalysis(row);
    });
  }

  async getAnalysis(artifactSha256: string, analyzerVersion: string): Promise<AnalysisRecord | undefined> {
    const row = await this.#db
      .selectFrom('analyses')
      .selectAll()
      .where('artifact_sha256', '=', artifactSha256)
      .where('analyzer_version', '=', analyzerVersion)
      .executeTakeFirst();
    return row === undefined ? undefined : toAnalysis(row);
  }

  async findNodesByDigest(
    digest: string,
    page?: Page,
  ): Promise<PageOf<SeenNode & { releaseIds: readonly string[] }>> {
    const normalised = digest.trim().toLowerCase();
    const column = digestColumn(normalised);
    if (column === undefined) {
      throw new CountersignError('E_USAGE', 'a digest is 32 (md5), 40 (sha1) or 64 (sha256) hex characters');
    }
    const limit = pageSize(page);
    const after = decodeCursor<string>(page?.cursor, 'string');
    let select = this.#db.selectFrom('seen_nodes').selectAll().where(column, '=', normalised);
    if (after !== undefined) select = select.where('id', '<', after);
    const rows = await select
      .orderBy('id', 'desc')
      .limit(limit + 1)
      .execute();
    const { items, next } = toPage(rows, limit, (row) => row.id);
    const artifacts = [...new Set(items.map((row) => row.artifact_sha256))];
    const links =
      artifacts.length === 0
        ? []
        : await this.#db
            .selectFrom('release_artifacts')
            .select(['sha256', 'release_id'])
            .where('sha256', 'in', artifacts)
            .orderBy('release_id')
            .execute();
    const releasesOf = new Map<string, string[]>();
    for (const link of links) {
      const list = releasesOf.get(link.sha256) ?? [];
      if (!list.includes(link.release_id)) list.push(link.release_id);
      releasesOf.set(link.sha256, list);
    }
    return {
      items: items.map((row) => ({
        ...toSeenNode(row),
        releaseIds: releasesOf.get(row.artifact_sha256) ?? [],
      })),
      ...(next === undefined ? {} : { next }),
    };
  }

  // --- facts cache -----------------------------------------------------------------------------------

  async saveFacts(actor: Actor, entries: readonly Omit<FactsRecord, 'createdAt'>[]): Promise<number> {
    if (entries.length === 0) return 0;
    const createdAt = now();
    return this.#write(async (trx, audit) => {
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

  async getFacts(
    nodeSha256: string,
    analyzer: string,
    analyzerVersion: string,
  ): Promise<FactsRecord | undefined> {
    const row = await this.#db
      .selectFrom('facts')
      .selectAll()
      .where('node_sha256', '=', nodeSha256.toLowerCase())
      .where('analyzer', '=', analyzer)
      .where('analyzer_version', '=', analyzerVersion)
      .executeTakeFirst();
    return row === undefined ? undefined : toFacts(row);
  }

  // --- vets and findings ---------------------------------------------------------------------------

  async saveVet(
    actor: Actor,
    input: Omit<VetRecord, 'id' | 'createdAt'> & { findings: readonly Omit<StoredFinding, 'id' | 'vetId'>[] },
  ): Promise<VetRecord> {
    const existing = await this.#vetByJobKey(this.#db, input.jobKey);
    if (existing !== undefined) return existing;
    return this.#write(async (trx, audit) => {
      const raced = await this.#vetByJobKey(trx, input.jobKey);
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

  async #vetByJobKey(db: Kysely<Database>, jobKey: string): Promise<VetRecord | undefined> {
    const row = await db.selectFrom('vets').selectAll().where('job_key', '=', jobKey).executeTakeFirst();
    return row === undefined ? undefined : toVet(row);
  }

  async getVet(id: string): Promise<VetRecord | undefined> {
    const row = await this.#db.selectFrom('vets').selectAll().where('id', '=', id).executeTakeFirst();
    return row === undefined ? undefined : toVet(row);
  }

  async latestVet(releaseId: string): Promise<VetRecord | undefined> {
    const row = await this.#db
      .selectFrom('vets')
      .selectAll()
      .where('release_id', '=', releaseId)
      .orderBy('id', 'desc')
      .limit(1)
      .executeTakeFirst();
    return row === undefined ? undefined : toVet(row);
  }

  /** Findings in the order they were saved. */
  async vetFindings(vetId: string, page?: Page): Promise<PageOf<StoredFinding>> {
    const limit = pageSize(page);
    const after = decodeCursor<string>(page?.cursor, 'string');
    let select = this.#db.selectFrom('findings').selectAll().where('vet_id', '=', vetId);
    if (after !== undefined) select = select.where('id', '>', after);
    const rows = await select
      .orderBy('id', 'asc')
      .limit(limit + 1)
      .execute();
    const { items, next } = toPage(rows, limit, (row) => row.id);
    return { items: items.map(toFinding), ...(next === undefined ? {} : { next }) };
  }

  async countVets(): Promise<number> {
    const row = await this.#db
      .selectFrom('vets')
      .select((eb) => eb.fn.countAll().as('count'))
      .executeTakeFirstOrThrow();
    return Number(row.count);
  }

  // --- intel -----------------------------------------------------------------------------------------

  async saveIntelSource(
    actor: Actor,
    input: Omit<IntelSourceRecord, 'id'>,
    indicators: readonly Omit<IndicatorRecord, 'sourceId'>[],
  ): Promise<IntelSourceRecord> {
    const importKey = input.importKey ?? null;
    if (importKey !== null) {
      const existing = await this.#intelSourceByImportKey(this.#db, importKey);
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
    return this.#write(async (trx, audit) => {
      if (importKey !== null) {
        // Checked again under the append lock: a concurrent attempt may have committed since.
        const raced = await this.#intelSourceByImportKey(trx, importKey);
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

  async #intelSourceByImportKey(
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

  async listIntelSources(): Promise<readonly IntelSourceRecord[]> {
    const rows = await this.#db.selectFrom('intel_sources').selectAll().orderBy('id', 'desc').execute();
    return rows.map(toIntelSource);
  }

  async findIndicators(kind: string, values: readonly string[]): Promise<readonly IndicatorRecord[]> {
    const found: IndicatorRecord[] = [];
    for (const batch of chunks([...new Set(values)], INSERT_BATCH_ROWS)) {
      const rows = await this.#db
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

  // --- inventory, policy, alerts ---------------------------------------------------------------------

  async recordDeployment(actor: Actor, input: Omit<Deployment, 'id'>): Promise<Deployment> {
    const row = {
      id: newId(),
      target: input.target,
      target_kind: input.targetKind,
      release_id: input.releaseId ?? null,
      purl: input.purl ?? null,
      sha256: input.sha256?.toLowerCase() ?? null,
      seen_at: input.seenAt,
    };
    await this.#write(async (trx, audit) => {
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

  async listDeployments(
    query: Page & { releaseId?: string; sha256?: string; target?: string },
  ): Promise<PageOf<Deployment>> {
    const limit = pageSize(query);
    const after = decodeCursor<string>(query.cursor, 'string');
    let select = this.#db.selectFrom('deployments').selectAll();
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
  async savePolicy(
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
    await this.#write(async (trx, audit) => {
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

  async recordDecision(
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
    await this.#write(async (trx, audit) => {
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

  async raiseAlert(
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
    await this.#write(async (trx, audit) => {
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

  async listAlerts(page?: Page): Promise<PageOf<AlertRecord>> {
    const limit = pageSize(page);
    const after = decodeCursor<string>(page?.cursor, 'string');
    let select = this.#db.selectFrom('alerts').selectAll();
    if (after !== undefined) select = select.where('id', '<', after);
    const rows = await select
      .orderBy('id', 'desc')
      .limit(limit + 1)
      .execute();
    const { items, next } = toPage(rows, limit, (row) => row.id);
    return { items: items.map(toAlert), ...(next === undefined ? {} : { next }) };
  }

  // --- audit -----------------------------------------------------------------------------------------

  /** The log in chain order (oldest first), as a verifier reads it. */
  async auditLog(page?: Page): Promise<PageOf<AuditEntry>> {
    const limit = pageSize(page);
    const after = decodeCursor<number>(page?.cursor, 'number') ?? 0;
    const rows = await this.#db
      .selectFrom('audit_log')
      .selectAll()
      .where('seq', '>', after)
      .orderBy('seq', 'asc')
      .limit(limit + 1)
      .execute();
    const { items, next } = toPage(rows, limit, (row) => Number(row.seq));
    return { items: items.map(toAuditEntry), ...(next === undefined ? {} : { next }) };
  }

  async verifyAudit(): Promise<AuditVerification> {
    let expectedSeq = 1;
    let prevHash = GENESIS_HASH;
    for (;;) {
      const rows = await this.#db
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
}
