/**
 * The database as Kysely sees it: one interface per table, columns in snake_case. Portable types
 * only: text, integer/bigint (read back as numbers), double precision; times are ISO-8601 text and
 * JSON is text, so SQLite and PostgreSQL store byte-identical values and the audit hashes agree.
 */

export interface UsersTable {
  id: string;
  name: string;
  role: string;
  created_at: string;
}

export interface ApiTokensTable {
  id: string;
  user_id: string;
  label: string;
  prefix: string;
  /** Hex SHA-256 of the clear token; the token itself is never stored. */
  token_sha256: string;
  created_at: string;
  last_used_at: string | null;
  revoked_at: string | null;
}

export interface SuppliersTable {
  id: string;
  name: string;
  website: string | null;
  created_at: string;
}

export interface ProductsTable {
  id: string;
  supplier_id: string;
  name: string;
  ecosystem: string | null;
  trusted_release_id: string | null;
  created_at: string;
}

export interface ReleasesTable {
  id: string;
  product_id: string;
  version: string;
  state: string;
  verdict: string | null;
  baseline_release_id: string | null;
  created_at: string;
}

export interface ArtifactsTable {
  sha256: string;
  sha1: string;
  md5: string;
  size: number;
  name: string;
  created_at: string;
}

export interface ReleaseArtifactsTable {
  release_id: string;
  sha256: string;
  name: string;
}

export interface AnalysesTable {
  id: string;
  artifact_sha256: string;
  analyzer_version: string;
  result: string;
  created_at: string;
}

export interface SeenNodesTable {
  id: string;
  analysis_id: string;
  artifact_sha256: string;
  path: string;
  sha256: string | null;
  sha1: string | null;
  md5: string | null;
  size: number;
  type: string;
}

export interface FactsTable {
  node_sha256: string;
  analyzer: string;
  analyzer_version: string;
  facts: string;
  created_at: string;
}

export interface VetsTable {
  id: string;
  release_id: string;
  baseline_release_id: string | null;
  verdict: string;
  score: number;
  detail: string;
  job_key: string;
  created_at: string;
}

export interface FindingsTable {
  id: string;
  vet_id: string;
  rule_id: string;
  severity: string;
  confidence: string;
  path: string;
  message: string;
  fingerprint: string;
  origin: string;
  evidence: string;
}

export interface IntelSourcesTable {
  id: string;
  name: string;
  kind: string;
  origin: string;
  fetched_at: string;
  counts: string;
  /** Added by 0002_intel_import_key; unique when present. */
  import_key: string | null;
}

/**
 * Added by 0003_intel_imports: an import asked for and not lost. Written before its job is queued,
 * so a process that dies first leaves the request behind (the in-process queue keeps jobs in
 * memory); the job marks it imported in the transaction that stores the source, or failed.
 */
export interface IntelImportsTable {
  id: string;
  /** Unique: one import per file and name (the job's singleton key). */
  import_key: string;
  name: string;
  sha256: string;
  format: string;
  /** JSON array of strings. */
  tags: string;
  /** JSON Actor, or null for the system. */
  requested_by: string | null;
  /** pending | imported | failed */
  state: string;
  job_id: string;
  source_id: string | null;
  error: string | null;
  error_code: string | null;
  created_at: string;
  updated_at: string;
}

export interface IndicatorsTable {
  id: string;
  source_id: string;
  kind: string;
  value: string;
  tags: string;
  confidence: string | null;
  reference: string | null;
  expires_at: string | null;
}

export interface DeploymentsTable {
  id: string;
  target: string;
  target_kind: string;
  release_id: string | null;
  purl: string | null;
  sha256: string | null;
  seen_at: string;
}

export interface PoliciesTable {
  id: string;
  name: string;
  body: string;
  /** 0 or 1: SQLite has no boolean type. */
  active: number;
  created_at: string;
}

export interface DecisionsTable {
  id: string;
  subject: string;
  decision: string;
  policy_id: string | null;
  reasons: string;
  created_at: string;
}

export interface AlertsTable {
  id: string;
  kind: string;
  severity: string;
  subject: string;
  message: string;
  created_at: string;
  acknowledged_at: string | null;
}

export interface AuditLogTable {
  seq: number;
  at: string;
  actor_kind: string;
  actor_id: string;
  action: string;
  entity: string;
  entity_id: string;
  before_id: string | null;
  after_id: string | null;
  /** Canonical JSON, or null. */
  details: string | null;
  prev_hash: string;
  hash: string;
}

export interface Database {
  users: UsersTable;
  api_tokens: ApiTokensTable;
  suppliers: SuppliersTable;
  products: ProductsTable;
  releases: ReleasesTable;
  artifacts: ArtifactsTable;
  release_artifacts: ReleaseArtifactsTable;
  analyses: AnalysesTable;
  seen_nodes: SeenNodesTable;
  facts: FactsTable;
  vets: VetsTable;
  findings: FindingsTable;
  intel_sources: IntelSourcesTable;
  intel_imports: IntelImportsTable;
  indicators: IndicatorsTable;
  deployments: DeploymentsTable;
  policies: PoliciesTable;
  decisions: DecisionsTable;
  alerts: AlertsTable;
  audit_log: AuditLogTable;
}
