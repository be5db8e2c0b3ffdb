import { createHash } from 'node:crypto';
import * as asn1js from 'asn1js';
import type * as pkijs from 'pkijs';
import { algorithmName, NAME_ATTRIBUTES, OID } from './oids.js';

/** What a report needs to know about one X.509 certificate. */
export interface CertificateSummary {
  /** OpenSSL one-line form: `/O=Example Vendor/CN=Example Vendor Code Signing`. */
  readonly subject: string;
  readonly issuer: string;
  /** Upper-case hex, as signing tools print it. */
  readonly serialNumber: string;
  /** SHA-1 of the DER: the thumbprint Windows shows. */
  readonly sha1Thumbprint: string;
  readonly sha256Thumbprint: string;
  readonly notBefore: string;
  readonly notAfter: string;
  readonly publicKeyAlgorithm: string;
  /** An EC key whose curve is spelled out instead of named: the CurveBall (CVE-2020-0601) shape. */
  readonly hasExplicitEcParameters: boolean;
  /** basicConstraints cA; false when the extension is absent. */
  readonly isCa: boolean;
  /** Extended key usages (OIDs); empty when the extension is absent (any usage). */
  readonly extendedKeyUsages: readonly string[];
}

/** id-kp-codeSigning: the usage a code-signing leaf is expected to carry. */
export const CODE_SIGNING_USAGE = '1.3.6.1.5.5.7.3.3';

export function toHex(bytes: ArrayBuffer | Uint8Array, upper = false): string {
  const hex = Buffer.from(bytes instanceof Uint8Array ? bytes : new Uint8Array(bytes)).toString('hex');
  return upper ? hex.toUpperCase() : hex;
}

function valueText(value: unknown): string {
  if (value && typeof value === 'object' && 'valueBlock' in value) {
    const block = (value as { valueBlock: { value?: unknown } }).valueBlock;
    if (typeof block.value === 'string') return block.value;
  }
  return '#?';
}

export function formatName(name: pkijs.RelativeDistinguishedNames): string {
  return name.typesAndValues
    .map((entry) => `/${NAME_ATTRIBUTES[entry.type] ?? entry.type}=${valueText(entry.value)}`)
    .join('');
}

// Chain building asks for the same certificates' DER and summary many times; re-encoding with
// pkijs dominates verification time, so both are remembered per certificate object.
const derCache = new WeakMap<pkijs.Certificate, Uint8Array>();
const summaryCache = new WeakMap<pkijs.Certificate, CertificateSummary>();

/** The DER of a certificate: for thumbprints and trust-store comparison. */
export function certificateDer(certificate: pkijs.Certificate): Uint8Array {
  let der = derCache.get(certificate);
  if (!der) {
    der = new Uint8Array(certificate.toSchema().toBER(false));
    derCache.set(certificate, der);
  }
  return der;
}

export function hasExplicitEcParameters(certificate: pkijs.Certificate): boolean {
  const algorithm = certificate.subjectPublicKeyInfo.algorithm;
  return algorithm.algorithmId === OID.ecPublicKey && algorithm.algorithmParams instanceof asn1js.Sequence;
}

export function serialHex(serial: asn1js.Integer): string {
  return toHex(serial.valueBlock.valueHexView, true);
}

function extensionValue<T>(certificate: pkijs.Certificate, oid: string): T | undefined {
  const extension = certificate.extensions?.find((entry) => entry.extnID === oid);
  try {
    return extension?.parsedValue as T | undefined;
  } catch {
    return undefined; // an extension pkijs cannot decode counts as absent
  }
}

export function summarizeCertificate(certificate: pkijs.Certificate): CertificateSummary {
  const cached = summaryCache.get(certificate);
  if (cached) return cached;
  const der = certificateDer(certificate);
  const summary: CertificateSummary = {
    subject: formatName(certificate.subject),
    issuer: formatName(certificate.issuer),
    serialNumber: serialHex(certificate.serialNumber),
    sha1Thumbprint: createHash('sha1').update(der).digest('hex'),
    sha256Thumbprint: createHash('sha256').update(der).digest('hex'),
    notBefore: certificate.notBefore.value.toISOString(),
    notAfter: certificate.notAfter.value.toISOString(),
    publicKeyAlgorithm: algorithmName(certificate.subjectPublicKeyInfo.algorithm.algorithmId),
    hasExplicitEcParameters: hasExplicitEcParameters(certificate),
    isCa: extensionValue<pkijs.BasicConstraints>(certificate, '2.5.29.19')?.cA === true,
    extendedKeyUsages: extensionValue<pkijs.ExtKeyUsage>(certificate, '2.5.29.37')?.keyPurposes ?? [],
  };
  summaryCache.set(certificate, summary);
  return summary;
}
