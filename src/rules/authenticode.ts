import type { AuthenticodeSignatureFact } from '../analyzers/authenticode.js';
import type { MsiSignatureFact } from '../analyzers/msi-signature.js';
import type { Fact } from '../core/facts.js';
import { factsOfKind } from '../core/facts.js';
import type { Evidence, RuleDef } from '../core/findings.js';
import type { NodePath } from '../core/node-path.js';

/** A node-scoped rule sees one node's path and its facts. */
export interface NodeFactsInput {
  readonly path: NodePath;
  readonly facts: readonly Fact[];
}

export type AuthenticodeRule = RuleDef<NodeFactsInput>;
type Hit = { path: NodePath; message: string; evidence: Evidence[] };

const CVE_2013_3900 = 'https://msrc.microsoft.com/update-guide/vulnerability/CVE-2013-3900';
const AUTHENTICODE_PE_SPEC =
  'https://learn.microsoft.com/en-us/windows/win32/debug/pe-format#the-attribute-certificate-table-image-only';
const RL_CATALOGUE = 'https://github.com/reversinglabs/rl-scanner-metadata';
const THREE_CX = 'https://www.mandiant.com/resources/blog/3cx-software-supply-chain-compromise';

function signatures(input: NodeFactsInput): readonly AuthenticodeSignatureFact[] {
  return factsOfKind(input.facts, 'pe.authenticode.signature');
}

function who(signature: AuthenticodeSignatureFact): string {
  return signature.signer?.subject ?? 'an unidentified signer';
}

function label(signature: AuthenticodeSignatureFact): string {
  return signature.depth === 0
    ? `signature #${signature.entryIndex}`
    : `signature #${signature.entryIndex} (nested, depth ${signature.depth})`;
}

export const dataAfterSignature: AuthenticodeRule = {
  id: 'pe.authenticode.data-after-signature',
  version: 1,
  title: 'Data hidden inside the certificate table after the signature',
  identifies: 'threat.evasion.signed-payload',
  severity: 'high',
  confidence: 'high',
  scope: 'node',
  rationale:
    'The certificate table is excluded from the signed image digest, so bytes appended there after the PKCS#7 signature leave the signature "valid" on Windows unless the strict padding check (CVE-2013-3900, EnableCertPaddingCheck) is on. The 3CX attack hid its encrypted payload exactly there in a Microsoft-signed d3dcompiler_47.dll. Only zero padding to the next 8-byte boundary belongs after the signature.',
  remediation:
    "Do not deploy. Compare the file with the vendor's original (same version) and inspect the appended bytes; enable EnableCertPaddingCheck on endpoints.",
  references: [CVE_2013_3900, THREE_CX, RL_CATALOGUE],
  *evaluate(input: NodeFactsInput): Iterable<Hit> {
    for (const table of factsOfKind(input.facts, 'pe.authenticode.table')) {
      for (const entry of table.entries) {
        if (entry.bytesBeyondPadding === 0 && entry.isSlackAllZero) continue;
        const verified = signatures(input).some((s) => s.entryIndex === entry.index && s.isValid);
        const start = entry.derEnd ?? entry.offset + 8;
        yield {
          path: input.path,
          message: `${entry.slackBytes} bytes follow the PKCS#7 signature inside WIN_CERTIFICATE #${entry.index} (${entry.bytesBeyondPadding} beyond 8-byte padding, ${entry.isSlackAllZero ? 'all zero' : 'not all zero'})${verified ? ', although the signature verifies' : ''}`,
          evidence: [
            { role: 'primary', node: input.path, range: { offset: start, length: entry.slackBytes } },
          ],
        };
      }
    }
  },
};

