import { type Kysely, Migrator, sql } from 'kysely';
import { CountersignError } from '../core/errors.js';
import { inWriteTransaction } from './audit-writer.js';
import { migrationProvider } from './migrations.js';
import * as artifacts from './queries/artifacts.js';
import * as audit from './queries/audit.js';
import * as catalog from './queries/catalog.js';
import type { StoreContext } from './queries/context.js';
import * as facts from './queries/facts.js';
import * as intel from './queries/intel.js';
import * as inventory from './queries/inventory.js';
import * as users from './queries/users.js';
import * as vets from './queries/vets.js';
import type { Database } from './schema.js';
import { isSqliteBusy, SQLITE_WRITE_LOCK_WAIT_MS } from './sqlite-connection.js';
import type { Store } from './types.js';

export { TOKEN_TOUCH_INTERVAL_MS } from './queries/users.js';

/**
 * The Store over Kysely, for both dialects: connection lifecycle and migrations here, the queries in
 * queries/<area>.ts. Every mutating query runs through `StoreContext.write`, which appends the audit
 * entry in the same transaction under the chain's append lock.
 */
export class KyselyStore implements Store {
  readonly dialect: 'sqlite' | 'postgres';
  readonly #db: Kysely<Database>;
  readonly #schema: string | undefined;
  readonly #onClose: () => Promise<void>;
  readonly #ctx: StoreContext;
  #closed = false;

