import { type CountersignError, toCountersignError } from '../../core/errors.js';
import { digestFromOid, WEAK_DIGESTS } from './algorithms.js';
import { parseCertificateTable, WIN_CERT_TYPE_PKCS_SIGNED_DATA } from './certificate-table.js';
import { computeAuthenticodeDigest, type ImageHashLayout } from './digest.js';
import { flattenSignatures, parseAuthenticodeSignature } from './signature.js';
import { type SignatureVerification, verifyAuthenticodeSignature } from './verify.js';

/** The layout of one WIN_CERTIFICATE entry, in file offsets. */
export interface CertificateEntryLayout {
  readonly index: number;
  readonly offset: number;
  readonly length: number;
  readonly revision: number;
  readonly certificateType: number;
  /** File offset just after the PKCS#7 DER, when its length could be read. */
  readonly derEnd: number | undefined;
  /** Bytes after the DER up to the next entry (or the table's end). */
  readonly slackBytes: number;
  readonly isSlackAllZero: boolean;
  /**
   * Slack beyond the zero padding that aligns the DER's end to 8 bytes: 0 in a clean entry;
   * the 3CX d3dcompiler_47.dll carried its payload here.
   */
  readonly bytesBeyondPadding: number;
}

export interface CertificateTableLayout {
  readonly offset: number;
  readonly size: number;
  readonly fileSize: number;
  readonly entries: readonly CertificateEntryLayout[];
  /** File bytes after the certificate table's end (Windows expects the table last). */
  readonly bytesAfterTable: number;
  readonly isAfterTableAllZero: boolean;
}

export interface SignatureReport extends SignatureVerification {
  readonly entryIndex: number;
  /** Digest algorithm names used (OIDs where unknown), in order of first use. */
  readonly digestAlgorithmNames: readonly string[];
  readonly isWeakDigestOnly: boolean;
}

export interface MalformedSignature {
  readonly entryIndex: number | undefined;
  readonly code: CountersignError['code'];
  readonly message: string;
}

export interface AuthenticodeReport {
  readonly table: CertificateTableLayout | undefined;
  readonly signatures: readonly SignatureReport[];
  readonly malformed: readonly MalformedSignature[];
}

export interface InspectOptions {
  readonly trustAnchors: readonly Uint8Array[];
  readonly now?: Date;
}

const align8 = (value: number): number => Math.ceil(value / 8) * 8;

function isAllZero(bytes: Uint8Array): boolean {
  for (const byte of bytes) if (byte !== 0) return false;
  return true;
}

/**
 * Everything Authenticode says about one PE file: the certificate table's layout, each
 * signature (nested ones included) verified independently, and what could not be parsed.
 * An unsigned file gives `{ table: undefined, signatures: [], malformed: [] }`.
 */
