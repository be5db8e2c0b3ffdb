import { createHash, randomBytes } from 'node:crypto';

/** `cs_` marks our tokens (secret scanners can find leaked ones); 32 random bytes behind it. */
export const TOKEN_PREFIX = 'cs_';
/** Characters shown in listings: enough to tell tokens apart, far too few to guess the rest. */
const SHOWN_PREFIX_LENGTH = TOKEN_PREFIX.length + 6;

export function generateToken(): { token: string; sha256: string; prefix: string } {
  const token = `${TOKEN_PREFIX}${randomBytes(32).toString('base64url')}`;
  return { token, sha256: hashToken(token), prefix: token.slice(0, SHOWN_PREFIX_LENGTH) };
}

/** Tokens carry 256 bits of entropy, so a plain SHA-256 (no salt, no slow KDF) is safe to store. */
export function hashToken(token: string): string {
  return createHash('sha256').update(token, 'utf8').digest('hex');
}

export function looksLikeToken(value: string): boolean {
  return value.startsWith(TOKEN_PREFIX) && value.length === TOKEN_PREFIX.length + 43;
}
