/**
 * Schema migrations, in code (no migration folder to ship or find at run time). Portable DDL: the
 * same statements run on SQLite and PostgreSQL. Append new migrations; never edit a released one.
 */
import type { Kysely, Migration, MigrationProvider } from 'kysely';

const initial: Migration = {
  async up(db: Kysely<unknown>): Promise<void> {
    await db.schema
      .createTable('users')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('name', 'text', (c) => c.notNull())
      .addColumn('role', 'text', (c) => c.notNull())
      .addColumn('created_at', 'text', (c) => c.notNull())
      .execute();

    await db.schema
      .createTable('api_tokens')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('user_id', 'text', (c) => c.notNull().references('users.id'))
      .addColumn('label', 'text', (c) => c.notNull())
      .addColumn('prefix', 'text', (c) => c.notNull())
      .addColumn('token_sha256', 'text', (c) => c.notNull().unique())
      .addColumn('created_at', 'text', (c) => c.notNull())
      .addColumn('last_used_at', 'text')
      .addColumn('revoked_at', 'text')
      .execute();
    await db.schema.createIndex('api_tokens_user').on('api_tokens').column('user_id').execute();

    await db.schema
      .createTable('suppliers')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('name', 'text', (c) => c.notNull())
      .addColumn('website', 'text')
      .addColumn('created_at', 'text', (c) => c.notNull())
      .execute();

    // trusted_release_id has no foreign key: products and releases would reference each other, and
    // SQLite cannot add a constraint later. The store checks that the release belongs to the product.
    await db.schema
      .createTable('products')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('supplier_id', 'text', (c) => c.notNull().references('suppliers.id'))
      .addColumn('name', 'text', (c) => c.notNull())
      .addColumn('ecosystem', 'text')
      .addColumn('trusted_release_id', 'text')
      .addColumn('created_at', 'text', (c) => c.notNull())
      .addUniqueConstraint('products_supplier_name', ['supplier_id', 'name'])
      .execute();

    await db.schema
      .createTable('releases')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('product_id', 'text', (c) => c.notNull().references('products.id'))
      .addColumn('version', 'text', (c) => c.notNull())
      .addColumn('state', 'text', (c) => c.notNull())
      .addColumn('verdict', 'text')
      .addColumn('baseline_release_id', 'text', (c) => c.references('releases.id'))
      .addColumn('created_at', 'text', (c) => c.notNull())
      .addUniqueConstraint('releases_product_version', ['product_id', 'version'])
      .execute();

    await db.schema
      .createTable('artifacts')
      .addColumn('sha256', 'text', (c) => c.primaryKey())
      .addColumn('sha1', 'text', (c) => c.notNull())
      .addColumn('md5', 'text', (c) => c.notNull())
      .addColumn('size', 'bigint', (c) => c.notNull())
      .addColumn('name', 'text', (c) => c.notNull())
      .addColumn('created_at', 'text', (c) => c.notNull())
      .execute();
    await db.schema.createIndex('artifacts_sha1').on('artifacts').column('sha1').execute();
    await db.schema.createIndex('artifacts_md5').on('artifacts').column('md5').execute();

    await db.schema
      .createTable('release_artifacts')
      .addColumn('release_id', 'text', (c) => c.notNull().references('releases.id'))
      .addColumn('sha256', 'text', (c) => c.notNull().references('artifacts.sha256'))
      .addColumn('name', 'text', (c) => c.notNull())
      .addPrimaryKeyConstraint('release_artifacts_pk', ['release_id', 'name'])
      .execute();
    await db.schema
      .createIndex('release_artifacts_sha256')
      .on('release_artifacts')
      .column('sha256')
      .execute();

    await db.schema
      .createTable('analyses')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('artifact_sha256', 'text', (c) => c.notNull().references('artifacts.sha256'))
      .addColumn('analyzer_version', 'text', (c) => c.notNull())
      .addColumn('result', 'text', (c) => c.notNull())
      .addColumn('created_at', 'text', (c) => c.notNull())
      .addUniqueConstraint('analyses_artifact_version', ['artifact_sha256', 'analyzer_version'])
      .execute();

    await db.schema
      .createTable('seen_nodes')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('analysis_id', 'text', (c) => c.notNull().references('analyses.id'))
      .addColumn('artifact_sha256', 'text', (c) => c.notNull())
      .addColumn('path', 'text', (c) => c.notNull())
      .addColumn('sha256', 'text')
      .addColumn('sha1', 'text')
      .addColumn('md5', 'text')
      .addColumn('size', 'bigint', (c) => c.notNull())
      .addColumn('type', 'text', (c) => c.notNull())
      .execute();
    for (const column of ['sha256', 'sha1', 'md5', 'analysis_id'] as const) {
      await db.schema.createIndex(`seen_nodes_${column}`).on('seen_nodes').column(column).execute();
    }

    await db.schema
      .createTable('facts')
      .addColumn('node_sha256', 'text', (c) => c.notNull())
      .addColumn('analyzer', 'text', (c) => c.notNull())
      .addColumn('analyzer_version', 'text', (c) => c.notNull())
      .addColumn('facts', 'text', (c) => c.notNull())
      .addColumn('created_at', 'text', (c) => c.notNull())
      .addPrimaryKeyConstraint('facts_pk', ['node_sha256', 'analyzer', 'analyzer_version'])
      .execute();

    await db.schema
      .createTable('vets')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('release_id', 'text', (c) => c.notNull().references('releases.id'))
      .addColumn('baseline_release_id', 'text', (c) => c.references('releases.id'))
      .addColumn('verdict', 'text', (c) => c.notNull())
      .addColumn('score', 'double precision', (c) => c.notNull())
      .addColumn('detail', 'text', (c) => c.notNull())
      .addColumn('job_key', 'text', (c) => c.notNull().unique())
      .addColumn('created_at', 'text', (c) => c.notNull())
      .execute();
    await db.schema.createIndex('vets_release').on('vets').columns(['release_id', 'id']).execute();

    await db.schema
      .createTable('findings')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('vet_id', 'text', (c) => c.notNull().references('vets.id'))
      .addColumn('rule_id', 'text', (c) => c.notNull())
      .addColumn('severity', 'text', (c) => c.notNull())
      .addColumn('confidence', 'text', (c) => c.notNull())
      .addColumn('path', 'text', (c) => c.notNull())
      .addColumn('message', 'text', (c) => c.notNull())
      .addColumn('fingerprint', 'text', (c) => c.notNull())
      .addColumn('origin', 'text', (c) => c.notNull())
      .addColumn('evidence', 'text', (c) => c.notNull())
      .execute();
    await db.schema.createIndex('findings_vet').on('findings').columns(['vet_id', 'id']).execute();

    await db.schema
      .createTable('intel_sources')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('name', 'text', (c) => c.notNull())
      .addColumn('kind', 'text', (c) => c.notNull())
      .addColumn('origin', 'text', (c) => c.notNull())
      .addColumn('fetched_at', 'text', (c) => c.notNull())
      .addColumn('counts', 'text', (c) => c.notNull())
      .execute();

    await db.schema
      .createTable('indicators')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('source_id', 'text', (c) => c.notNull().references('intel_sources.id'))
      .addColumn('kind', 'text', (c) => c.notNull())
      .addColumn('value', 'text', (c) => c.notNull())
      .addColumn('tags', 'text', (c) => c.notNull())
      .addColumn('confidence', 'text')
      .addColumn('reference', 'text')
      .addColumn('expires_at', 'text')
      .execute();
    await db.schema
      .createIndex('indicators_kind_value')
      .on('indicators')
      .columns(['kind', 'value'])
      .execute();
    await db.schema.createIndex('indicators_source').on('indicators').column('source_id').execute();

    await db.schema
      .createTable('deployments')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('target', 'text', (c) => c.notNull())
      .addColumn('target_kind', 'text', (c) => c.notNull())
      .addColumn('release_id', 'text', (c) => c.references('releases.id'))
      .addColumn('purl', 'text')
      .addColumn('sha256', 'text')
      .addColumn('seen_at', 'text', (c) => c.notNull())
      .execute();
    for (const column of ['target', 'release_id', 'sha256'] as const) {
      await db.schema.createIndex(`deployments_${column}`).on('deployments').column(column).execute();
    }

    await db.schema
      .createTable('policies')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('name', 'text', (c) => c.notNull())
      .addColumn('body', 'text', (c) => c.notNull())
      .addColumn('active', 'integer', (c) => c.notNull())
      .addColumn('created_at', 'text', (c) => c.notNull())
      .execute();

    await db.schema
      .createTable('decisions')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('subject', 'text', (c) => c.notNull())
      .addColumn('decision', 'text', (c) => c.notNull())
      .addColumn('policy_id', 'text', (c) => c.references('policies.id'))
      .addColumn('reasons', 'text', (c) => c.notNull())
      .addColumn('created_at', 'text', (c) => c.notNull())
      .execute();
    await db.schema.createIndex('decisions_subject').on('decisions').column('subject').execute();

    await db.schema
      .createTable('alerts')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('kind', 'text', (c) => c.notNull())
      .addColumn('severity', 'text', (c) => c.notNull())
      .addColumn('subject', 'text', (c) => c.notNull())
      .addColumn('message', 'text', (c) => c.notNull())
      .addColumn('created_at', 'text', (c) => c.notNull())
      .addColumn('acknowledged_at', 'text')
      .execute();

    // seq is assigned by the store under the append lock (not an identity column), so the chain
    // has no gaps: a rolled-back transaction takes its number with it.
    await db.schema
      .createTable('audit_log')
      .addColumn('seq', 'bigint', (c) => c.primaryKey())
      .addColumn('at', 'text', (c) => c.notNull())
      .addColumn('actor_kind', 'text', (c) => c.notNull())
      .addColumn('actor_id', 'text', (c) => c.notNull())
      .addColumn('action', 'text', (c) => c.notNull())
      .addColumn('entity', 'text', (c) => c.notNull())
      .addColumn('entity_id', 'text', (c) => c.notNull())
      .addColumn('before_id', 'text')
      .addColumn('after_id', 'text')
      .addColumn('details', 'text')
      .addColumn('prev_hash', 'text', (c) => c.notNull())
      .addColumn('hash', 'text', (c) => c.notNull())
      .execute();
  },
};

