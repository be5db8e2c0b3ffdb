import type { AuthenticodeSignatureFact } from '../../analyzers/authenticode.js';
import type { PeCapabilityName } from '../../analyzers/pe-capabilities.js';
import type { ScanNode } from '../../core/scan-result.js';
import {
  addedPairs,
  changedPairs,
  type DiffHit,
  type DiffRule,
  factOf,
  factsOf,
  pairEvidence,
  RL_3CX,
  THREE_CX,
} from './types.js';

/** What a rebuilt library has no business gaining between two releases. */
const RISKY_PE_CAPABILITIES: ReadonlySet<PeCapabilityName> = new Set([
  'network',
  'memory-execution',
  'process-creation',
  'registry-persistence',
  'reads-sibling-file',
  'anti-debugging',
]);

const isPe = (node: ScanNode | undefined) => node?.type === 'pe';

export const peCapabilityAdded: DiffRule = {
  id: 'pe.capability.added',
  version: 1,
  title: 'A changed binary gained a capability it did not have',
  identifies: 'threat.binary.capability-gain',
  severity: 'high',
  confidence: 'medium',
  scope: 'diff',
  rationale:
    "3CX's trojanized ffmpeg.dll gained network access, a way to read its sibling d3dcompiler_47.dll and to run decrypted bytes. A library that gains such an ability in a point release deserves a look at its new code.",
  remediation:
    'Compare the new imports and strings with the vendor; hold the release until the change is explained.',
  references: [THREE_CX, RL_3CX],
  *evaluate({ diff }) {
    for (const pair of changedPairs(diff)) {
      if (!isPe(pair.candidate)) continue;
      const before = new Map(factsOf(pair.baseline, 'pe.capability').map((fact) => [fact.capability, fact]));
      const gained = factsOf(pair.candidate, 'pe.capability').filter(
        (fact) =>
          RISKY_PE_CAPABILITIES.has(fact.capability) &&
          fact.strength === 'strong' &&
          before.get(fact.capability)?.strength !== 'strong',
      );
      if (gained.length === 0) continue;
      const apis = gained.map(
        (fact) =>
          `${fact.capability} (${fact.evidence
            .slice(0, 4)
            .map((item) => item.function ?? item.value ?? item.dll)
            .join(', ')})`,
      );
      yield {
        path: pair.candidate.path,
        message: `gained ${gained.length} capabilit${gained.length === 1 ? 'y' : 'ies'} the baseline lacked: ${apis.join('; ')}`,
        evidence: pairEvidence(pair, apis.join('; ').slice(0, 200)),
      } satisfies DiffHit;
    }
  },
};

function primarySignature(node: ScanNode): AuthenticodeSignatureFact | undefined {
  return factsOf(node, 'pe.authenticode.signature').find((fact) => fact.depth === 0);
}

export const peSignerChangedOrLost: DiffRule = {
  id: 'pe.signer.changed-or-lost',
  version: 1,
  title: 'A signed binary lost its signature or changed signer',
  identifies: 'threat.binary.signer-change',
  severity: 'high',
  confidence: 'medium',
  scope: 'diff',
  rationale:
    'A vendor signs every release with the same identity. A binary that was signed and is now unsigned, or is signed by someone else, was built or repackaged outside the usual pipeline. A renewed certificate (same subject, new thumbprint) is not a change.',
  references: ['https://attack.mitre.org/techniques/T1553/002/'],
  *evaluate({ diff }) {
    for (const pair of changedPairs(diff)) {
      if (!isPe(pair.candidate)) continue;
      const before = primarySignature(pair.baseline);
      if (!before?.signer) continue;
      const after = primarySignature(pair.candidate);
      if (!after) {
        yield {
          path: pair.candidate.path,
          message: `was signed by ${before.signer.subject} in the baseline and is unsigned now`,
          evidence: pairEvidence(pair, 'unsigned', before.signer.subject),
        };
      } else if (after.signer?.subject !== before.signer.subject) {
        const now = after.signer?.subject ?? 'an unidentified signer';
        yield {
          path: pair.candidate.path,
          message: `signer changed from ${before.signer.subject} to ${now}`,
          evidence: pairEvidence(pair, now, before.signer.subject),
        };
      }
    }
  },
};

