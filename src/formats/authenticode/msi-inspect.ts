import * as asn1js from 'asn1js';
import { CountersignError, toCountersignError } from '../../core/errors.js';
import type { CompoundEntry } from '../cfb/compound-file.js';
import { type AuthenticodeDigest, digestFromOid, WEAK_DIGESTS } from './algorithms.js';
import { toHex } from './certificate.js';
import { readDerHeader } from './der.js';
import type { MalformedSignature, SignatureReport } from './inspect.js';
import {
  computeMsiDigest,
  computeMsiMetadataDigest,
  DIGITAL_SIGNATURE_EX_STREAM,
  DIGITAL_SIGNATURE_STREAM,
  rootStream,
} from './msi-digest.js';
import { flattenSignatures, parseAuthenticodeSignature } from './signature.js';
import { verifyAuthenticodeSignature } from './verify.js';

/** SpcSipInfo: the SpcIndirectDataContent data type of MSI (and other SIP-hashed) signatures. */
export const SPC_SIPINFO_OID = '1.3.6.1.4.1.311.2.1.30';

/** The `\x05DigitalSignature` stream's layout: where its PKCS#7 DER ends and what follows. */
export interface MsiSignatureStreamLayout {
  readonly size: number;
  /** Bytes of DER, when its header could be read. */
  readonly derLength: number | undefined;
  /**
   * Bytes after the DER inside the stream. The signature streams are excluded from the digest,
   * so such bytes ride along with a "valid" signature (the MSI form of CVE-2013-3900).
   */
  readonly bytesAfterSignature: number;
  readonly isAfterSignatureAllZero: boolean;
}

/** `\x05MsiDigitalSignatureEx`: the stored digest of the names, sizes and times. */
export interface MsiExtendedDigest {
  readonly algorithm: AuthenticodeDigest | undefined;
  readonly declared: string;
  /** Undefined when the signature's digest algorithm is unknown. */
  readonly computed: string | undefined;
  readonly matches: boolean;
}

export interface MsiSignatureReport extends SignatureReport {
  /** The SpcIndirectDataContent data type (SpcSipInfo for MSI), as an OID. */
  readonly indirectDataType: string | undefined;
}

export interface MsiAuthenticodeReport {
  /** Undefined when the package carries no `\x05DigitalSignature` stream (unsigned). */
  readonly stream: MsiSignatureStreamLayout | undefined;
  readonly extended: MsiExtendedDigest | undefined;
  readonly signatures: readonly MsiSignatureReport[];
  readonly malformed: readonly MalformedSignature[];
}

export interface MsiInspectOptions {
  readonly trustAnchors: readonly Uint8Array[];
  readonly now?: Date;
}

function isAllZero(bytes: Uint8Array): boolean {
  for (const byte of bytes) if (byte !== 0) return false;
  return true;
}

/** The first element of SpcIndirectDataContent is SpcAttributeTypeAndOptionalValue { type, value }. */
function indirectDataTypeOf(content: Uint8Array): string | undefined {
  const parsed = asn1js.fromBER(content);
  const first = parsed.offset === -1 ? undefined : parsed.result;
  const type = first instanceof asn1js.Sequence ? first.valueBlock.value[0] : undefined;
  return type instanceof asn1js.ObjectIdentifier ? type.valueBlock.toString() : undefined;
}

function streamLayout(bytes: Uint8Array): MsiSignatureStreamLayout {
  let derLength: number | undefined;
  try {
    const header = readDerHeader(bytes);
    if (header.contentLength !== undefined) derLength = header.headerLength + header.contentLength;
  } catch {
    derLength = undefined; // reported as malformed by the parse that follows
  }
  const after = derLength !== undefined && derLength < bytes.length ? bytes.subarray(derLength) : undefined;
  return {
    size: bytes.length,
    derLength,
    bytesAfterSignature: after?.length ?? 0,
    isAfterSignatureAllZero: after === undefined || isAllZero(after),
  };
}

/**
 * Everything Authenticode says about one MSI (a compound file's storage tree): the signature
 * stream's layout, the MsiDigitalSignatureEx digest when present, each signature (nested ones
 * included) verified with the same code as PE signatures against the MSI digest, and what could
 * not be parsed. An unsigned package gives `{ stream: undefined, signatures: [], ... }`.
 */
export async function inspectMsiAuthenticode(
  root: CompoundEntry,
  options: MsiInspectOptions,
): Promise<MsiAuthenticodeReport> {
  const signatureStream = rootStream(root, DIGITAL_SIGNATURE_STREAM);
  const exStream = rootStream(root, DIGITAL_SIGNATURE_EX_STREAM);
  if (!signatureStream) {
    const malformed: MalformedSignature[] = exStream
      ? [
          {
            entryIndex: undefined,
            code: 'E_FORMAT_MALFORMED',
            message: 'an MsiDigitalSignatureEx stream without a DigitalSignature stream',
          },
        ]
      : [];
    return { stream: undefined, extended: undefined, signatures: [], malformed };
  }
  const stream = streamLayout(signatureStream.bytes);
  const malformed: MalformedSignature[] = [];
  const signatures: MsiSignatureReport[] = [];
  let extended: MsiExtendedDigest | undefined;
  try {
    if (stream.derLength === undefined || stream.derLength > stream.size) {
      throw new CountersignError(
        'E_FORMAT_MALFORMED',
        `the DigitalSignature stream (${stream.size} bytes) does not hold a complete DER element (length ${stream.derLength ?? 'unreadable'})`,
      );
    }
    const parsed = parseAuthenticodeSignature(signatureStream.bytes.subarray(0, stream.derLength));
    // The Ex digest uses the primary signature's algorithm (signing tools write one Ex stream).
    const exAlgorithm = parsed.imageDigestAlgorithm;
    if (exStream) {
      const computed = exAlgorithm && toHex(computeMsiMetadataDigest(root, exAlgorithm));
      const declared = toHex(exStream.bytes);
      extended = { algorithm: exAlgorithm, declared, computed, matches: computed === declared };
    }
    const cache = new Map<AuthenticodeDigest, string>();
    const computeImageDigest = (algorithm: AuthenticodeDigest): string => {
      let digest = cache.get(algorithm);
      if (digest === undefined) {
        digest = computeMsiDigest(root, algorithm, { withMetadata: exStream !== undefined });
        cache.set(algorithm, digest);
      }
      return digest;
    };
    for (const signature of flattenSignatures(parsed)) {
      const verification = await verifyAuthenticodeSignature(signature, {
        trustAnchors: options.trustAnchors,
        ...(options.now ? { now: options.now } : {}),
        computeImageDigest,
      });
      signatures.push({
        ...verification,
        entryIndex: 0,
        digestAlgorithmNames: verification.digestAlgorithms.map((oid) => digestFromOid(oid) ?? oid),
        isWeakDigestOnly: verification.digestAlgorithms.every((oid) => {
          const digest = digestFromOid(oid);
          return digest !== undefined && WEAK_DIGESTS.has(digest);
        }),
        indirectDataType: indirectDataTypeOf(signature.content),
      });
      for (const problem of signature.problems) {
        malformed.push({ entryIndex: 0, code: 'E_FORMAT_MALFORMED', message: problem });
      }
    }
  } catch (error) {
    const typed = toCountersignError(error, 'E_FORMAT_MALFORMED', 'MSI Authenticode signature');
    malformed.push({ entryIndex: 0, code: typed.code, message: typed.message });
  }
  return { stream, extended, signatures, malformed };
}