/** Intel imports become idempotent: a retried import job finds the source it stored. */
const intelImportKey: Migration = {
  async up(db: Kysely<unknown>): Promise<void> {
    await db.schema.alterTable('intel_sources').addColumn('import_key', 'text').execute();
    // Unique where present: both databases let several rows hold NULL.
    await db.schema
      .createIndex('intel_sources_import_key')
      .on('intel_sources')
      .column('import_key')
      .unique()
      .execute();
  },
};

/**
 * Intel imports are recorded before their job is queued (issue 7: a restart neither loses nor
 * duplicates them): `serve` requeues the pending ones at start, and a client can read what became
 * of its upload even when the in-process queue has forgotten the job.
 */
const intelImports: Migration = {
  async up(db: Kysely<unknown>): Promise<void> {
    await db.schema
      .createTable('intel_imports')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('import_key', 'text', (c) => c.notNull().unique())
      .addColumn('name', 'text', (c) => c.notNull())
      .addColumn('sha256', 'text', (c) => c.notNull())
      .addColumn('format', 'text', (c) => c.notNull())
      .addColumn('tags', 'text', (c) => c.notNull())
      .addColumn('requested_by', 'text')
      .addColumn('state', 'text', (c) => c.notNull())
      .addColumn('job_id', 'text', (c) => c.notNull())
      .addColumn('source_id', 'text', (c) => c.references('intel_sources.id'))
      .addColumn('error', 'text')
      .addColumn('error_code', 'text')
      .addColumn('created_at', 'text', (c) => c.notNull())
      .addColumn('updated_at', 'text', (c) => c.notNull())
      .execute();
    await db.schema.createIndex('intel_imports_state').on('intel_imports').columns(['state', 'id']).execute();
    await db.schema.createIndex('intel_imports_job').on('intel_imports').column('job_id').execute();
  },
};

export const MIGRATIONS: Readonly<Record<string, Migration>> = {
  '0001_initial': initial,
  '0002_intel_import_key': intelImportKey,
  '0003_intel_imports': intelImports,
};

export const migrationProvider: MigrationProvider = {
  async getMigrations() {
    return { ...MIGRATIONS };
  },
};
