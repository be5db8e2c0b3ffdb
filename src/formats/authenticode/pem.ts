/** Most certificates read from one PEM bundle: a trust store, not a data set. */
export const MAX_PEM_CERTIFICATES = 4096;

/**
 * The DER certificates of a PEM bundle (`-----BEGIN CERTIFICATE-----` blocks; anything else is
 * ignored), e.g. a trust store for `createAuthenticodeAnalyzer({ trustAnchors })`.
 */
export function certificatesFromPem(text: string): Uint8Array[] {
  const certificates: Uint8Array[] = [];
  for (const match of text.matchAll(
    /-----BEGIN CERTIFICATE-----([A-Za-z0-9+/=\s]*?)-----END CERTIFICATE-----/g,
  )) {
    if (certificates.length === MAX_PEM_CERTIFICATES) break;
    const der = Buffer.from((match[1] ?? '').replace(/\s+/g, ''), 'base64');
    if (der.length > 0) certificates.push(new Uint8Array(der));
  }
  return certificates;
}
