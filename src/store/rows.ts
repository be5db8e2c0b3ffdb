/** Database rows to the contract's records: snake_case to camelCase, nulls to absent, JSON parsed. */
import type { Decision } from '../core/decision.js';
import { actorOf } from './audit-chain.js';
import type {
  AlertsTable,
  AnalysesTable,
  ApiTokensTable,
  ArtifactsTable,
  AuditLogTable,
  DecisionsTable,
  DeploymentsTable,
  FactsTable,
  FindingsTable,
  IndicatorsTable,
  IntelImportsTable,
  IntelSourcesTable,
  PoliciesTable,
  ProductsTable,
  ReleaseArtifactsTable,
  ReleasesTable,
  SeenNodesTable,
  SuppliersTable,
  UsersTable,
  VetsTable,
} from './schema.js';
import type {
  Actor,
  AlertRecord,
  AnalysisRecord,
  ApiTokenRecord,
  ArtifactRecord,
  AuditEntry,
  DecisionRecord,
  Deployment,
  FactsRecord,
  IndicatorRecord,
  IntelImportRecord,
  IntelImportState,
  IntelSourceRecord,
  PolicyRecord,
  Product,
  Release,
  ReleaseArtifact,
  ReleaseState,
  Role,
  SeenNode,
  StoredFinding,
  Supplier,
  User,
  VetRecord,
} from './types.js';

/** `{ key: value }` when the value is present, `{}` otherwise (optional members stay absent). */
function opt<K extends string, V>(key: K, value: V | null | undefined): { [P in K]?: V } {
  return value === null || value === undefined ? {} : ({ [key]: value } as { [P in K]?: V });
}

export function parseJson(text: string | null): unknown {
  return text === null ? undefined : JSON.parse(text);
}

export function toUser(row: UsersTable): User {
  return { id: row.id, name: row.name, role: row.role as Role, createdAt: row.created_at };
}

export function toToken(row: Omit<ApiTokensTable, 'token_sha256'>): ApiTokenRecord {
  return {
    id: row.id,
    userId: row.user_id,
    label: row.label,
    prefix: row.prefix,
    createdAt: row.created_at,
    ...opt('lastUsedAt', row.last_used_at),
    ...opt('revokedAt', row.revoked_at),
  };
}

export function toSupplier(row: SuppliersTable): Supplier {
  return { id: row.id, name: row.name, ...opt('website', row.website), createdAt: row.created_at };
}

export function toProduct(row: ProductsTable): Product {
  return {
    id: row.id,
    supplierId: row.supplier_id,
    name: row.name,
    ...opt('ecosystem', row.ecosystem),
    ...opt('trustedReleaseId', row.trusted_release_id),
    createdAt: row.created_at,
  };
}

/** A release row joined with its product's trusted release, the baseline when none was chosen. */
export type ReleaseRow = ReleasesTable & { trusted_release_id: string | null };

export function toRelease(row: ReleaseRow): Release {
  const trusted = row.trusted_release_id === row.id ? null : row.trusted_release_id;
  return {
    id: row.id,
    productId: row.product_id,
    version: row.version,
    state: row.state as ReleaseState,
    ...opt('verdict', row.verdict as Decision | null),
    ...opt('baselineReleaseId', row.baseline_release_id ?? trusted),
    createdAt: row.created_at,
  };
}

export function toArtifact(row: ArtifactsTable): ArtifactRecord {
  return {
    sha256: row.sha256,
    sha1: row.sha1,
    md5: row.md5,
    size: Number(row.size),
    name: row.name,
    createdAt: row.created_at,
  };
}

export function toReleaseArtifact(row: ReleaseArtifactsTable): ReleaseArtifact {
  return { releaseId: row.release_id, sha256: row.sha256, name: row.name };
}

export function toAnalysis(row: AnalysesTable): AnalysisRecord {
  return {
    id: row.id,
    artifactSha256: row.artifact_sha256,
    analyzerVersion: row.analyzer_version,
    createdAt: row.created_at,
    result: JSON.parse(row.result),
  };
}

export function toSeenNode(row: SeenNodesTable): SeenNode {
  return {
    artifactSha256: row.artifact_sha256,
    path: row.path,
    ...opt('sha256', row.sha256),
    ...opt('sha1', row.sha1),
    ...opt('md5', row.md5),
    size: Number(row.size),
    type: row.type,
  };
}

