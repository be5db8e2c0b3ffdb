import { toCountersignError } from '../core/errors.js';
import type { Analyzer, AnalyzerResult, NodeHead, NodeView, PluginContext } from '../core/plugin.js';
import type { MalformedSignature } from '../formats/authenticode/inspect.js';
import type {
  MsiExtendedDigest,
  MsiSignatureReport,
  MsiSignatureStreamLayout,
} from '../formats/authenticode/msi-inspect.js';
import { readCompoundTree } from '../formats/cfb/compound-file.js';
import { MAX_AUTHENTICODE_BYTES } from './authenticode.js';
import { tooLargeToVerify, trustCacheKey } from './signature-checks.js';

/** The `\x05DigitalSignature` stream's layout, and the MsiDigitalSignatureEx digest when present. */
export interface MsiSignatureStreamFact extends MsiSignatureStreamLayout {
  readonly extended: MsiExtendedDigest | undefined;
}

/**
 * One MSI Authenticode signature (primary or nested), verified independently: the same facts as
 * `pe.authenticode.signature` (signer, chain status against the configured trust store, digest
 * match, timestamps), where `imageDigest` is the MSI digest over the package's streams.
 */
export interface MsiSignatureFact extends MsiSignatureReport {
  readonly evaluatedAt: string;
  readonly isSignerExpired: boolean;
  /** A timestamp that matches this signature, is correctly signed and falls in the signer's validity. */
  readonly hasUsableTimestamp: boolean;
}

declare module '../core/facts.js' {
  interface FactRegistry {
    'msi.authenticode.stream': MsiSignatureStreamFact;
    'msi.authenticode.signature': MsiSignatureFact;
    'msi.authenticode.malformed': MalformedSignature;
  }
}

export interface MsiSignatureAnalyzerOptions {
  /** DER certificates the organisation trusts as code-signing roots (empty: nothing chains to trust). */
  readonly trustAnchors?: readonly Uint8Array[];
  /** The time validity is judged at; defaults to the time of analysis. */
  readonly now?: () => Date;
}

function signatureFact(signature: MsiSignatureReport, now: Date): MsiSignatureFact {
  const signer = signature.signer;
  const hasUsableTimestamp = signature.timestamps.some(
    (timestamp) =>
      timestamp.imprintMatches &&
      timestamp.signature === 'valid' &&
      timestamp.time !== undefined &&
      signer !== undefined &&
      new Date(signer.notBefore) <= new Date(timestamp.time) &&
      new Date(timestamp.time) <= new Date(signer.notAfter),
  );
  return {
    ...signature,
    evaluatedAt: now.toISOString(),
    isSignerExpired: signer !== undefined && new Date(signer.notAfter) < now,
    hasUsableTimestamp,
  };
}

/** analyzer/msi-signature: Authenticode signatures of Windows Installer packages (compound files). */
export function createMsiSignatureAnalyzer(options: MsiSignatureAnalyzerOptions = {}): Analyzer {
  const trustAnchors = options.trustAnchors ?? [];
  return {
    id: 'analyzer/msi-signature',
    version: 1,
    cacheKey: trustCacheKey(trustAnchors, options.now),
    accepts(node: NodeHead): boolean {
      return node.type === 'cfb';
    },
    async analyze(node: NodeView, _ctx: PluginContext): Promise<AnalyzerResult> {
      if (node.size > MAX_AUTHENTICODE_BYTES) return tooLargeToVerify(node.size, MAX_AUTHENTICODE_BYTES);
      const now = options.now?.() ?? new Date();
      try {
        // Loaded on first use, as the PE signature check (pkijs and asn1js).
        const { inspectMsiAuthenticode } = await import('../formats/authenticode/msi-inspect.js');
        const report = await inspectMsiAuthenticode(readCompoundTree(await node.read()), {
          trustAnchors,
          now,
        });
        const facts: AnalyzerResult['facts'] = [];
        if (report.stream) {
          facts.push({ kind: 'msi.authenticode.stream', ...report.stream, extended: report.extended });
        }
        for (const signature of report.signatures) {
          facts.push({ kind: 'msi.authenticode.signature', ...signatureFact(signature, now) });
        }
        for (const malformed of report.malformed)
          facts.push({ kind: 'msi.authenticode.malformed', ...malformed });
        return { facts, gaps: [] };
      } catch (error) {
        // A compound file we cannot read: the unpacker reports why; here the signature is unchecked.
        const typed = toCountersignError(error, 'E_PLUGIN_FAILED', 'MSI signature');
        return { facts: [], gaps: [{ code: typed.code, stage: 'analyze', message: typed.message }] };
      }
    },
  };
}
