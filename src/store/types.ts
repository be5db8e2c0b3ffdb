/**
 * The store contract (issue 7): what the server, the jobs and the CLI may ask of the database.
 * One implementation over Kysely serves SQLite (embedded default) and PostgreSQL; the same contract
 * suite runs on both. Records are plain data: ids are opaque strings, times are ISO-8601 UTC
 * strings, sizes are numbers (bytes; safe up to 2^53), JSON columns come back parsed.
 *
 * Every mutating method takes an `Actor` and writes one audit entry in the same transaction, so a
 * change without its audit line cannot exist.
 */
import type { Decision } from '../core/decision.js';

export const ROLES = ['viewer', 'analyst', 'admin'] as const;
export type Role = (typeof ROLES)[number];

/** Who did it: a user through a token, or the system itself (migrations, demo loader, jobs). */
export interface Actor {
  readonly kind: 'user' | 'system';
  /** User id, or a system component name such as `worker` or `demo`. */
  readonly id: string;
}

export interface Page {
  readonly limit?: number;
  /** Opaque cursor returned as `next` by the previous page. */
  readonly cursor?: string;
}
export interface PageOf<T> {
  readonly items: readonly T[];
  readonly next?: string;
}

// --- users and tokens ---------------------------------------------------------------------------

export interface User {
  readonly id: string;
  readonly name: string;
  readonly role: Role;
  readonly createdAt: string;
}
export interface ApiTokenRecord {
  readonly id: string;
  readonly userId: string;
  readonly label: string;
  /** The first characters of the token, shown in listings so a person can tell tokens apart. */
  readonly prefix: string;
  readonly createdAt: string;
  readonly lastUsedAt?: string;
  readonly revokedAt?: string;
}
/** Returned once, on creation: the clear token is never stored (only its SHA-256). */
export interface IssuedToken {
  readonly token: string;
  readonly record: ApiTokenRecord;
}
/** A token as an admin's listing shows it: its record with the user it acts as (never the secret). */
export interface ListedToken extends ApiTokenRecord {
  readonly userName: string;
  readonly role: Role;
}
export interface Principal {
  readonly user: User;
  readonly tokenId: string;
}

// --- suppliers, products, releases ----------------------------------------------------------------

export interface Supplier {
  readonly id: string;
  readonly name: string;
  readonly website?: string;
  readonly createdAt: string;
}
export interface Product {
  readonly id: string;
  readonly supplierId: string;
  readonly name: string;
  /** Ecosystem hint: `windows`, `npm`, `macos`, ... free text. */
  readonly ecosystem?: string;
  /** The release new ones are vetted against (the last one a person or policy trusted). */
  readonly trustedReleaseId?: string;
  readonly createdAt: string;
}
export const RELEASE_STATES = ['new', 'vetting', 'vetted', 'failed'] as const;
export type ReleaseState = (typeof RELEASE_STATES)[number];
export interface Release {
  readonly id: string;
  readonly productId: string;
  readonly version: string;
  readonly state: ReleaseState;
  /** Latest verdict, when vetted. */
  readonly verdict?: Decision;
  /** The release it was (or will be) vetted against; defaults to the product's trusted release. */
  readonly baselineReleaseId?: string;
  readonly createdAt: string;
}

// --- artifacts and analyses -----------------------------------------------------------------------

export interface ArtifactRecord {
  readonly sha256: string;
  readonly sha1: string;
  readonly md5: string;
  readonly size: number;
  /** The name it was uploaded under first. */
  readonly name: string;
  readonly createdAt: string;
}
export interface ReleaseArtifact {
  readonly releaseId: string;
  readonly sha256: string;
  /** File name within the release (an installer, a tarball...). */
  readonly name: string;
}

/** One node of an analysed artifact, kept for "where have we seen this file?". */
export interface SeenNode {
  readonly artifactSha256: string;
  readonly path: string;
  readonly sha256?: string;
  readonly sha1?: string;
  readonly md5?: string;
  readonly size: number;
  readonly type: string;
}

export interface AnalysisRecord {
  readonly id: string;
  readonly artifactSha256: string;
  /** Countersign version + analyzer set; an analysis is reused only for the same key. */
  readonly analyzerVersion: string;
  readonly createdAt: string;
  /** The ScanResult JSON (schema of schemas/scan-result.schema.json). */
  readonly result: unknown;
}