export function toVet(row: VetsTable): VetRecord {
  return {
    id: row.id,
    releaseId: row.release_id,
    ...opt('baselineReleaseId', row.baseline_release_id),
    verdict: row.verdict as Decision,
    score: Number(row.score),
    detail: JSON.parse(row.detail),
    jobKey: row.job_key,
    createdAt: row.created_at,
  };
}

export function toFinding(row: FindingsTable): StoredFinding {
  return {
    id: row.id,
    vetId: row.vet_id,
    ruleId: row.rule_id,
    severity: row.severity,
    confidence: row.confidence,
    path: row.path,
    message: row.message,
    fingerprint: row.fingerprint,
    origin: row.origin,
    evidence: JSON.parse(row.evidence),
  };
}

export function toIntelSource(row: IntelSourcesTable): IntelSourceRecord {
  return {
    id: row.id,
    name: row.name,
    kind: row.kind,
    origin: row.origin,
    fetchedAt: row.fetched_at,
    counts: JSON.parse(row.counts) as Record<string, number>,
    ...opt('importKey', row.import_key),
  };
}

function requesterOf(text: string | null): Actor | undefined {
  const parsed = parseJson(text) as Partial<Actor> | undefined;
  return parsed?.id === undefined ? undefined : actorOf(String(parsed.kind), parsed.id);
}

export function toIntelImport(row: IntelImportsTable): IntelImportRecord {
  return {
    id: row.id,
    importKey: row.import_key,
    name: row.name,
    sha256: row.sha256,
    format: row.format,
    tags: JSON.parse(row.tags) as string[],
    ...opt('requestedBy', requesterOf(row.requested_by)),
    state: row.state as IntelImportState,
    jobId: row.job_id,
    ...opt('sourceId', row.source_id),
    ...opt('error', row.error),
    ...opt('code', row.error_code),
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}

export function toIndicator(row: IndicatorsTable): IndicatorRecord {
  return {
    sourceId: row.source_id,
    kind: row.kind,
    value: row.value,
    tags: JSON.parse(row.tags) as string[],
    ...opt('confidence', row.confidence),
    ...opt('reference', row.reference),
    ...opt('expiresAt', row.expires_at),
  };
}

export function toDeployment(row: DeploymentsTable): Deployment {
  return {
    id: row.id,
    target: row.target,
    targetKind: row.target_kind === 'project' ? 'project' : 'host',
    ...opt('releaseId', row.release_id),
    ...opt('purl', row.purl),
    ...opt('sha256', row.sha256),
    seenAt: row.seen_at,
  };
}

export function toPolicy(row: PoliciesTable): PolicyRecord {
  return {
    id: row.id,
    name: row.name,
    body: JSON.parse(row.body),
    active: Number(row.active) === 1,
    createdAt: row.created_at,
  };
}

export function toDecision(row: DecisionsTable): DecisionRecord {
  return {
    id: row.id,
    subject: row.subject,
    decision: row.decision === 'allow' ? 'allow' : 'deny',
    ...opt('policyId', row.policy_id),
    reasons: JSON.parse(row.reasons),
    createdAt: row.created_at,
  };
}

export function toAlert(row: AlertsTable): AlertRecord {
  return {
    id: row.id,
    kind: row.kind,
    severity: row.severity,
    subject: row.subject,
    message: row.message,
    createdAt: row.created_at,
    ...opt('acknowledgedAt', row.acknowledged_at),
  };
}

export function toAuditEntry(row: AuditLogTable): AuditEntry {
  return {
    seq: Number(row.seq),
    at: row.at,
    actor: actorOf(row.actor_kind, row.actor_id),
    action: row.action,
    entity: row.entity,
    entityId: row.entity_id,
    ...opt('beforeId', row.before_id),
    ...opt('afterId', row.after_id),
    ...opt('details', parseJson(row.details)),
    prevHash: row.prev_hash,
    hash: row.hash,
  };
}

export function toFacts(row: FactsTable): FactsRecord {
  return {
    nodeSha256: row.node_sha256,
    analyzer: row.analyzer,
    analyzerVersion: row.analyzer_version,
    facts: JSON.parse(row.facts),
    createdAt: row.created_at,
  };
}
