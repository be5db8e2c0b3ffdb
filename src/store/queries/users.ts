/** Users and API tokens (only the sha256 of a token is kept). */
import { CountersignError } from '../../core/errors.js';
import { newId } from '../ids.js';
import { toToken, toUser } from '../rows.js';
import { toStoreError } from '../sql-errors.js';
import { generateToken, hashToken, looksLikeToken } from '../tokens.js';
import {
  type Actor,
  type IssuedToken,
  type ListedToken,
  type Principal,
  ROLES,
  type Role,
  type User,
} from '../types.js';
import { notFound, now, type StoreContext } from './context.js';

/** authenticate() records use at most this often per token: a write per request would serialise reads. */
export const TOKEN_TOUCH_INTERVAL_MS = 60_000;

export async function createUser(
  ctx: StoreContext,
  actor: Actor,
  input: { name: string; role: Role },
): Promise<User> {
  if (!ROLES.includes(input.role)) throw new CountersignError('E_USAGE', `unknown role: ${input.role}`);
  const row = { id: newId(), name: input.name, role: input.role, created_at: now() };
  await ctx.write(async (trx, audit) => {
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

export async function listUsers(ctx: StoreContext): Promise<readonly User[]> {
  const rows = await ctx.db.selectFrom('users').selectAll().orderBy('id').execute();
  return rows.map(toUser);
}

export async function issueToken(
  ctx: StoreContext,
  actor: Actor,
  input: { userId: string; label: string },
): Promise<IssuedToken> {
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
  await ctx.write(async (trx, audit) => {
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

export async function revokeToken(ctx: StoreContext, actor: Actor, tokenId: string): Promise<void> {
  await ctx.write(async (trx, audit) => {
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

export async function authenticate(ctx: StoreContext, token: string): Promise<Principal | undefined> {
  if (!looksLikeToken(token)) return undefined;
  const row = await ctx.db
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
    await ctx.db
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

/** Token records, newest first, with their user's name and role (never the token nor its hash). */
export async function listTokens(
  ctx: StoreContext,
  query: { userId?: string } = {},
): Promise<readonly ListedToken[]> {
  let select = ctx.db
    .selectFrom('api_tokens')
    .innerJoin('users', 'users.id', 'api_tokens.user_id')
    // Named columns, not selectAll: the hash never leaves the database through a listing.
    .select([
      'api_tokens.id',
      'api_tokens.user_id',
      'api_tokens.label',
      'api_tokens.prefix',
      'api_tokens.created_at',
      'api_tokens.last_used_at',
      'api_tokens.revoked_at',
      'users.name as user_name',
      'users.role as user_role',
    ]);
  if (query.userId !== undefined) select = select.where('api_tokens.user_id', '=', query.userId);
  // Ids are time-ordered, so the newest token comes first (created_at alone ties within a millisecond).
  const rows = await select.orderBy('api_tokens.id', 'desc').execute();
  return rows.map((row) => ({
    ...toToken(row),
    userName: row.user_name,
    role: row.user_role as Role,
  }));
}

export async function isEmpty(ctx: StoreContext): Promise<boolean> {
  const row = await ctx.db.selectFrom('users').select('id').limit(1).executeTakeFirst();
  return row === undefined;
}
