import { createHash } from 'node:crypto';
import type { AnalyzerResult } from '../core/plugin.js';

/**
 * What a signature analyzer's verdict depends on besides the bytes: the trust store it chains to
 * and the day validity is judged on. A cached verdict lasts until either changes.
 */
export function trustCacheKey(trustAnchors: readonly Uint8Array[], now?: () => Date): () => string {
  const digest = createHash('sha256');
  for (const anchor of trustAnchors) digest.update(createHash('sha256').update(anchor).digest());
  const anchorsKey = digest.digest('hex');
  return () => `${anchorsKey}:${(now?.() ?? new Date()).toISOString().slice(0, 10)}`;
}

/** Signatures are parsed from the whole file in memory: past this size a file is not read. */
export function tooLargeToVerify(size: number, limit: number): AnalyzerResult {
  return {
    facts: [],
    gaps: [
      {
        code: 'E_ARTIFACT_FILE_TOO_LARGE',
        stage: 'analyze',
        message: `${size} bytes is above the ${limit}-byte Authenticode limit`,
      },
    ],
  };
}