/** Bytes that hide inside or after the certificate table: the slack 3CX used, and data after it. */
function hiddenSignatureBytes(node: ScanNode): {
  beyondPadding: number;
  afterTable: number;
  malformed: number;
} {
  const table = factOf(node, 'pe.authenticode.table');
  return {
    beyondPadding: (table?.entries ?? []).reduce((total, entry) => total + entry.bytesBeyondPadding, 0),
    afterTable: table && !table.isAfterTableAllZero ? table.bytesAfterTable : 0,
    malformed: factsOf(node, 'pe.authenticode.malformed').length,
  };
}

export const peAuthenticodeAnomalyAdded: DiffRule = {
  id: 'pe.authenticode.anomaly.added',
  version: 1,
  title: 'A signature anomaly appeared that the baseline did not have',
  identifies: 'threat.evasion.signed-payload',
  severity: 'critical',
  confidence: 'high',
  scope: 'diff',
  rationale:
    "The certificate table is outside the signed hash, so data appended after the PKCS#7 leaves the signature valid on default Windows (CVE-2013-3900). 3CX's d3dcompiler_47.dll kept its Microsoft signature while carrying the encrypted payload there. The same file in the previous release had no such bytes.",
  references: [THREE_CX, 'https://msrc.microsoft.com/update-guide/vulnerability/CVE-2013-3900'],
  *evaluate({ diff }) {
    for (const pair of changedPairs(diff)) {
      if (!isPe(pair.candidate)) continue;
      const before = hiddenSignatureBytes(pair.baseline);
      const after = hiddenSignatureBytes(pair.candidate);
      const what: string[] = [];
      if (after.beyondPadding > before.beyondPadding) {
        what.push(
          `${after.beyondPadding} bytes after the PKCS#7 end inside the certificate table (baseline ${before.beyondPadding})`,
        );
      }
      if (after.afterTable > before.afterTable) {
        what.push(
          `${after.afterTable} non-zero bytes after the certificate table (baseline ${before.afterTable})`,
        );
      }
      if (after.malformed > before.malformed) {
        what.push(
          `${after.malformed} unparseable signature entr${after.malformed === 1 ? 'y' : 'ies'} (baseline ${before.malformed})`,
        );
      }
      if (what.length === 0) continue;
      const table = factOf(pair.candidate, 'pe.authenticode.table');
      const entry = table?.entries.find((item) => item.bytesBeyondPadding > 0);
      yield {
        path: pair.candidate.path,
        message: what.join('; '),
        evidence: [
          {
            role: 'primary',
            node: pair.candidate.path,
            ...(entry?.derEnd !== undefined
              ? { range: { offset: entry.derEnd, length: entry.offset + entry.length - entry.derEnd } }
              : {}),
          },
          { role: 'baseline', node: pair.baseline.path },
        ],
      };
    }
  },
};

/** Growth worth a look: more than 1 KiB and more than a quarter of what was there. */
function grewNotably(before: number, after: number): boolean {
  return after - before > 1024 && after - before > before / 4;
}

/** Signatures and their timestamps: each adds certificates to the table. */
function signatureParts(node: ScanNode): number {
  return factsOf(node, 'pe.authenticode.signature').reduce(
    (total, signature) => total + 1 + signature.timestamps.length,
    0,
  );
}

export const peCertificateTableGrew: DiffRule = {
  id: 'pe.certificate-table.grew',
  version: 1,
  title: 'The certificate table grew without a new signature',
  identifies: 'threat.evasion.signed-payload',
  severity: 'medium',
  confidence: 'medium',
  scope: 'diff',
  rationale:
    'A re-signed file keeps a certificate table of about the same size; kilobytes more with the same number of signatures is room for a payload the signature does not cover.',
  references: [THREE_CX],
  *evaluate({ diff }) {
    for (const pair of changedPairs(diff)) {
      if (!isPe(pair.candidate)) continue;
      const before = factOf(pair.baseline, 'pe.certificate-table');
      const after = factOf(pair.candidate, 'pe.certificate-table');
      if (!before || !after) continue;
      // A new signature or a new timestamp countersignature explains kilobytes of growth.
      const signaturesBefore = signatureParts(pair.baseline);
      const signaturesAfter = signatureParts(pair.candidate);
      if (signaturesAfter > signaturesBefore || !grewNotably(before.size, after.size)) continue;
      yield {
        path: pair.candidate.path,
        message: `certificate table grew from ${before.size} to ${after.size} bytes with no new signature or timestamp`,
        evidence: [
          { role: 'primary', node: pair.candidate.path, range: { offset: after.offset, length: after.size } },
          {
            role: 'baseline',
            node: pair.baseline.path,
            range: { offset: before.offset, length: before.size },
          },
        ],
      };
    }
  },
};

