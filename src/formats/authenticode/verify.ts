import { createHash } from 'node:crypto';
import * as asn1js from 'asn1js';
import * as pkijs from 'pkijs';
import { type AuthenticodeDigest, webCryptoDigestName } from './algorithms.js';
import {
  type CertificateSummary,
  certificateDer,
  formatName,
  serialHex,
  summarizeCertificate,
  toHex,
} from './certificate.js';
import type { AuthenticodeSignature, ParsedSigner, ParsedTimestamp } from './signature.js';

/** Longest chain we build: real code-signing chains have 3 or 4 certificates. */
export const MAX_CHAIN_LENGTH = 8;

export type SignatureCheck = 'valid' | 'invalid' | 'unsupported' | 'no-certificate';

/**
 * How the signer's certificate chain ends:
 * - `trusted`: at a certificate of the configured trust store;
 * - `untrusted-root`: at a self-signed root that is not in the store;
 * - `incomplete`: at a certificate whose issuer is neither embedded nor in the store;
 * - `bad-signature`: a certificate in the path is not signed by the one above it;
 * - `issuer-not-ca`: an embedded certificate issued another without basicConstraints cA;
 * - `no-signer-certificate`: the signer's certificate is not embedded at all.
 */
export type ChainStatus =
  | 'trusted'
  | 'untrusted-root'
  | 'incomplete'
  | 'bad-signature'
  | 'issuer-not-ca'
  | 'no-signer-certificate';

export interface ChainResult {
  readonly status: ChainStatus;
  /** From the signer up; the last one is the anchor, the root or the last issuer found. */
  readonly path: readonly CertificateSummary[];
  /** For `incomplete`: the issuer name that could not be found. */
  readonly missingIssuer?: string;
}

export interface TimestampVerification {
  readonly kind: 'legacy' | 'rfc3161';
  readonly time: string | undefined;
  readonly signer: CertificateSummary | undefined;
  readonly digestAlgorithm: AuthenticodeDigest | undefined;
  /** The timestamp's digest matches the signature it countersigns. */
  readonly imprintMatches: boolean;
  readonly signature: SignatureCheck;
  readonly chain: ChainResult;
  /** The TSA certificate was valid at the time it stamped. */
  readonly isSignerTimeValid: boolean;
  readonly isValid: boolean;
}

export interface SignatureVerification {
  readonly depth: number;
  readonly signer: CertificateSummary | undefined;
  readonly certificates: readonly CertificateSummary[];
  readonly digestAlgorithm: AuthenticodeDigest | undefined;
  readonly digestAlgorithmOid: string;
  /** Every digest algorithm this signature relies on (SignedData set, signer, image digest), as OIDs. */
  readonly digestAlgorithms: readonly string[];
  readonly imageDigest: {
    readonly algorithm: AuthenticodeDigest | undefined;
    readonly declared: string;
    readonly computed: string | undefined;
    readonly matches: boolean;
  };
  /** The signer's messageDigest attribute matches the digest of SpcIndirectDataContent. */
  readonly messageDigestMatches: boolean;
  /** The signer's signature over the authenticated attributes. */
  readonly signature: SignatureCheck;
  readonly signingTime: string | undefined;
  readonly chain: ChainResult;
  readonly timestamps: readonly TimestampVerification[];
  /** The time the signer's validity was judged at: a valid timestamp's, else `now`. */
  readonly validityCheckedAt: string;
  readonly validityCheckedAgainst: 'timestamp' | 'now';
  readonly isSignerTimeValid: boolean;
  readonly problems: readonly string[];
  /** All of the above hold: digest, attributes, signature, trusted chain, time, timestamps. */
  readonly isValid: boolean;
}

export interface VerifyOptions {
  /** Certificates (DER) the organisation trusts as roots or anchors. */
  readonly trustAnchors: readonly Uint8Array[];
  /** Judges validity periods; defaults to the current time. */
  readonly now?: Date;
  /** Computes the file's Authenticode image digest with an algorithm (lower-case hex). */
  readonly computeImageDigest: (algorithm: AuthenticodeDigest) => string;
}

// A trust store is configured once and used for every file: parse each anchor once.
const anchorCache = new WeakMap<Uint8Array, pkijs.Certificate | null>();

function parseAnchor(der: Uint8Array): pkijs.Certificate | undefined {
  let anchor = anchorCache.get(der);
  if (anchor === undefined) {
    try {
      anchor = pkijs.Certificate.fromBER(der);
    } catch {
      anchor = null; // not a certificate: ignored, as an empty store would be
    }
    anchorCache.set(der, anchor);
  }
  return anchor ?? undefined;
}

function digestBytes(algorithm: AuthenticodeDigest | undefined, data: Uint8Array): string | undefined {
  return algorithm === undefined ? undefined : createHash(algorithm).update(data).digest('hex');
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && a.every((byte, index) => byte === b[index]);
}

