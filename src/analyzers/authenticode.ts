import { toCountersignError } from '../core/errors.js';
import type { Analyzer, AnalyzerResult, NodeHead, NodeView, PluginContext } from '../core/plugin.js';
import type {
  CertificateTableLayout,
  inspectAuthenticode,
  MalformedSignature,
  SignatureReport,
} from '../formats/authenticode/inspect.js';
import { getAuthenticodeLayout } from '../formats/pe/authenticode-layout.js';
import { tooLargeToVerify, trustCacheKey } from './signature-checks.js';

/** The certificate table's layout: entries, where each PKCS#7 DER ends, and what follows it. */
export type AuthenticodeTableFact = CertificateTableLayout;

/**
 * One Authenticode signature (primary or nested), verified independently: signer, chain status
 * against the configured trust store, image digest match, signature over the authenticated
 * attributes, timestamps, digest algorithms. `chain.status: 'untrusted-root'` is a fact, not an
 * error. `isSignerExpired` compares the signer's notAfter with `evaluatedAt`.
 */
export interface AuthenticodeSignatureFact extends SignatureReport {
  readonly evaluatedAt: string;
  readonly isSignerExpired: boolean;
  /** A timestamp that matches this signature, is correctly signed and falls in the signer's validity. */
  readonly hasUsableTimestamp: boolean;
}

/** A WIN_CERTIFICATE entry or nested signature that could not be parsed as Authenticode. */
export type AuthenticodeMalformedFact = MalformedSignature;

declare module '../core/facts.js' {
  interface FactRegistry {
    'pe.authenticode.table': AuthenticodeTableFact;
    'pe.authenticode.signature': AuthenticodeSignatureFact;
    'pe.authenticode.malformed': AuthenticodeMalformedFact;
  }
}

export interface AuthenticodeAnalyzerOptions {
  /** DER certificates the organisation trusts as code-signing roots (empty: nothing chains to trust). */
  readonly trustAnchors?: readonly Uint8Array[];
  /** The time validity is judged at; defaults to the time of analysis. */
  readonly now?: () => Date;
}

/** Files larger than this are not held in memory for hashing; they get a coverage gap instead. */
export const MAX_AUTHENTICODE_BYTES = 1024 * 1024 * 1024;

function toFacts(
  report: Awaited<ReturnType<typeof inspectAuthenticode>>,
  now: Date,
): AnalyzerResult['facts'] {
  const facts: AnalyzerResult['facts'] = [];
  if (report.table) facts.push({ kind: 'pe.authenticode.table', ...report.table });
  for (const signature of report.signatures) {
    const notAfter = signature.signer ? new Date(signature.signer.notAfter) : undefined;
    const hasUsableTimestamp = signature.timestamps.some(
      (timestamp) =>
        timestamp.imprintMatches &&
        timestamp.signature === 'valid' &&
        timestamp.time !== undefined &&
        signature.signer !== undefined &&
        new Date(signature.signer.notBefore) <= new Date(timestamp.time) &&
        new Date(timestamp.time) <= new Date(signature.signer.notAfter),
    );
    facts.push({
      kind: 'pe.authenticode.signature',
      ...signature,
      evaluatedAt: now.toISOString(),
      isSignerExpired: notAfter !== undefined && notAfter < now,
      hasUsableTimestamp,
    });
  }
  for (const malformed of report.malformed) facts.push({ kind: 'pe.authenticode.malformed', ...malformed });
  return facts;
}

/** Builds the Authenticode analyzer with a trust store; see `authenticodeAnalyzer` for the default. */
export function createAuthenticodeAnalyzer(options: AuthenticodeAnalyzerOptions = {}): Analyzer {
  const trustAnchors = options.trustAnchors ?? [];
  return {
    id: 'analyzer/authenticode',
    version: 1,
    cacheKey: trustCacheKey(trustAnchors, options.now),
    accepts(node: NodeHead): boolean {
      return node.type === 'pe';
    },
    async analyze(node: NodeView, _ctx: PluginContext): Promise<AnalyzerResult> {
      if (node.size > MAX_AUTHENTICODE_BYTES) return tooLargeToVerify(node.size, MAX_AUTHENTICODE_BYTES);
      const bytes = await node.read();
      const now = options.now?.() ?? new Date();
      try {
        const layout = getAuthenticodeLayout(bytes);
        // Loaded on first use: pkijs and asn1js are a tenth of the process's memory, and most
        // scans meet no signed file.
        const { inspectAuthenticode } = await import('../formats/authenticode/inspect.js');
        const report = await inspectAuthenticode(bytes, layout, { trustAnchors, now });
        return { facts: toFacts(report, now), gaps: [] };
      } catch (error) {
        // Headers the PE parser cannot read: the PE analyzer reports them; here it is a gap.
        const typed = toCountersignError(error, 'E_PLUGIN_FAILED', 'Authenticode');
        return { facts: [], gaps: [{ code: typed.code, stage: 'analyze', message: typed.message }] };
      }
    },
  };
}

/** The default: no trust anchors configured, so every chain is reported as not trusted. */
export const authenticodeAnalyzer: Analyzer = createAuthenticodeAnalyzer();