export const peOverlayGrew: DiffRule = {
  id: 'pe.overlay.grew',
  version: 1,
  title: 'Data appended after the image grew',
  identifies: 'threat.binary.appended-data',
  severity: 'medium',
  confidence: 'low',
  scope: 'diff',
  rationale:
    'Bytes after the last section are not code the loader maps; installers keep archives there, but a library whose overlay grows by kilobytes between two releases carries data that nothing in its headers explains.',
  references: ['https://attack.mitre.org/techniques/T1027/'],
  *evaluate({ diff }) {
    for (const pair of changedPairs(diff)) {
      if (!isPe(pair.candidate)) continue;
      const before = factOf(pair.baseline, 'pe.overlay')?.totalSize ?? 0;
      const overlay = factOf(pair.candidate, 'pe.overlay');
      const after = overlay?.totalSize ?? 0;
      if (!grewNotably(before, after)) continue;
      const region = overlay?.regions[overlay.regions.length - 1];
      yield {
        path: pair.candidate.path,
        message: `overlay grew from ${before} to ${after} bytes`,
        evidence: [
          {
            role: 'primary',
            node: pair.candidate.path,
            ...(region ? { range: { offset: region.offset, length: region.size } } : {}),
          },
          { role: 'baseline', node: pair.baseline.path },
        ],
      };
    }
  },
};

const IDENTITY_KEYS = ['CompanyName', 'ProductName', 'FileVersion', 'OriginalFilename'] as const;

/** The Authenticode image digest (the file without checksum and certificate table), when computed. */
function imageDigest(node: ScanNode): string | undefined {
  const signature = primarySignature(node);
  return signature?.imageDigest.computed
    ? `${signature.imageDigest.algorithm}:${signature.imageDigest.computed}`
    : undefined;
}

export const componentStockChanged: DiffRule = {
  id: 'component.stock-changed',
  version: 1,
  title: 'A component changed its code but not its version information',
  identifies: 'threat.binary.tampered-component',
  severity: 'high',
  confidence: 'medium',
  scope: 'diff',
  rationale:
    "A third-party component (a Microsoft or FFmpeg DLL) is shipped as released by its maker: same version, same bytes. New code under the same CompanyName, ProductName, FileVersion and OriginalFilename is a rebuild nobody announced: 3CX's ffmpeg.dll. A re-signature alone (same image digest) is not a change of code.",
  references: [THREE_CX, RL_3CX],
  *evaluate({ diff }) {
    for (const pair of changedPairs(diff)) {
      if (!isPe(pair.candidate) || !isPe(pair.baseline)) continue;
      const before = factOf(pair.baseline, 'pe.version-info')?.strings;
      const after = factOf(pair.candidate, 'pe.version-info')?.strings;
      if (!before || !after || !(before.CompanyName || before.ProductName)) continue;
      if (IDENTITY_KEYS.some((key) => before[key] !== after[key])) continue;
      const digestBefore = imageDigest(pair.baseline);
      if (digestBefore !== undefined && digestBefore === imageDigest(pair.candidate)) continue;
      const identity = IDENTITY_KEYS.filter((key) => after[key] !== undefined)
        .map((key) => `${key}=${after[key]}`)
        .join(', ');
      yield {
        path: pair.candidate.path,
        message: `code changed (sha256 ${pair.baseline.digests?.sha256.slice(0, 12)}… -> ${pair.candidate.digests?.sha256.slice(0, 12)}…) while the version information stayed ${identity}`,
        evidence: pairEvidence(pair, identity, identity),
      };
    }
  },
};

const NATIVE_TYPES = new Set(['pe', 'elf', 'macho', 'macho-fat']);

export const binaryNativeAdded: DiffRule = {
  id: 'binary.native.added',
  version: 1,
  title: 'A new native binary appeared in the release',
  identifies: 'capability.binary.native',
  severity: 'medium',
  confidence: 'medium',
  scope: 'diff',
  rationale:
    'Native code runs with no sandbox and cannot be read like script. A release that adds a binary (a prebuilt `.node` addon, an .exe) adds code that a source review did not see.',
  references: ['https://blog.phylum.io/npm-package-found-delivering-sophisticated-rat/'],
  *evaluate({ diff }) {
    for (const pair of addedPairs(diff)) {
      if (!NATIVE_TYPES.has(pair.candidate.type)) continue;
      const signed = factsOf(pair.candidate, 'pe.authenticode.signature').length > 0;
      yield {
        path: pair.candidate.path,
        message: `new ${pair.candidate.type.toUpperCase()} binary of ${pair.candidate.size} bytes${pair.candidate.type === 'pe' ? (signed ? ', signed' : ', unsigned') : ''}, absent from the baseline`,
        evidence: pairEvidence(pair),
      };
    }
  },
};