  constructor(
    db: Kysely<Database>,
    dialect: 'sqlite' | 'postgres',
    options: { schema?: string; onClose?: () => Promise<void> } = {},
  ) {
    this.#db = db;
    this.dialect = dialect;
    this.#schema = options.schema;
    this.#onClose = options.onClose ?? (async () => {});
    this.#ctx = { db, write: (work) => inWriteTransaction(db, dialect, work) };
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

  /** Closes the connections; a second call does nothing. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await this.#db.destroy();
    await this.#onClose();
  }

  async ping(): Promise<void> {
    await sql`select 1`.execute(this.#db);
  }

  // users (queries/users.ts)
  readonly createUser: Store['createUser'] = (...args) => users.createUser(this.#ctx, ...args);
  readonly listUsers: Store['listUsers'] = (...args) => users.listUsers(this.#ctx, ...args);
  readonly issueToken: Store['issueToken'] = (...args) => users.issueToken(this.#ctx, ...args);
  readonly revokeToken: Store['revokeToken'] = (...args) => users.revokeToken(this.#ctx, ...args);
  readonly authenticate: Store['authenticate'] = (...args) => users.authenticate(this.#ctx, ...args);
  readonly isEmpty: Store['isEmpty'] = (...args) => users.isEmpty(this.#ctx, ...args);
  readonly listTokens: Store['listTokens'] = (...args) => users.listTokens(this.#ctx, ...args);

  // catalog (queries/catalog.ts)
  readonly createSupplier: Store['createSupplier'] = (...args) => catalog.createSupplier(this.#ctx, ...args);
  readonly getSupplier: Store['getSupplier'] = (...args) => catalog.getSupplier(this.#ctx, ...args);
  readonly listSuppliers: Store['listSuppliers'] = (...args) => catalog.listSuppliers(this.#ctx, ...args);
  readonly createProduct: Store['createProduct'] = (...args) => catalog.createProduct(this.#ctx, ...args);
  readonly getProduct: Store['getProduct'] = (...args) => catalog.getProduct(this.#ctx, ...args);
  readonly listProducts: Store['listProducts'] = (...args) => catalog.listProducts(this.#ctx, ...args);
  readonly setTrustedRelease: Store['setTrustedRelease'] = (...args) =>
    catalog.setTrustedRelease(this.#ctx, ...args);
  readonly createRelease: Store['createRelease'] = (...args) => catalog.createRelease(this.#ctx, ...args);
  readonly getRelease: Store['getRelease'] = (...args) => catalog.getRelease(this.#ctx, ...args);
  readonly listReleases: Store['listReleases'] = (...args) => catalog.listReleases(this.#ctx, ...args);
  readonly setReleaseState: Store['setReleaseState'] = (...args) =>
    catalog.setReleaseState(this.#ctx, ...args);

  // artifacts (queries/artifacts.ts)
  readonly putArtifact: Store['putArtifact'] = (...args) => artifacts.putArtifact(this.#ctx, ...args);
  readonly getArtifact: Store['getArtifact'] = (...args) => artifacts.getArtifact(this.#ctx, ...args);
  readonly attachArtifact: Store['attachArtifact'] = (...args) =>
    artifacts.attachArtifact(this.#ctx, ...args);
  readonly releaseArtifacts: Store['releaseArtifacts'] = (...args) =>
    artifacts.releaseArtifacts(this.#ctx, ...args);
  readonly saveAnalysis: Store['saveAnalysis'] = (...args) => artifacts.saveAnalysis(this.#ctx, ...args);
  readonly getAnalysis: Store['getAnalysis'] = (...args) => artifacts.getAnalysis(this.#ctx, ...args);
  readonly findNodesByDigest: Store['findNodesByDigest'] = (...args) =>
    artifacts.findNodesByDigest(this.#ctx, ...args);

  // facts (queries/facts.ts)
  readonly saveFacts: Store['saveFacts'] = (...args) => facts.saveFacts(this.#ctx, ...args);
  readonly getFacts: Store['getFacts'] = (...args) => facts.getFacts(this.#ctx, ...args);
  readonly findFacts: Store['findFacts'] = (...args) => facts.findFacts(this.#ctx, ...args);

  // vets (queries/vets.ts)
  readonly saveVet: Store['saveVet'] = (...args) => vets.saveVet(this.#ctx, ...args);
  readonly getVet: Store['getVet'] = (...args) => vets.getVet(this.#ctx, ...args);
  readonly latestVet: Store['latestVet'] = (...args) => vets.latestVet(this.#ctx, ...args);
  readonly vetFindings: Store['vetFindings'] = (...args) => vets.vetFindings(this.#ctx, ...args);
  readonly countVets: Store['countVets'] = (...args) => vets.countVets(this.#ctx, ...args);

  // intel (queries/intel.ts)
  readonly saveIntelSource: Store['saveIntelSource'] = (...args) => intel.saveIntelSource(this.#ctx, ...args);
  readonly listIntelSources: Store['listIntelSources'] = (...args) =>
    intel.listIntelSources(this.#ctx, ...args);
  readonly requestIntelImport: Store['requestIntelImport'] = (...args) =>
    intel.requestIntelImport(this.#ctx, ...args);
  readonly failIntelImport: Store['failIntelImport'] = (...args) => intel.failIntelImport(this.#ctx, ...args);
  readonly listIntelImports: Store['listIntelImports'] = (...args) =>
    intel.listIntelImports(this.#ctx, ...args);
  readonly findIntelImportByJob: Store['findIntelImportByJob'] = (...args) =>
    intel.findIntelImportByJob(this.#ctx, ...args);
  readonly findIndicators: Store['findIndicators'] = (...args) => intel.findIndicators(this.#ctx, ...args);
  readonly listPatternIndicators: Store['listPatternIndicators'] = (...args) =>
    intel.listPatternIndicators(this.#ctx, ...args);

  // inventory (queries/inventory.ts)
  readonly recordDeployment: Store['recordDeployment'] = (...args) =>
    inventory.recordDeployment(this.#ctx, ...args);
  readonly listDeployments: Store['listDeployments'] = (...args) =>
    inventory.listDeployments(this.#ctx, ...args);
  readonly savePolicy: Store['savePolicy'] = (...args) => inventory.savePolicy(this.#ctx, ...args);
  readonly recordDecision: Store['recordDecision'] = (...args) =>
    inventory.recordDecision(this.#ctx, ...args);
  readonly raiseAlert: Store['raiseAlert'] = (...args) => inventory.raiseAlert(this.#ctx, ...args);
  readonly listAlerts: Store['listAlerts'] = (...args) => inventory.listAlerts(this.#ctx, ...args);

  // audit (queries/audit.ts)
  readonly auditLog: Store['auditLog'] = (...args) => audit.auditLog(this.#ctx, ...args);
  readonly verifyAudit: Store['verifyAudit'] = (...args) => audit.verifyAudit(this.#ctx, ...args);
}
