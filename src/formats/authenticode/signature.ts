import * as asn1js from 'asn1js';
import * as pkijs from 'pkijs';
import { CountersignError } from '../../core/errors.js';
import { type AuthenticodeDigest, digestFromOid } from './algorithms.js';
import { formatName, serialHex, toHex } from './certificate.js';
import { OID } from './oids.js';

/** Nested signatures may themselves nest; real files go one level deep. */
export const MAX_NESTING_DEPTH = 4;
/** More nested signatures than this in one attribute is not a signing tool's output. */
export const MAX_NESTED_SIGNATURES = 16;

/** One SignerInfo, with the bytes its signature covers. */
export interface ParsedSigner {
  /** Issuer and serial of the signing certificate (SignerIdentifier). */
  readonly issuer?: string;
  readonly serialNumber?: string;
  /** Set when the SignerIdentifier is a subjectKeyIdentifier instead. */
  readonly subjectKeyIdentifier?: string;
  readonly digestAlgorithmOid: string;
  readonly digestAlgorithm: AuthenticodeDigest | undefined;
  readonly signatureAlgorithmOid: string;
  /** The authenticated attributes re-tagged as SET OF (0x31): what the signature is over. */
  readonly signedAttributes: Uint8Array | undefined;
  readonly messageDigest: Uint8Array | undefined;
  readonly signingTime: Date | undefined;
  readonly signature: Uint8Array;
  readonly info: pkijs.SignerInfo;
}

export type ParsedTimestamp =
  | {
      readonly kind: 'legacy';
      readonly signer: ParsedSigner;
      /** A legacy countersigner's certificate travels in the outer signature's certificates. */
      readonly certificates: readonly pkijs.Certificate[];
    }
  | {
      readonly kind: 'rfc3161';
      readonly signer: ParsedSigner;
      readonly certificates: readonly pkijs.Certificate[];
      /** The DER TSTInfo: what the TSA's messageDigest covers. */
      readonly content: Uint8Array;
      readonly genTime: Date;
      readonly imprintAlgorithm: AuthenticodeDigest | undefined;
      readonly imprintAlgorithmOid: string;
      readonly imprint: Uint8Array;
    };

/** One Authenticode signature (a PKCS#7 SignedData over SpcIndirectDataContent). */
export interface AuthenticodeSignature {
  /** 0 for the primary signature of an entry, 1 for a signature nested in it, and so on. */
  readonly depth: number;
  /** The SignedData.digestAlgorithms set, as OIDs. */
  readonly digestAlgorithmOids: readonly string[];
  /** The image digest the signer vouches for (SpcIndirectDataContent.messageDigest). */
  readonly imageDigestAlgorithmOid: string;
  readonly imageDigestAlgorithm: AuthenticodeDigest | undefined;
  readonly imageDigest: Uint8Array;
  /** The content octets of SpcIndirectDataContent: what the signer's messageDigest covers. */
  readonly content: Uint8Array;
  readonly certificates: readonly pkijs.Certificate[];
  readonly signer: ParsedSigner;
  readonly timestamps: readonly ParsedTimestamp[];
  readonly nested: readonly AuthenticodeSignature[];
  /** Nested or timestamp attributes that could not be parsed: malformed, not fatal. */
  readonly problems: readonly string[];
}

function malformed(message: string, cause?: unknown): CountersignError {
  return new CountersignError('E_FORMAT_MALFORMED', message, cause === undefined ? undefined : { cause });
}

/** Runs a pkijs/asn1js step, turning whatever it throws into a typed error. */
function guard<T>(what: string, step: () => T): T {
  try {
    return step();
  } catch (error) {
    if (error instanceof CountersignError) throw error;
    throw malformed(`${what}: ${error instanceof Error ? error.message : String(error)}`, error);
  }
}

function decode(bytes: Uint8Array, what: string): asn1js.AsnType {
  const parsed = asn1js.fromBER(bytes);
  if (parsed.offset === -1) throw malformed(`${what} is not valid BER: ${parsed.result.error}`);
  return parsed.result;
}