export async function inspectAuthenticode(
  bytes: Uint8Array,
  layout: ImageHashLayout,
  options: InspectOptions,
): Promise<AuthenticodeReport> {
  const declared = layout.certificateTable;
  if (!declared) return { table: undefined, signatures: [], malformed: [] };
  const malformed: MalformedSignature[] = [];
  if (declared.offset + declared.size > bytes.length || declared.size < 8) {
    malformed.push({
      entryIndex: undefined,
      code: declared.size < 8 ? 'E_FORMAT_MALFORMED' : 'E_FORMAT_TRUNCATED',
      message: `the security directory declares a ${declared.size}-byte certificate table at ${declared.offset}; the file has ${bytes.length} bytes`,
    });
    return { table: undefined, signatures: [], malformed };
  }
  const tableBytes = bytes.subarray(declared.offset, declared.offset + declared.size);
  const after = bytes.subarray(declared.offset + declared.size);
  const signatures: SignatureReport[] = [];
  const entries: CertificateEntryLayout[] = [];
  const parsedTable = parseCertificateTable(tableBytes);
  if (parsedTable.problem) {
    malformed.push({
      entryIndex: undefined,
      code: parsedTable.problem.code,
      message: parsedTable.problem.message,
    });
  }
  const cache = new Map<string, string>();
  const computeImageDigest = (algorithm: Parameters<typeof computeAuthenticodeDigest>[2]): string => {
    let digest = cache.get(algorithm);
    if (digest === undefined) {
      digest = computeAuthenticodeDigest(bytes, layout, algorithm);
      cache.set(algorithm, digest);
    }
    return digest;
  };
  for (const entry of parsedTable.entries) {
    const derEndInTable =
      entry.derLength === undefined
        ? undefined
        : Math.min(entry.offset + 8 + entry.derLength, entry.offset + entry.length);
    const allowedPadding = derEndInTable === undefined ? 0 : align8(derEndInTable) - derEndInTable;
    entries.push({
      index: entry.index,
      offset: declared.offset + entry.offset,
      length: entry.length,
      revision: entry.revision,
      certificateType: entry.certificateType,
      derEnd: derEndInTable === undefined ? undefined : declared.offset + derEndInTable,
      slackBytes: entry.slack.length,
      isSlackAllZero: entry.slack.isAllZero,
      bytesBeyondPadding: Math.max(0, entry.slack.length - allowedPadding),
    });
    if (entry.certificateType !== WIN_CERT_TYPE_PKCS_SIGNED_DATA) {
      malformed.push({
        entryIndex: entry.index,
        code: 'E_FORMAT_UNSUPPORTED',
        message: `WIN_CERTIFICATE type ${entry.certificateType} is not PKCS#7 SignedData`,
      });
      continue;
    }
    try {
      if (entry.derLength === undefined || entry.derLength > entry.content.length) {
        throw toCountersignError(
          new Error(
            `its DER length (${entry.derLength ?? 'unreadable'}) does not fit the ${entry.content.length}-byte entry`,
          ),
          'E_FORMAT_MALFORMED',
          'PKCS#7 SignedData',
        );
      }
      const parsed = parseAuthenticodeSignature(entry.content.subarray(0, entry.derLength));
      for (const signature of flattenSignatures(parsed)) {
        const verification = await verifyAuthenticodeSignature(signature, {
          trustAnchors: options.trustAnchors,
          ...(options.now ? { now: options.now } : {}),
          computeImageDigest,
        });
        const names = verification.digestAlgorithms.map((oid) => digestFromOid(oid) ?? oid);
        signatures.push({
          ...verification,
          entryIndex: entry.index,
          digestAlgorithmNames: names,
          isWeakDigestOnly: verification.digestAlgorithms.every((oid) => {
            const digest = digestFromOid(oid);
            return digest !== undefined && WEAK_DIGESTS.has(digest);
          }),
        });
        for (const problem of signature.problems) {
          malformed.push({ entryIndex: entry.index, code: 'E_FORMAT_MALFORMED', message: problem });
        }
      }
    } catch (error) {
      const typed = toCountersignError(error, 'E_FORMAT_MALFORMED', 'Authenticode signature');
      malformed.push({ entryIndex: entry.index, code: typed.code, message: typed.message });
    }
  }
  if (parsedTable.unusedTail.length > 0 && entries.length > 0) {
    // Bytes after the last entry that are no entry: they follow that entry's signature.
    const last = entries[entries.length - 1]!;
    entries[entries.length - 1] = {
      ...last,
      slackBytes: last.slackBytes + parsedTable.unusedTail.length,
      isSlackAllZero: last.isSlackAllZero && parsedTable.unusedTail.isAllZero,
      bytesBeyondPadding: last.bytesBeyondPadding + parsedTable.unusedTail.length,
    };
  }
  return {
    table: {
      offset: declared.offset,
      size: declared.size,
      fileSize: bytes.length,
      entries,
      bytesAfterTable: after.length,
      isAfterTableAllZero: isAllZero(after),
    },
    signatures,
    malformed,
  };
}
