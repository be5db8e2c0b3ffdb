import { OSV_DIGEST_ALGORITHMS, type OsvDigest, type OsvDigestAlgorithm } from './types.js';

const HEX_LENGTH: Record<OsvDigestAlgorithm, number> = { sha1: 40, sha256: 64, sha512: 128 };

function isAlgorithm(name: string): name is OsvDigestAlgorithm {
  return (OSV_DIGEST_ALGORITHMS as readonly string[]).includes(name);
}

/** `sha1` + hex (npm's `shasum`), any case; undefined when the algorithm or length is wrong. */
export function digestFromHex(algorithm: string, hex: string): OsvDigest | undefined {
  const name = algorithm.toLowerCase().replace(/-/g, '');
  if (!isAlgorithm(name)) return undefined;
  const lower = hex.trim().toLowerCase();
  if (lower.length !== HEX_LENGTH[name] || !/^[0-9a-f]+$/.test(lower)) return undefined;
  return { algorithm: name, hex: lower };
}

/** One Subresource Integrity token (`sha512-<base64>`, npm's `dist.integrity`) as hex. */
export function digestFromSri(sri: string): OsvDigest | undefined {
  const match = /^(sha1|sha256|sha512)-([A-Za-z0-9+/]+={0,2})(\?.*)?$/.exec(sri.trim());
  if (match === null) return undefined;
  const algorithm = match[1] as OsvDigestAlgorithm;
  const hex = Buffer.from(match[2]!, 'base64').toString('hex');
  return hex.length === HEX_LENGTH[algorithm] ? { algorithm, hex } : undefined;
}

/** All digests of an npm `integrity` string, which may hold several space-separated tokens. */
export function digestsFromIntegrity(integrity: string): OsvDigest[] {
  return integrity
    .split(/\s+/)
    .filter((token) => token !== '')
    .map(digestFromSri)
    .filter((digest): digest is OsvDigest => digest !== undefined);
}

export function digestKey(digest: OsvDigest): string {
  return `${digest.algorithm}:${digest.hex}`;
}