/** The key identifier of a `[0] SubjectKeyIdentifier` SignerIdentifier (primitive, or wrapping an OCTET STRING). */
function keyIdentifierOf(sid: asn1js.Constructed | asn1js.Primitive): Uint8Array {
  if (sid instanceof asn1js.Constructed) {
    const inner = sid.valueBlock.value[0];
    return inner instanceof asn1js.OctetString ? new Uint8Array(inner.getValue()) : new Uint8Array(0);
  }
  return new Uint8Array(sid.valueBlock.valueHexView);
}

function attribute(attributes: pkijs.SignedAndUnsignedAttributes | undefined, type: string): unknown[] {
  return attributes?.attributes.filter((entry) => entry.type === type).flatMap((entry) => entry.values) ?? [];
}

function parseSigner(info: pkijs.SignerInfo): ParsedSigner {
  const sid = info.sid as unknown;
  const identity =
    sid instanceof pkijs.IssuerAndSerialNumber
      ? { issuer: formatName(sid.issuer), serialNumber: serialHex(sid.serialNumber) }
      : sid instanceof asn1js.Constructed || sid instanceof asn1js.Primitive
        ? { subjectKeyIdentifier: toHex(keyIdentifierOf(sid)) }
        : {};
  const messageDigest = attribute(info.signedAttrs, OID.messageDigest)[0];
  const signingTime = attribute(info.signedAttrs, OID.signingTime)[0];
  const encoded = info.signedAttrs?.encodedValue;
  return {
    ...identity,
    digestAlgorithmOid: info.digestAlgorithm.algorithmId,
    digestAlgorithm: digestFromOid(info.digestAlgorithm.algorithmId),
    signatureAlgorithmOid: info.signatureAlgorithm.algorithmId,
    signedAttributes: encoded && encoded.byteLength > 0 ? new Uint8Array(encoded) : undefined,
    messageDigest:
      messageDigest instanceof asn1js.OctetString ? new Uint8Array(messageDigest.getValue()) : undefined,
    signingTime:
      signingTime instanceof asn1js.UTCTime || signingTime instanceof asn1js.GeneralizedTime
        ? signingTime.toDate()
        : undefined,
    signature: new Uint8Array(info.signature.valueBlock.valueHexView),
    info,
  };
}

function certificatesOf(signedData: pkijs.SignedData): pkijs.Certificate[] {
  // Attribute certificates and other choices carry no public key: only X.509 certificates count.
  return (signedData.certificates ?? []).filter(
    (certificate): certificate is pkijs.Certificate => certificate instanceof pkijs.Certificate,
  );
}

function signedDataOf(schema: asn1js.AsnType, what: string): pkijs.SignedData {
  const contentInfo = guard(what, () => new pkijs.ContentInfo({ schema }));
  if (contentInfo.contentType !== OID.signedData) {
    throw malformed(`${what}: content type ${contentInfo.contentType} is not SignedData`);
  }
  const signedData = guard(what, () => new pkijs.SignedData({ schema: contentInfo.content }));
  if (signedData.signerInfos.length !== 1) {
    throw malformed(`${what}: ${signedData.signerInfos.length} SignerInfos (Authenticode needs exactly one)`);
  }
  return signedData;
}

/** `outer`: the countersigned signature's certificates, where some TSAs leave their chain. */
function parseRfc3161(value: unknown, outer: readonly pkijs.Certificate[]): ParsedTimestamp {
  const signedData = signedDataOf(value as asn1js.AsnType, 'RFC 3161 timestamp');
  const content = signedData.encapContentInfo;
  if (content.eContentType !== OID.tstInfo || !(content.eContent instanceof asn1js.OctetString)) {
    throw malformed(`RFC 3161 timestamp: content type ${content.eContentType} is not TSTInfo`);
  }
  const tstDer = new Uint8Array(content.eContent.getValue());
  const tstInfo = guard('TSTInfo', () => pkijs.TSTInfo.fromBER(tstDer));
  const imprintOid = tstInfo.messageImprint.hashAlgorithm.algorithmId;
  return {
    kind: 'rfc3161',
    signer: parseSigner(signedData.signerInfos[0]!),
    certificates: [...certificatesOf(signedData), ...outer],
    content: tstDer,
    genTime: tstInfo.genTime,
    imprintAlgorithmOid: imprintOid,
    imprintAlgorithm: digestFromOid(imprintOid),
    imprint: new Uint8Array(tstInfo.messageImprint.hashedMessage.getValue()),
  };
}