/**
 * An analyzer's facts about one node's content, cached by content: the same bytes analysed by the
 * same analyzer version give the same facts, whichever artifact they came in.
 */
export interface FactsRecord {
  readonly nodeSha256: string;
  /** Plugin id, e.g. `analyzer/pe`. */
  readonly analyzer: string;
  readonly analyzerVersion: string;
  readonly facts: unknown;
  readonly createdAt: string;
}

export interface StoredFinding {
  readonly id: string;
  readonly vetId: string;
  readonly ruleId: string;
  readonly severity: string;
  readonly confidence: string;
  readonly path: string;
  readonly message: string;
  readonly fingerprint: string;
  readonly origin: string;
  readonly evidence: unknown;
}
export interface VetRecord {
  readonly id: string;
  readonly releaseId: string;
  readonly baselineReleaseId?: string;
  readonly verdict: Decision;
  readonly score: number;
  /** The full Verdict object (reasons, score lines). */
  readonly detail: unknown;
  /** Idempotency: the job that produced it; a retried job finds its own result. */
  readonly jobKey: string;
  readonly createdAt: string;
}

// --- intel ------------------------------------------------------------------------------------------

export interface IntelSourceRecord {
  readonly id: string;
  readonly name: string;
  readonly kind: string;
  readonly origin: string;
  readonly fetchedAt: string;
  readonly counts: Readonly<Record<string, number>>;
  /**
   * Idempotency key of the import that stored it (e.g. the job key): a second save with the same
   * key returns the first source and stores nothing.
   */
  readonly importKey?: string;
}
export const INTEL_IMPORT_STATES = ['pending', 'imported', 'failed'] as const;
export type IntelImportState = (typeof INTEL_IMPORT_STATES)[number];
/**
 * An intel import asked for (an uploaded file to be parsed into a source), recorded before its job
 * is queued so that no restart loses it: `pending` until the job stores the source (`imported`,
 * in the same transaction) or gives up (`failed`, with the parser's message and code).
 */
export interface IntelImportRecord {
  readonly id: string;
  /** One import per file and name; the source stored carries the same `importKey`. */
  readonly importKey: string;
  readonly name: string;
  /** The uploaded file in the blob store. */
  readonly sha256: string;
  readonly format: string;
  readonly tags: readonly string[];
  /** Who asked (the audit actor of the source); absent for the system. */
  readonly requestedBy?: Actor;
  readonly state: IntelImportState;
  /** The job id the requester was given; a queue that rebuilds the job reuses it. */
  readonly jobId: string;
  readonly sourceId?: string;
  readonly error?: string;
  readonly code?: string;
  readonly createdAt: string;
  readonly updatedAt: string;
}
export type IntelImportRequest = Pick<
  IntelImportRecord,
  'importKey' | 'name' | 'sha256' | 'format' | 'tags' | 'requestedBy' | 'jobId'
>;

export interface IndicatorRecord {
  readonly sourceId: string;
  readonly kind: string;
  readonly value: string;
  readonly tags: readonly string[];
  readonly confidence?: string;
  readonly reference?: string;
  readonly expiresAt?: string;
}

// --- inventory, policy, alerts --------------------------------------------------------------------

export interface Deployment {
  readonly id: string;
  /** Host name or project name. */
  readonly target: string;
  readonly targetKind: 'host' | 'project';
  /** What runs there: a release id when known, else a purl or a digest. */
  readonly releaseId?: string;
  readonly purl?: string;
  readonly sha256?: string;
  readonly seenAt: string;
}
export interface PolicyRecord {
  readonly id: string;
  readonly name: string;
  readonly body: unknown;
  readonly active: boolean;
  readonly createdAt: string;
}
export interface DecisionRecord {
  readonly id: string;
  readonly subject: string;
  readonly decision: 'allow' | 'deny';
  readonly policyId?: string;
  readonly reasons: unknown;
  readonly createdAt: string;
}
export interface AlertRecord {
  readonly id: string;
  readonly kind: string;
  readonly severity: string;
  readonly subject: string;
  readonly message: string;
  readonly createdAt: string;
  readonly acknowledgedAt?: string;
}

// --- audit -------------------------------------------------------------------------------------------