/** The certificate's subjectKeyIdentifier extension (an OCTET STRING inside extnValue), as hex. */
function subjectKeyIdentifierOf(certificate: pkijs.Certificate): string | undefined {
  const extension = certificate.extensions?.find((entry) => entry.extnID === '2.5.29.14');
  if (!extension) return undefined;
  const inner = asn1js.fromBER(extension.extnValue.getValue());
  return inner.offset !== -1 && inner.result instanceof asn1js.OctetString
    ? toHex(inner.result.getValue())
    : undefined;
}

function findSignerCertificate(signer: ParsedSigner, certificates: readonly pkijs.Certificate[]) {
  return certificates.find((certificate) => {
    if (signer.serialNumber !== undefined) {
      return (
        serialHex(certificate.serialNumber) === signer.serialNumber &&
        formatName(certificate.issuer) === signer.issuer
      );
    }
    return (
      signer.subjectKeyIdentifier !== undefined &&
      subjectKeyIdentifierOf(certificate) === signer.subjectKeyIdentifier
    );
  });
}

async function checkSignerSignature(
  signer: ParsedSigner,
  certificate: pkijs.Certificate | undefined,
): Promise<SignatureCheck> {
  if (!certificate) return 'no-certificate';
  if (!signer.signedAttributes) return 'invalid'; // Authenticode requires authenticated attributes
  const hash = signer.digestAlgorithm && webCryptoDigestName(signer.digestAlgorithm);
  if (!hash) return 'unsupported';
  try {
    const ok = await pkijs
      .getCrypto(true)
      .verifyWithPublicKey(
        signer.signedAttributes,
        signer.info.signature,
        certificate.subjectPublicKeyInfo,
        signer.info.signatureAlgorithm,
        hash,
      );
    return ok ? 'valid' : 'invalid';
  } catch {
    // WebCrypto refuses keys it cannot import (explicit EC parameters, unknown curves, DSA).
    return 'unsupported';
  }
}

async function isIssuedBy(subject: pkijs.Certificate, issuer: pkijs.Certificate): Promise<boolean> {
  if (summarizeCertificate(subject).issuer !== summarizeCertificate(issuer).subject) return false;
  try {
    return await subject.verify(issuer);
  } catch {
    return false;
  }
}

async function buildChain(
  start: pkijs.Certificate | undefined,
  embedded: readonly pkijs.Certificate[],
  anchors: readonly pkijs.Certificate[],
  anchorDers: readonly Uint8Array[],
): Promise<ChainResult> {
  if (!start) return { status: 'no-signer-certificate', path: [] };
  const path = [start];
  const isAnchor = (certificate: pkijs.Certificate) => {
    const der = certificateDer(certificate);
    return anchorDers.some((anchor) => sameBytes(anchor, der));
  };
  let current = start;
  while (path.length <= MAX_CHAIN_LENGTH) {
    if (isAnchor(current)) return { status: 'trusted', path: path.map(summarizeCertificate) };
    const selfIssued = summarizeCertificate(current).issuer === summarizeCertificate(current).subject;
    if (selfIssued) {
      const status = (await isIssuedBy(current, current)) ? 'untrusted-root' : 'bad-signature';
      return { status, path: path.map(summarizeCertificate) };
    }
    let issuer: pkijs.Certificate | undefined;
    let nameMatched = false;
    for (const candidate of [...anchors, ...embedded]) {
      if (
        path.includes(candidate) ||
        summarizeCertificate(candidate).subject !== summarizeCertificate(current).issuer
      )
        continue;
      nameMatched = true;
      if (await isIssuedBy(current, candidate)) {
        issuer = candidate;
        break;
      }
    }
    if (!issuer) {
      return nameMatched
        ? { status: 'bad-signature', path: path.map(summarizeCertificate) }
        : {
            status: 'incomplete',
            path: path.map(summarizeCertificate),
            missingIssuer: formatName(current.issuer),
          };
    }
    path.push(issuer);
    // A trust anchor is trusted as configured; any other issuer must be a CA.
    if (!isAnchor(issuer) && !summarizeCertificate(issuer).isCa) {
      return { status: 'issuer-not-ca', path: path.map(summarizeCertificate) };
    }
    current = issuer;
  }
  return {
    status: 'incomplete',
    path: path.map(summarizeCertificate),
    missingIssuer: formatName(current.issuer),
  };
}

function isWithin(certificate: pkijs.Certificate | undefined, time: Date): boolean {
  return (
    certificate !== undefined && certificate.notBefore.value <= time && time <= certificate.notAfter.value
  );
}