export const dataAfterCertificateTable: AuthenticodeRule = {
  id: 'pe.authenticode.data-after-certificate-table',
  version: 1,
  title: 'Data after the certificate table',
  identifies: 'threat.evasion.signed-payload',
  severity: 'medium',
  confidence: 'high',
  scope: 'node',
  rationale:
    'The certificate table is expected to be the last thing in a signed PE file. Bytes after it are outside the signature container and change the image digest: an appended payload or a broken re-signing.',
  references: [AUTHENTICODE_PE_SPEC, RL_CATALOGUE],
  *evaluate(input: NodeFactsInput): Iterable<Hit> {
    for (const table of factsOfKind(input.facts, 'pe.authenticode.table')) {
      if (table.bytesAfterTable === 0) continue;
      yield {
        path: input.path,
        message: `${table.bytesAfterTable} bytes (${table.isAfterTableAllZero ? 'all zero' : 'not all zero'}) follow the certificate table that ends at offset ${table.offset + table.size}`,
        evidence: [
          {
            role: 'primary',
            node: input.path,
            range: { offset: table.offset + table.size, length: table.bytesAfterTable },
          },
        ],
      };
    }
  },
};

export const imageDigestMismatch: AuthenticodeRule = {
  id: 'pe.authenticode.image-digest-mismatch',
  version: 1,
  title: 'File changed after signing (image digest mismatch)',
  identifies: 'threat.integrity.tampered',
  severity: 'high',
  confidence: 'high',
  scope: 'node',
  rationale:
    'The digest the signer vouched for (SpcIndirectDataContent) differs from the digest of the file as it is: the code or headers were modified after signing.',
  references: [AUTHENTICODE_PE_SPEC, RL_CATALOGUE],
  *evaluate(input: NodeFactsInput): Iterable<Hit> {
    for (const signature of signatures(input)) {
      const { imageDigest } = signature;
      if (imageDigest.matches || imageDigest.computed === undefined) continue;
      yield {
        path: input.path,
        message: `${label(signature)} by ${who(signature)} vouches for ${imageDigest.algorithm} ${imageDigest.declared}; the file hashes to ${imageDigest.computed}`,
        evidence: [{ role: 'primary', node: input.path, snippet: `declared ${imageDigest.declared}` }],
      };
    }
  },
};

export const malformedSignature: AuthenticodeRule = {
  id: 'pe.authenticode.malformed-signature',
  version: 1,
  title: 'Malformed or internally inconsistent signature',
  identifies: 'threat.integrity.malformed-signature',
  severity: 'high',
  confidence: 'high',
  scope: 'node',
  rationale:
    'A signature that does not parse, covers a layout its image digest cannot be computed over (a certificate table overlapping a section, an unknown digest), whose messageDigest does not match its content, or whose signature over the authenticated attributes does not verify, proves nothing and is often a sign of tampering or of a parser-confusion attempt.',
  references: [AUTHENTICODE_PE_SPEC, RL_CATALOGUE],
  *evaluate(input: NodeFactsInput): Iterable<Hit> {
    for (const malformed of factsOfKind(input.facts, 'pe.authenticode.malformed')) {
      const where =
        malformed.entryIndex === undefined
          ? 'the certificate table'
          : `WIN_CERTIFICATE #${malformed.entryIndex}`;
      yield {
        path: input.path,
        message: `${where}: ${malformed.message} (${malformed.code})`,
        evidence: [{ role: 'primary', node: input.path, snippet: malformed.code }],
      };
    }
    for (const signature of signatures(input)) {
      const broken = [
        ...(signature.imageDigest.computed === undefined
          ? [
              signature.problems.find((problem) => problem.startsWith('image digest')) ??
                'its image digest could not be computed',
            ]
          : []),
        ...(signature.messageDigestMatches
          ? []
          : ['its messageDigest attribute does not match the signed content']),
        ...(signature.signature === 'invalid'
          ? ['its signature over the authenticated attributes does not verify']
          : []),
        ...(signature.signature === 'no-certificate' ? ["the signer's certificate is not embedded"] : []),
      ];
      if (broken.length === 0) continue;
      yield {
        path: input.path,
        message: `${label(signature)} by ${who(signature)}: ${broken.join('; ')}`,
        evidence: [{ role: 'primary', node: input.path, snippet: broken[0] }],
      };
    }
  },
};