export const peUnsignedAdded: DiffRule = {
  id: 'pe.unsigned.added',
  version: 1,
  title: 'A new unsigned binary in a release whose other binaries are signed',
  identifies: 'threat.binary.unsigned-addition',
  severity: 'medium',
  confidence: 'medium',
  scope: 'diff',
  rationale:
    'A vendor that signs its binaries signs all of them in its release pipeline. A new binary that escaped signing did not come through that pipeline, or was slipped in after it.',
  references: ['https://attack.mitre.org/techniques/T1195/002/'],
  *evaluate({ diff }) {
    const signedElsewhere = diff.pairs.filter(
      (pair) =>
        pair.status !== 'added' &&
        pair.candidate?.type === 'pe' &&
        factsOf(pair.candidate, 'pe.authenticode.signature').length > 0,
    );
    if (signedElsewhere.length === 0) return;
    for (const pair of addedPairs(diff)) {
      if (!isPe(pair.candidate) || factsOf(pair.candidate, 'pe.authenticode.signature').length > 0) continue;
      yield {
        path: pair.candidate.path,
        message: `new unsigned PE while ${signedElsewhere.length} other binar${signedElsewhere.length === 1 ? 'y is' : 'ies are'} signed (e.g. ${signedElsewhere[0]!.candidate!.path})`,
        evidence: [
          { role: 'primary', node: pair.candidate.path, snippet: 'unsigned' },
          { role: 'supporting', node: signedElsewhere[0]!.candidate!.path, snippet: 'signed' },
        ],
      };
    }
  },
};

/** Packed or encrypted bytes measure above this; compiled code and data rarely do. */
const PACKED_ENTROPY = 7.2;
const ORDINARY_ENTROPY = 7.0;
const MIN_SECTION_BYTES = 1024;

export const peSectionEntropyJump: DiffRule = {
  id: 'pe.section.entropy-jump',
  version: 1,
  title: "A section's content turned near-random between releases",
  identifies: 'threat.binary.packed',
  severity: 'medium',
  confidence: 'low',
  scope: 'diff',
  rationale:
    'Compiled code measures 5.5-6.8 bits per byte; packed or encrypted content above 7.2. A section (or a new section) of a changed binary that reads as random now, when it did not before, holds compressed or encrypted bytes that its next release does not explain: a packer, or an encrypted payload.',
  references: ['https://attack.mitre.org/techniques/T1027/002/'],
  *evaluate({ diff }) {
    for (const pair of changedPairs(diff)) {
      if (!isPe(pair.candidate)) continue;
      const before = new Map(
        (factOf(pair.baseline, 'pe.sections')?.sections ?? []).map((section) => [section.name, section]),
      );
      for (const section of factOf(pair.candidate, 'pe.sections')?.sections ?? []) {
        if (section.entropy === undefined || section.entropy < PACKED_ENTROPY) continue;
        if (section.sizeOfRawData < MIN_SECTION_BYTES) continue;
        const old = before.get(section.name);
        if (old && (old.entropy === undefined || old.entropy >= ORDINARY_ENTROPY)) continue;
        const was = old ? `${old.entropy!.toFixed(2)}` : 'absent';
        yield {
          path: pair.candidate.path,
          message: `section ${section.name} (${section.sizeOfRawData} bytes) has entropy ${section.entropy.toFixed(2)} bits/byte; baseline: ${was}`,
          evidence: [
            {
              role: 'primary',
              node: pair.candidate.path,
              range: { offset: section.pointerToRawData, length: section.sizeOfRawData },
              snippet: `${section.name} entropy ${section.entropy.toFixed(2)}`,
            },
            {
              role: 'baseline',
              node: pair.baseline.path,
              ...(old ? { range: { offset: old.pointerToRawData, length: old.sizeOfRawData } } : {}),
            },
          ],
        };
      }
    }
  },
};

export const PE_DIFF_RULES: readonly DiffRule[] = [
  peCapabilityAdded,
  peSignerChangedOrLost,
  peAuthenticodeAnomalyAdded,
  peCertificateTableGrew,
  peOverlayGrew,
  componentStockChanged,
  binaryNativeAdded,
  peUnsignedAdded,
  peSectionEntropyJump,
];
