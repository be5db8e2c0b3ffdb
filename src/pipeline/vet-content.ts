import { open } from 'node:fs/promises';
import { join } from 'node:path';
import { NESTING_SEPARATOR } from '../core/node-path.js';
import type { ScanNode, ScanResult } from '../core/scan-result.js';
import type { NodeDistance } from '../diff/align.js';
import { tlshDistance, tlshOf } from '../diff/tlsh.js';

/** TLSH reads ~5 MiB/s: larger files are not compared (they are rarely renamed without a digest match). */
const MAX_FUZZY_BYTES = 8 * 1024 * 1024;

/**
 * Where a node's bytes are on disk, when they are: files of a folder input (or a plain file input).
 * Nodes inside archives are not kept after a scan, so they get no fuzzy distance (a known gap:
 * renames inside archives are reported as removed + added).
 */
function diskPathOf(node: ScanNode, result: Pick<ScanResult, 'subjects'>): string | undefined {
  if (node.path.includes(NESTING_SEPARATOR)) return undefined;
  for (const subject of result.subjects) {
    if (node.path === subject.name) return subject.path;
    if (node.path.startsWith(`${subject.name}/`))
      return join(subject.path, node.path.slice(subject.name.length + 1));
  }
  return undefined;
}

async function readHead(path: string, size: number): Promise<Uint8Array> {
  const handle = await open(path, 'r');
  try {
    const buffer = Buffer.alloc(Math.min(size, MAX_FUZZY_BYTES));
    const { bytesRead } = await handle.read(buffer, 0, buffer.length, 0);
    return buffer.subarray(0, bytesRead);
  } finally {
    await handle.close();
  }
}

/** A TLSH distance over the files of two scans that are on disk, memoised per node. */
export function diskTlshDistance(
  baseline: Pick<ScanResult, 'subjects'>,
  candidate: Pick<ScanResult, 'subjects'>,
): NodeDistance {
  const digests = new Map<ScanNode, Promise<string | undefined>>();
  const digestOf = (node: ScanNode, result: Pick<ScanResult, 'subjects'>) => {
    let digest = digests.get(node);
    if (!digest) {
      const path = diskPathOf(node, result);
      digest =
        path && node.size <= MAX_FUZZY_BYTES
          ? readHead(path, node.size).then(tlshOf, () => undefined)
          : Promise.resolve(undefined);
      digests.set(node, digest);
    }
    return digest;
  };
  return async (base, cand) => {
    const [a, b] = await Promise.all([digestOf(base, baseline), digestOf(cand, candidate)]);
    return a && b ? tlshDistance(a, b) : undefined;
  };
}