export interface AuditEntry {
  readonly seq: number;
  readonly at: string;
  readonly actor: Actor;
  /** Verb-ish, stable: `release.create`, `token.issue`, `vet.store` ... */
  readonly action: string;
  readonly entity: string;
  readonly entityId: string;
  readonly beforeId?: string;
  readonly afterId?: string;
  readonly details?: unknown;
  /** sha256 over the previous entry's hash and this entry's canonical JSON. */
  readonly prevHash: string;
  readonly hash: string;
}
export interface AuditVerification {
  readonly ok: boolean;
  readonly entries: number;
  /** First entry whose hash or chain link does not match. */
  readonly brokenAt?: number;
  readonly reason?: string;
  /**
   * Hash of the last entry that verified. The chain alone cannot show that its newest entries were
   * deleted; a head hash recorded elsewhere (a ticket, a log shipper) can: a later verification must
   * still contain it.
   */
  readonly headHash?: string;
}

// --- the store ---------------------------------------------------------------------------------------

export interface Store {
  readonly dialect: 'sqlite' | 'postgres';
  migrate(): Promise<void>;
  close(): Promise<void>;
  /** Cheap round trip for readiness probes. */
  ping(): Promise<void>;

  createUser(actor: Actor, input: { name: string; role: Role }): Promise<User>;
  listUsers(): Promise<readonly User[]>;
  issueToken(actor: Actor, input: { userId: string; label: string }): Promise<IssuedToken>;
  revokeToken(actor: Actor, tokenId: string): Promise<void>;
  /**
   * Every token (or one user's), newest first, revoked ones included, with the user's name and role:
   * never the token or its hash. Not paged: a team has tens of tokens, not millions.
   */
  listTokens(query?: { userId?: string }): Promise<readonly ListedToken[]>;
  /** Resolves a clear token to its user, or undefined when unknown or revoked. */
  authenticate(token: string): Promise<Principal | undefined>;
  /** True when no user exists yet (first start: the bootstrap admin is created). */
  isEmpty(): Promise<boolean>;

  createSupplier(actor: Actor, input: { name: string; website?: string }): Promise<Supplier>;
  getSupplier(id: string): Promise<Supplier | undefined>;
  listSuppliers(query: Page & { q?: string }): Promise<PageOf<Supplier>>;
  createProduct(
    actor: Actor,
    input: { supplierId: string; name: string; ecosystem?: string },
  ): Promise<Product>;
  getProduct(id: string): Promise<Product | undefined>;
  listProducts(query: Page & { q?: string; supplierId?: string }): Promise<PageOf<Product>>;
  setTrustedRelease(actor: Actor, productId: string, releaseId: string): Promise<Product>;
  createRelease(
    actor: Actor,
    input: { productId: string; version: string; baselineReleaseId?: string },
  ): Promise<Release>;
  getRelease(id: string): Promise<Release | undefined>;
  listReleases(query: Page & { q?: string; productId?: string }): Promise<PageOf<Release>>;
  setReleaseState(actor: Actor, releaseId: string, state: ReleaseState, verdict?: Decision): Promise<Release>;

  /** Records an artifact whose blob is already in the blob store; a second put is a no-op. */
  putArtifact(actor: Actor, artifact: Omit<ArtifactRecord, 'createdAt'>): Promise<ArtifactRecord>;
  getArtifact(sha256: string): Promise<ArtifactRecord | undefined>;
  attachArtifact(actor: Actor, link: ReleaseArtifact): Promise<void>;
  releaseArtifacts(releaseId: string): Promise<readonly ReleaseArtifact[]>;

  /** Idempotent on (artifactSha256, analyzerVersion): a second save returns the first record. */
  saveAnalysis(
    actor: Actor,
    input: { artifactSha256: string; analyzerVersion: string; result: unknown; nodes: readonly SeenNode[] },
  ): Promise<AnalysisRecord>;
  getAnalysis(artifactSha256: string, analyzerVersion: string): Promise<AnalysisRecord | undefined>;
  /** "Where have we seen this file?": nodes with this sha256, sha1 or md5, newest first. */
  findNodesByDigest(
    digest: string,
    page?: Page,
  ): Promise<PageOf<SeenNode & { releaseIds: readonly string[] }>>;

  /**
   * Caches facts for many nodes at once (one audit entry per call); an entry whose key
   * (nodeSha256, analyzer, analyzerVersion) is already stored is kept as it was. Returns how many
   * entries were new.
   */
  saveFacts(actor: Actor, entries: readonly Omit<FactsRecord, 'createdAt'>[]): Promise<number>;
  getFacts(nodeSha256: string, analyzer: string, analyzerVersion: string): Promise<FactsRecord | undefined>;
  /** Many getFacts in a few queries; returns the records found, in no particular order. */
  findFacts(
    keys: readonly { nodeSha256: string; analyzer: string; analyzerVersion: string }[],
  ): Promise<readonly FactsRecord[]>;