async function verifyTimestamp(
  timestamp: ParsedTimestamp,
  countersigned: Uint8Array,
  anchors: readonly pkijs.Certificate[],
  anchorDers: readonly Uint8Array[],
): Promise<TimestampVerification> {
  const { signer, certificates } = timestamp;
  const certificate = findSignerCertificate(signer, certificates);
  const contentDigest =
    timestamp.kind === 'rfc3161' ? digestBytes(signer.digestAlgorithm, timestamp.content) : undefined;
  // Legacy: messageDigest covers the outer signature value. RFC 3161: messageDigest covers the
  // TSTInfo, whose messageImprint covers the outer signature value.
  const imprintMatches =
    timestamp.kind === 'legacy'
      ? signer.messageDigest !== undefined &&
        digestBytes(signer.digestAlgorithm, countersigned) === toHex(signer.messageDigest)
      : signer.messageDigest !== undefined &&
        contentDigest === toHex(signer.messageDigest) &&
        digestBytes(timestamp.imprintAlgorithm, countersigned) === toHex(timestamp.imprint);
  const time = timestamp.kind === 'rfc3161' ? timestamp.genTime : signer.signingTime;
  const signature = await checkSignerSignature(signer, certificate);
  const chain = await buildChain(certificate, certificates, anchors, anchorDers);
  const isSignerTimeValid = time !== undefined && isWithin(certificate, time);
  return {
    kind: timestamp.kind,
    time: time?.toISOString(),
    signer: certificate && summarizeCertificate(certificate),
    digestAlgorithm: timestamp.kind === 'rfc3161' ? timestamp.imprintAlgorithm : signer.digestAlgorithm,
    imprintMatches,
    signature,
    chain,
    isSignerTimeValid,
    isValid: imprintMatches && signature === 'valid' && chain.status === 'trusted' && isSignerTimeValid,
  };
}

/**
 * Verifies one Authenticode signature independently of Windows and of signing tools: the image
 * digest, the messageDigest attribute, the signer's signature over the authenticated attributes,
 * the chain to the configured trust anchors, the signer's validity at the timestamp (or now),
 * and each timestamp countersignature. Nested signatures are verified separately by the caller.
 */
export async function verifyAuthenticodeSignature(
  signature: AuthenticodeSignature,
  options: VerifyOptions,
): Promise<SignatureVerification> {
  const anchors = options.trustAnchors.flatMap((der) => {
    const anchor = parseAnchor(der);
    return anchor ? [anchor] : [];
  });
  const anchorDers = anchors.map(certificateDer);
  const now = options.now ?? new Date();
  const { signer } = signature;
  const problems = [...signature.problems];
  const certificate = findSignerCertificate(signer, signature.certificates);
  const declared = toHex(signature.imageDigest);
  let computed: string | undefined;
  if (signature.imageDigestAlgorithm) {
    try {
      computed = options.computeImageDigest(signature.imageDigestAlgorithm);
    } catch (error) {
      problems.push(`image digest not computable: ${error instanceof Error ? error.message : String(error)}`);
    }
  } else {
    problems.push(`unknown image digest algorithm ${signature.imageDigestAlgorithmOid}`);
  }
  const messageDigestMatches =
    signer.messageDigest !== undefined &&
    digestBytes(signer.digestAlgorithm, signature.content) === toHex(signer.messageDigest);
  const signatureCheck = await checkSignerSignature(signer, certificate);
  const chain = await buildChain(certificate, signature.certificates, anchors, anchorDers);
  const timestamps = await Promise.all(
    signature.timestamps.map((timestamp) =>
      verifyTimestamp(timestamp, signer.signature, anchors, anchorDers),
    ),
  );
  const stamped = timestamps.find((timestamp) => timestamp.isValid && timestamp.time !== undefined);
  const checkedAt = stamped?.time !== undefined ? new Date(stamped.time) : now;
  const isSignerTimeValid = isWithin(certificate, checkedAt);
  const certificates = signature.certificates.map(summarizeCertificate);
  const hasExplicitEc = certificates.some((summary) => summary.hasExplicitEcParameters);
  if (hasExplicitEc) problems.push('a certificate carries explicit EC parameters');
  const digestAlgorithms = [
    ...new Set([
      ...signature.digestAlgorithmOids,
      signer.digestAlgorithmOid,
      signature.imageDigestAlgorithmOid,
    ]),
  ];
  const matches = computed !== undefined && computed === declared;
  return {
    depth: signature.depth,
    signer: certificate && summarizeCertificate(certificate),
    certificates,
    digestAlgorithm: signer.digestAlgorithm,
    digestAlgorithmOid: signer.digestAlgorithmOid,
    digestAlgorithms,
    imageDigest: { algorithm: signature.imageDigestAlgorithm, declared, computed, matches },
    messageDigestMatches,
    signature: signatureCheck,
    signingTime: signer.signingTime?.toISOString(),
    chain,
    timestamps,
    validityCheckedAt: checkedAt.toISOString(),
    validityCheckedAgainst: stamped ? 'timestamp' : 'now',
    isSignerTimeValid,
    problems,
    isValid:
      matches &&
      messageDigestMatches &&
      signatureCheck === 'valid' &&
      chain.status === 'trusted' &&
      isSignerTimeValid &&
      !hasExplicitEc &&
      timestamps.every((timestamp) => timestamp.isValid),
  };
}