export const expiredSignerWithoutTimestamp: AuthenticodeRule = {
  id: 'pe.authenticode.expired-signer-without-timestamp',
  version: 1,
  title: 'Signing certificate expired and no timestamp',
  identifies: 'threat.integrity.expired-signature',
  severity: 'medium',
  confidence: 'high',
  scope: 'node',
  rationale:
    'Without a trusted timestamp nothing shows the file was signed while the certificate was valid; a leaked, expired key can still sign today.',
  references: [RL_CATALOGUE],
  *evaluate(input: NodeFactsInput): Iterable<Hit> {
    for (const signature of signatures(input)) {
      if (!signature.isSignerExpired || signature.hasUsableTimestamp) continue;
      yield {
        path: input.path,
        message: `${label(signature)} by ${who(signature)}: the certificate expired on ${signature.signer?.notAfter} and the signature carries ${signature.timestamps.length === 0 ? 'no timestamp' : 'no usable timestamp'}`,
        evidence: [{ role: 'primary', node: input.path, snippet: `notAfter ${signature.signer?.notAfter}` }],
      };
    }
  },
};

export const weakDigest: AuthenticodeRule = {
  id: 'pe.authenticode.weak-digest',
  version: 1,
  title: 'Signed only with a weak digest (MD5 or SHA-1)',
  identifies: 'threat.integrity.weak-crypto',
  severity: 'medium',
  confidence: 'high',
  scope: 'node',
  rationale:
    'MD5 and SHA-1 are no longer collision resistant: a signature relying only on them can be transplanted onto a colliding file. A SHA-256 signature next to a SHA-1 one (dual signing) is fine.',
  references: ['https://shattered.io/', RL_CATALOGUE],
  *evaluate(input: NodeFactsInput): Iterable<Hit> {
    const all = signatures(input);
    if (all.length === 0 || !all.every((signature) => signature.isWeakDigestOnly)) return;
    const used = [...new Set(all.flatMap((signature) => signature.digestAlgorithmNames))];
    yield {
      path: input.path,
      message: `all ${all.length} signature(s) use only ${used.join(', ')}`,
      evidence: [{ role: 'primary', node: input.path, snippet: used.join(', ') }],
    };
  },
};

export const explicitEccParameters: AuthenticodeRule = {
  id: 'pe.authenticode.explicit-ecc-parameters',
  version: 1,
  title: 'Certificate with explicit elliptic-curve parameters (CurveBall)',
  identifies: 'threat.spoofing.certificate',
  severity: 'high',
  confidence: 'high',
  scope: 'node',
  rationale:
    'A certificate that spells out its curve instead of naming it can impersonate a trusted ECC root on unpatched Windows (CVE-2020-0601, CurveBall). Legitimate code-signing certificates use named curves.',
  references: ['https://msrc.microsoft.com/update-guide/vulnerability/CVE-2020-0601', RL_CATALOGUE],
  *evaluate(input: NodeFactsInput): Iterable<Hit> {
    const seen = new Set<string>();
    for (const signature of signatures(input)) {
      const certificates = [
        ...signature.certificates,
        ...signature.timestamps.flatMap((timestamp) => (timestamp.signer ? [timestamp.signer] : [])),
      ];
      for (const certificate of certificates) {
        if (!certificate.hasExplicitEcParameters || seen.has(certificate.sha256Thumbprint)) continue;
        seen.add(certificate.sha256Thumbprint);
        yield {
          path: input.path,
          message: `certificate ${certificate.subject} (sha256 ${certificate.sha256Thumbprint}) in ${label(signature)} carries explicit EC parameters`,
          evidence: [{ role: 'primary', node: input.path, snippet: certificate.subject }],
        };
      }
    }
  },
};

