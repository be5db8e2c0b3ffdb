import { createHash } from 'node:crypto';
import { readdirSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

let memo: string | undefined;

/**
 * A fingerprint of Countersign's own code (every module's path, size and mtime), part of every
 * cache key: a developer who changes an unpacker or an analyzer without bumping its version must
 * not be served what the old code said. Stat only, no reads: a few milliseconds for the tree.
 */
export function codeFingerprint(): string {
  if (memo) return memo;
  // src/pipeline/cache -> src (or dist/pipeline/cache -> dist)
  const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
  const hash = createHash('sha256');
  const walk = (folder: string) => {
    for (const entry of readdirSync(folder, { withFileTypes: true }).sort((a, b) =>
      a.name.localeCompare(b.name),
    )) {
      const path = join(folder, entry.name);
      if (entry.isDirectory()) walk(path);
      else if (/\.(m?js|ts|json|wasm)$/.test(entry.name) && !/\.test\.ts$/.test(entry.name)) {
        const info = statSync(path);
        hash.update(`${path.slice(root.length)}\u0000${info.size}\u0000${info.mtimeMs}\n`);
      }
    }
  };
  walk(root);
  memo = hash.digest('hex').slice(0, 16);
  return memo;
}
