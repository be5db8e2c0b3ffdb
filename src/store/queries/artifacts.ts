/** Artifacts (content-addressed), their links to releases, analyses and the nodes seen in them. */
import { CountersignError } from '../../core/errors.js';
import { newId } from '../ids.js';
import { decodeCursor, pageSize, toPage } from '../paging.js';
import { toAnalysis, toArtifact, toReleaseArtifact, toSeenNode } from '../rows.js';
import { toStoreError } from '../sql-errors.js';
import type {
  Actor,
  AnalysisRecord,
  ArtifactRecord,
  Page,
  PageOf,
  ReleaseArtifact,
  SeenNode,
} from '../types.js';
import { chunks, INSERT_BATCH_ROWS, now, type StoreContext } from './context.js';

/** Which digest column a hex digest addresses, by its length. */
function digestColumn(digest: string): 'sha256' | 'sha1' | 'md5' | undefined {
  if (!/^[0-9a-f]+$/.test(digest)) return undefined;
  return ({ 64: 'sha256', 40: 'sha1', 32: 'md5' } as const)[digest.length as 64 | 40 | 32];
}

/** Artifact digests are stored as lowercase hex; anything else is refused before it reaches a key. */
function normalisedDigests(artifact: Omit<ArtifactRecord, 'createdAt'>): Omit<ArtifactRecord, 'createdAt'> {
  const sha256 = artifact.sha256.toLowerCase();
  const sha1 = artifact.sha1.toLowerCase();
  const md5 = artifact.md5.toLowerCase();
  if (digestColumn(sha256) !== 'sha256' || digestColumn(sha1) !== 'sha1' || digestColumn(md5) !== 'md5') {
    throw new CountersignError('E_USAGE', 'artifact digests must be hex sha256, sha1 and md5');
  }
  if (!Number.isSafeInteger(artifact.size) || artifact.size < 0) {
    throw new CountersignError(
      'E_USAGE',
      `artifact size must be a non-negative integer, got ${artifact.size}`,
    );
  }
  return { ...artifact, sha256, sha1, md5 };
}

export async function putArtifact(
  ctx: StoreContext,
  actor: Actor,
  input: Omit<ArtifactRecord, 'createdAt'>,
): Promise<ArtifactRecord> {
  const artifact = normalisedDigests(input);
  const existing = await getArtifact(ctx, artifact.sha256);
  if (existing !== undefined) return existing;
  return ctx.write(async (trx, audit) => {
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

export async function getArtifact(ctx: StoreContext, sha256: string): Promise<ArtifactRecord | undefined> {
  const row = await ctx.db
    .selectFrom('artifacts')
    .selectAll()
    .where('sha256', '=', sha256.toLowerCase())
    .executeTakeFirst();
  return row === undefined ? undefined : toArtifact(row);
}

export async function attachArtifact(ctx: StoreContext, actor: Actor, input: ReleaseArtifact): Promise<void> {
  const link = { ...input, sha256: input.sha256.toLowerCase() };
  await ctx.write(async (trx, audit) => {
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
      .catch((error: unknown) => toStoreError(error, `artifact ${link.sha256} on release ${link.releaseId}`));
    await audit(actor, {
      action: 'artifact.attach',
      entity: 'release',
      entityId: link.releaseId,
      afterId: link.sha256,
      details: { name: link.name },
    });
  });
}

export async function releaseArtifacts(
  ctx: StoreContext,
  releaseId: string,
): Promise<readonly ReleaseArtifact[]> {
  const rows = await ctx.db
    .selectFrom('release_artifacts')
    .selectAll()
    .where('release_id', '=', releaseId)
    .orderBy('name')
    .execute();
  return rows.map(toReleaseArtifact);
}

export async function saveAnalysis(
  ctx: StoreContext,
  actor: Actor,
  input: { artifactSha256: string; analyzerVersion: string; result: unknown; nodes: readonly SeenNode[] },
): Promise<AnalysisRecord> {
  const existing = await getAnalysis(ctx, input.artifactSha256, input.analyzerVersion);
  if (existing !== undefined) return existing;
  return ctx.write(async (trx, audit) => {
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

export async function getAnalysis(
  ctx: StoreContext,
  artifactSha256: string,
  analyzerVersion: string,
): Promise<AnalysisRecord | undefined> {
  const row = await ctx.db
    .selectFrom('analyses')
    .selectAll()
    .where('artifact_sha256', '=', artifactSha256)
    .where('analyzer_version', '=', analyzerVersion)
    .executeTakeFirst();
  return row === undefined ? undefined : toAnalysis(row);
}

export async function findNodesByDigest(
  ctx: StoreContext,
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
  let select = ctx.db.selectFrom('seen_nodes').selectAll().where(column, '=', normalised);
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
      : await ctx.db
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