  /** Idempotent on jobKey: storing the same job's result twice keeps one vet and its findings. */
  saveVet(
    actor: Actor,
    input: Omit<VetRecord, 'id' | 'createdAt'> & {
      findings: readonly Omit<StoredFinding, 'id' | 'vetId'>[];
    },
  ): Promise<VetRecord>;
  getVet(id: string): Promise<VetRecord | undefined>;
  latestVet(releaseId: string): Promise<VetRecord | undefined>;
  vetFindings(vetId: string, page?: Page): Promise<PageOf<StoredFinding>>;
  countVets(): Promise<number>;

  saveIntelSource(
    actor: Actor,
    input: Omit<IntelSourceRecord, 'id'>,
    indicators: readonly Omit<IndicatorRecord, 'sourceId'>[],
  ): Promise<IntelSourceRecord>;
  listIntelSources(): Promise<readonly IntelSourceRecord[]>;
  /**
   * Records an import before its job is queued. Idempotent on `importKey`: a pending or imported
   * import is returned as it is (its job id, its first request's format and tags); a failed one is
   * opened again as pending with this request's job id, format, tags and requester. When a source
   * with the key is already stored (imported before imports were recorded), the record starts
   * `imported`. `saveIntelSource` with the same `importKey` marks it imported in its transaction.
   */
  requestIntelImport(actor: Actor, input: IntelImportRequest): Promise<IntelImportRecord>;
  /** A pending import's job gave up: `failed` with its message and code. Undefined if none pending. */
  failIntelImport(
    actor: Actor,
    importKey: string,
    failure: { error: string; code?: string },
  ): Promise<IntelImportRecord | undefined>;
  /** Imports, newest first, optionally in some states only. Not paged: one per file and name. */
  listIntelImports(query?: { states?: readonly IntelImportState[] }): Promise<readonly IntelImportRecord[]>;
  /** The import whose requester was given this job id. */
  findIntelImportByJob(jobId: string): Promise<IntelImportRecord | undefined>;
  findIndicators(kind: string, values: readonly string[]): Promise<readonly IndicatorRecord[]>;
  /**
   * The indicators no lookup by value can find: URL and path patterns, and CIDR blocks (`ip`
   * values with a `/`). A page at a time in a stable order, so a matcher compiles one page, matches
   * and moves on with bounded memory.
   */
  listPatternIndicators(page?: Page): Promise<PageOf<IndicatorRecord>>;

  recordDeployment(actor: Actor, input: Omit<Deployment, 'id'>): Promise<Deployment>;
  listDeployments(
    query: Page & { releaseId?: string; sha256?: string; target?: string },
  ): Promise<PageOf<Deployment>>;
  savePolicy(actor: Actor, input: { name: string; body: unknown; active: boolean }): Promise<PolicyRecord>;
  recordDecision(actor: Actor, input: Omit<DecisionRecord, 'id' | 'createdAt'>): Promise<DecisionRecord>;
  raiseAlert(
    actor: Actor,
    input: Omit<AlertRecord, 'id' | 'createdAt' | 'acknowledgedAt'>,
  ): Promise<AlertRecord>;
  listAlerts(page?: Page): Promise<PageOf<AlertRecord>>;

  auditLog(page?: Page): Promise<PageOf<AuditEntry>>;
  verifyAudit(): Promise<AuditVerification>;
}

/** Content-addressed bytes, behind an interface so S3-compatible storage can follow the disk one. */
export interface BlobStore {
  /** Streams bytes in, hashing as it goes; stops with E_UPLOAD_TOO_LARGE past maxBytes (nothing kept). */
  put(
    source: AsyncIterable<Uint8Array> | NodeJS.ReadableStream,
    options?: { maxBytes?: number },
  ): Promise<{ sha256: string; sha1: string; md5: string; size: number }>;
  has(sha256: string): Promise<boolean>;
  /** A local file path for analysis (the disk store returns its own file; others download to scratch). */
  localPath(sha256: string): Promise<string>;
  delete(sha256: string): Promise<void>;
}