export const multipleSigners: AuthenticodeRule = {
  id: 'pe.authenticode.multiple-signers',
  version: 1,
  title: 'More than one signature, by different signers',
  identifies: 'threat.integrity.signer-confusion',
  severity: 'medium',
  confidence: 'medium',
  scope: 'node',
  rationale:
    'Dual signing (SHA-1 and SHA-256) is normally done by one publisher. Signatures by different publishers in one file let a tool that shows only one signer show the wrong one; an added signature can also ride on a legitimate one.',
  references: [RL_CATALOGUE],
  *evaluate(input: NodeFactsInput): Iterable<Hit> {
    const all = signatures(input);
    const subjects = [...new Set(all.map(who))];
    if (subjects.length < 2) return;
    yield {
      path: input.path,
      message: `${all.length} signatures by ${subjects.length} different signers: ${subjects.join('; ')}`,
      evidence: [{ role: 'primary', node: input.path, snippet: subjects.join('; ') }],
    };
  },
};

/** The strict Authenticode checks, in catalogue order. */
export const AUTHENTICODE_RULES: readonly AuthenticodeRule[] = [
  dataAfterSignature,
  dataAfterCertificateTable,
  imageDigestMismatch,
  malformedSignature,
  expiredSignerWithoutTimestamp,
  weakDigest,
  explicitEccParameters,
  multipleSigners,
];

// MSI packages: the signature lives in the `\x05DigitalSignature` stream and covers the package's
// streams (analyzer/msi-signature). Their own ids, since their evidence is a stream, not a PE layout.

function msiSignatures(input: NodeFactsInput): readonly MsiSignatureFact[] {
  return factsOfKind(input.facts, 'msi.authenticode.signature');
}

function msiWho(signature: MsiSignatureFact): string {
  return signature.signer?.subject ?? 'an unidentified signer';
}

export const msiDataAfterSignature: AuthenticodeRule = {
  id: 'msi.authenticode.data-after-signature',
  version: 1,
  title: 'Data hidden in the MSI signature stream after the signature',
  identifies: 'threat.evasion.signed-payload',
  severity: 'high',
  confidence: 'high',
  scope: 'node',
  rationale:
    'The MSI digest leaves the \\x05DigitalSignature stream out, so bytes appended there after the PKCS#7 DER keep the package "validly signed" (Windows checks this only with EnableCertPaddingCheck, CVE-2013-3900; osslsigncode does not check it). Signing tools write the DER alone.',
  remediation:
    "Do not deploy. Compare with the vendor's original package and inspect the appended bytes; enable EnableCertPaddingCheck on endpoints.",
  references: [CVE_2013_3900, RL_CATALOGUE],
  *evaluate(input: NodeFactsInput): Iterable<Hit> {
    for (const stream of factsOfKind(input.facts, 'msi.authenticode.stream')) {
      if (stream.bytesAfterSignature === 0 || stream.derLength === undefined) continue;
      const verified = msiSignatures(input).some((signature) => signature.depth === 0 && signature.isValid);
      yield {
        path: input.path,
        message: `${stream.bytesAfterSignature} bytes (${stream.isAfterSignatureAllZero ? 'all zero' : 'not all zero'}) follow the ${stream.derLength}-byte PKCS#7 signature in the [5]DigitalSignature stream${verified ? ', although the signature verifies' : ''}`,
        evidence: [
          {
            role: 'primary',
            node: input.path,
            snippet: `[5]DigitalSignature bytes ${stream.derLength}..${stream.size}`,
          },
        ],
      };
    }
  },
};

