/** Digest algorithms Authenticode uses, by OID, with their names in node:crypto and WebCrypto. */
export const AUTHENTICODE_DIGESTS = ['md5', 'sha1', 'sha256', 'sha384', 'sha512'] as const;
export type AuthenticodeDigest = (typeof AUTHENTICODE_DIGESTS)[number];

const BY_OID: Readonly<Record<string, AuthenticodeDigest>> = {
  '1.2.840.113549.2.5': 'md5',
  '1.3.14.3.2.26': 'sha1',
  '2.16.840.1.101.3.4.2.1': 'sha256',
  '2.16.840.1.101.3.4.2.2': 'sha384',
  '2.16.840.1.101.3.4.2.3': 'sha512',
};

const WEBCRYPTO_NAME: Readonly<Record<AuthenticodeDigest, string | undefined>> = {
  md5: undefined, // WebCrypto has no MD5: signatures over MD5 cannot be checked, only reported
  sha1: 'SHA-1',
  sha256: 'SHA-256',
  sha384: 'SHA-384',
  sha512: 'SHA-512',
};

/** Digests that no longer resist collisions: a signature relying only on them proves little. */
export const WEAK_DIGESTS: ReadonlySet<AuthenticodeDigest> = new Set(['md5', 'sha1']);

export function digestFromOid(oid: string): AuthenticodeDigest | undefined {
  return BY_OID[oid];
}

export function webCryptoDigestName(digest: AuthenticodeDigest): string | undefined {
  return WEBCRYPTO_NAME[digest];
}