function parseSignedData(schema: asn1js.AsnType, depth: number): AuthenticodeSignature {
  const what = depth === 0 ? 'Authenticode signature' : `nested signature (depth ${depth})`;
  const signedData = signedDataOf(schema, what);
  const encapsulated = signedData.encapContentInfo;
  if (encapsulated.eContentType !== OID.spcIndirectData || !encapsulated.eContent) {
    throw malformed(`${what}: content type ${encapsulated.eContentType} is not SpcIndirectDataContent`);
  }
  // eContent is [0] EXPLICIT SpcIndirectDataContent, a SEQUENCE; the signer digests its content octets.
  const spc = encapsulated.eContent as asn1js.AsnType;
  if (!(spc instanceof asn1js.Sequence)) throw malformed(`${what}: SpcIndirectDataContent is not a SEQUENCE`);
  const digestInfo = spc.valueBlock.value[1];
  const algorithm = digestInfo instanceof asn1js.Sequence ? digestInfo.valueBlock.value[0] : undefined;
  const digest = digestInfo instanceof asn1js.Sequence ? digestInfo.valueBlock.value[1] : undefined;
  const algorithmOid =
    algorithm instanceof asn1js.Sequence ? algorithm.valueBlock.value[0] : (undefined as unknown);
  if (!(algorithmOid instanceof asn1js.ObjectIdentifier) || !(digest instanceof asn1js.OctetString)) {
    throw malformed(`${what}: SpcIndirectDataContent has no DigestInfo`);
  }
  const imageDigestAlgorithmOid = algorithmOid.valueBlock.toString();
  const signer = parseSigner(signedData.signerInfos[0]!);
  const timestamps: ParsedTimestamp[] = [];
  const nested: AuthenticodeSignature[] = [];
  const problems: string[] = [];
  const certificates = certificatesOf(signedData);
  for (const entry of signer.info.unsignedAttrs?.attributes ?? []) {
    for (const value of entry.values) {
      try {
        if (entry.type === OID.counterSignature) {
          const info = guard('countersignature', () => new pkijs.SignerInfo({ schema: value }));
          timestamps.push({ kind: 'legacy', signer: parseSigner(info), certificates });
        } else if (entry.type === OID.rfc3161Timestamp) {
          timestamps.push(parseRfc3161(value, certificates));
        } else if (entry.type === OID.nestedSignature) {
          if (depth + 1 > MAX_NESTING_DEPTH)
            throw malformed(`signatures nested deeper than ${MAX_NESTING_DEPTH}`);
          if (nested.length === MAX_NESTED_SIGNATURES)
            throw malformed(`more than ${MAX_NESTED_SIGNATURES} nested signatures`);
          nested.push(parseSignedData(value as asn1js.AsnType, depth + 1));
        }
      } catch (error) {
        problems.push(error instanceof Error ? error.message : String(error));
      }
    }
  }
  return {
    depth,
    digestAlgorithmOids: signedData.digestAlgorithms.map((entry) => entry.algorithmId),
    imageDigestAlgorithmOid,
    imageDigestAlgorithm: digestFromOid(imageDigestAlgorithmOid),
    imageDigest: new Uint8Array(digest.getValue()),
    content: new Uint8Array(spc.valueBlock.valueBeforeDecodeView),
    certificates,
    signer,
    timestamps,
    nested,
    problems,
  };
}

/**
 * Parses the PKCS#7 SignedData of one WIN_CERTIFICATE entry (pass exactly the DER, without the
 * bytes after it). Throws `E_FORMAT_MALFORMED` when it is not an Authenticode signature.
 */
export function parseAuthenticodeSignature(der: Uint8Array): AuthenticodeSignature {
  return guard('Authenticode signature', () => parseSignedData(decode(der, 'PKCS#7 SignedData'), 0));
}

/** The signature and every signature nested in it, depth first. */
export function flattenSignatures(signature: AuthenticodeSignature): AuthenticodeSignature[] {
  return [signature, ...signature.nested.flatMap(flattenSignatures)];
}