export const msiDigestMismatch: AuthenticodeRule = {
  id: 'msi.authenticode.digest-mismatch',
  version: 1,
  title: 'MSI package changed after signing (digest mismatch)',
  identifies: 'threat.integrity.tampered',
  severity: 'high',
  confidence: 'high',
  scope: 'node',
  rationale:
    "The digest the signer vouched for differs from the digest of the package's streams as they are (or, with MsiDigitalSignatureEx, of their names, sizes and times): a table, cabinet or custom-action stream was modified after signing.",
  references: [RL_CATALOGUE],
  *evaluate(input: NodeFactsInput): Iterable<Hit> {
    for (const signature of msiSignatures(input)) {
      const { imageDigest } = signature;
      if (imageDigest.matches || imageDigest.computed === undefined) continue;
      yield {
        path: input.path,
        message: `the MSI signature by ${msiWho(signature)} vouches for ${imageDigest.algorithm} ${imageDigest.declared}; the package hashes to ${imageDigest.computed}`,
        evidence: [{ role: 'primary', node: input.path, snippet: `declared ${imageDigest.declared}` }],
      };
    }
    for (const stream of factsOfKind(input.facts, 'msi.authenticode.stream')) {
      const extended = stream.extended;
      if (!extended || extended.matches || extended.computed === undefined) continue;
      yield {
        path: input.path,
        message: `[5]MsiDigitalSignatureEx holds ${extended.declared}; the names, sizes and times hash to ${extended.computed}`,
        evidence: [
          { role: 'primary', node: input.path, snippet: `[5]MsiDigitalSignatureEx ${extended.declared}` },
        ],
      };
    }
  },
};

export const msiMalformedSignature: AuthenticodeRule = {
  id: 'msi.authenticode.malformed-signature',
  version: 1,
  title: 'Malformed or internally inconsistent MSI signature',
  identifies: 'threat.integrity.malformed-signature',
  severity: 'high',
  confidence: 'high',
  scope: 'node',
  rationale:
    'An MSI signature that does not parse, whose messageDigest does not match its content, or whose signature over the authenticated attributes does not verify proves nothing and is often a sign of tampering.',
  references: [RL_CATALOGUE],
  *evaluate(input: NodeFactsInput): Iterable<Hit> {
    for (const malformed of factsOfKind(input.facts, 'msi.authenticode.malformed')) {
      yield {
        path: input.path,
        message: `[5]DigitalSignature: ${malformed.message} (${malformed.code})`,
        evidence: [{ role: 'primary', node: input.path, snippet: malformed.code }],
      };
    }
    for (const signature of msiSignatures(input)) {
      const broken = [
        ...(signature.messageDigestMatches
          ? []
          : ['its messageDigest attribute does not match the signed content']),
        ...(signature.signature === 'invalid'
          ? ['its signature over the authenticated attributes does not verify']
          : []),
        ...(signature.signature === 'no-certificate' ? ["the signer's certificate is not embedded"] : []),
      ];
      if (broken.length === 0) continue;
      yield {
        path: input.path,
        message: `the MSI signature by ${msiWho(signature)}: ${broken.join('; ')}`,
        evidence: [{ role: 'primary', node: input.path, snippet: broken[0] }],
      };
    }
  },
};

export const msiWeakDigest: AuthenticodeRule = {
  id: 'msi.authenticode.weak-digest',
  version: 1,
  title: 'MSI signed only with a weak digest (MD5 or SHA-1)',
  identifies: 'threat.integrity.weak-crypto',
  severity: 'medium',
  confidence: 'high',
  scope: 'node',
  rationale: weakDigest.rationale,
  references: weakDigest.references,
  *evaluate(input: NodeFactsInput): Iterable<Hit> {
    const all = msiSignatures(input);
    if (all.length === 0 || !all.every((signature) => signature.isWeakDigestOnly)) return;
    const used = [...new Set(all.flatMap((signature) => signature.digestAlgorithmNames))];
    yield {
      path: input.path,
      message: `all ${all.length} MSI signature(s) use only ${used.join(', ')}`,
      evidence: [{ role: 'primary', node: input.path, snippet: used.join(', ') }],
    };
  },
};

/** The MSI signature checks, in catalogue order. */
export const MSI_AUTHENTICODE_RULES: readonly AuthenticodeRule[] = [
  msiDataAfterSignature,
  msiDigestMismatch,
  msiMalformedSignature,
  msiWeakDigest,
];
