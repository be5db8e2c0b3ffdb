import { createHash } from 'node:crypto';
import { constants, gunzipSync } from 'node:zlib';
import type { Analyzer, AnalyzerResult, NodeHead, NodeView } from '../../core/plugin.js';
import { OSV_DIGEST_ALGORITHMS, type OsvDigest } from './types.js';

/** The digests of an npm package tarball as a registry publishes them (`dist.shasum`, `dist.integrity`). */
export interface NpmTarballFact {
  /** sha1, sha256 and sha512 of the `.tgz` bytes, lowercase hex. */
  readonly digests: readonly OsvDigest[];
}

declare module '../../core/facts.js' {
  interface FactRegistry {
    'npm.tarball': NpmTarballFact;
  }
}

const TAR_BLOCK = 512;
const USTAR_MAGIC = 'ustar';

function text(bytes: Uint8Array, offset: number, length: number): string {
  const field = bytes.subarray(offset, offset + length);
  const end = field.indexOf(0);
  return Buffer.from(end === -1 ? field : field.subarray(0, end)).toString('latin1');
}

/**
 * Whether a gzip's first decompressed block is the header of a tar whose first entry sits under
 * `package/` (what `npm pack` writes), or the file is named `.tgz` and holds a tar. Only the first
 * 64 KiB of the gzip (the node's head) are inflated: a cheap test before hashing the whole file.
 */
export function isNpmTarballHead(head: Uint8Array, name: string): boolean {
  let inflated: Buffer;
  try {
    // A partial stream: Z_SYNC_FLUSH returns what the head inflates to instead of failing on the cut.
    inflated = gunzipSync(head, { finishFlush: constants.Z_SYNC_FLUSH });
  } catch {
    return false;
  }
  if (inflated.length < TAR_BLOCK || text(inflated, 257, 5) !== USTAR_MAGIC) return false;
  const prefix = text(inflated, 345, 155);
  const path = prefix ? `${prefix}/${text(inflated, 0, 100)}` : text(inflated, 0, 100);
  return path.startsWith('package/') || /\.tgz$/i.test(name);
}

/**
 * `analyzer/npm-tarball`: sha1, sha256 and sha512 of an npm package tarball, so that OSV records
 * naming a tarball by digest (ossf/malicious-packages `indicators.package_integrity`) match it
 * whatever name and version its manifest claims. Other gzip files are left alone, and so is every
 * other node: only tarballs pay for the extra hashes.
 */
export const npmTarballAnalyzer: Analyzer = {
  id: 'analyzer/npm-tarball',
  version: 1,
  // Its output depends on the bytes alone.
  cacheKey: () => '',
  accepts: (node: NodeHead) => node.type === 'gzip' && isNpmTarballHead(node.head, node.name),
  async analyze(node: NodeView): Promise<AnalyzerResult> {
    const hashes = OSV_DIGEST_ALGORITHMS.map((algorithm) => ({ algorithm, hash: createHash(algorithm) }));
    for await (const chunk of node.stream() as AsyncIterable<Uint8Array>) {
      for (const { hash } of hashes) hash.update(chunk);
    }
    return {
      facts: [
        {
          kind: 'npm.tarball',
          digests: hashes.map(({ algorithm, hash }) => ({ algorithm, hex: hash.digest('hex') })),
        },
      ],
      gaps: [],
    };
  },
};
