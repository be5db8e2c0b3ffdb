import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { mkdir, readdir, readFile, rename, stat, unlink, writeFile } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { promisify } from 'node:util';
import { gunzip, gzip } from 'node:zlib';
import type { Tree } from '../../artifact/engine.js';
import type { Limits } from '../../core/limits.js';
import type { Analyzer, Unpacker } from '../../core/plugin.js';
import { type DigestAlgorithm, SCAN_REPORT_SCHEMA_VERSION } from '../../core/scan-result.js';
import { TOOL_VERSION } from '../../core/version.js';
import { codeFingerprint } from './code-fingerprint.js';

const MAX_TREES = 256;
const gzipAsync = promisify(gzip);
const gunzipAsync = promisify(gunzip);

interface CachedTree {
  readonly digestAlgorithms: readonly DigestAlgorithm[];
  readonly tree: Tree;
}

/** What a tree depends on besides its input bytes. */
export interface TreeRecipe {
  readonly limits: Limits;
  readonly unpackers: readonly Unpacker[];
  readonly analyzers: readonly Analyzer[];
}

/**
 * Whole artifact trees on disk, keyed by the inputs' bytes and names and by everything that shapes
 * the tree (tool and schema version, limits, digests, unpackers, analyzers and their
 * configuration). A release vetted before is not unpacked again: vetting N+1 against N reads N's
 * tree from here. Rules and intel are not part of it: they are judged again on every scan.
 *
 * A tree is kept only when every analyzer can say what its output depends on (`cacheKey`): a
 * scan with YARA rules loaded at run time, for one, is never cached. Files only: a folder input
 * would have to be read in full to know it is unchanged, which is the scan itself.
 */
export class TreeCache {
  hits = 0;
  misses = 0;

  constructor(private readonly folder: string) {}

  /** The key for these inputs, or undefined when the scan cannot be cached. */
  async keyOf(inputs: readonly string[], recipe: TreeRecipe): Promise<string | undefined> {
    if (recipe.analyzers.some((analyzer) => !analyzer.cacheKey)) return undefined;
    const key = createHash('sha256');
    const part = (value: unknown) => key.update(`${JSON.stringify(value)}\n`);
    part({ tool: TOOL_VERSION, schema: SCAN_REPORT_SCHEMA_VERSION, code: codeFingerprint() });
    part(recipe.limits);
    // Digests are not part of the key: a tree with more digests serves a scan that wants fewer.
    part(recipe.unpackers.map((unpacker) => `${unpacker.id}@${unpacker.version}`));
    part(recipe.analyzers.map((a) => `${a.id}@${a.version}:${a.cacheKey?.() ?? ''}`));
    for (const input of inputs) {
      const info = await stat(input).catch(() => undefined);
      if (!info?.isFile()) return undefined;
      part({ name: basename(input), sha256: await fileSha256(input) });
    }
    return key.digest('hex');
  }

  async get(
    key: string,
    inputs: readonly string[],
    digestAlgorithms: readonly DigestAlgorithm[],
  ): Promise<Tree | undefined> {
    const entry = await readFile(this.fileOf(key))
      .then(gunzipAsync)
      .then((bytes) => JSON.parse(bytes.toString('utf8')) as CachedTree)
      .catch(() => undefined);
    const tree = entry?.tree;
    const hasDigests = digestAlgorithms.every((algorithm) => entry?.digestAlgorithms?.includes(algorithm));
    if (!tree || !hasDigests || !Array.isArray(tree.nodes) || tree.subjects?.length !== inputs.length) {
      this.misses++;
      return undefined;
    }
    this.hits++;
    // The same bytes under the same name, maybe from another folder: subjects point at today's files.
    return {
      ...tree,
      subjects: tree.subjects.map((subject, index) => ({ ...subject, path: inputs[index] ?? subject.path })),
    };
  }

  async put(key: string, tree: Tree, digestAlgorithms: readonly DigestAlgorithm[]): Promise<void> {
    await mkdir(this.folder, { recursive: true });
    const file = this.fileOf(key);
    // Write then rename: a reader never sees half a tree, two writers leave one whole file.
    const temporary = `${file}.${process.pid}.${Date.now()}.tmp`;
    const entry: CachedTree = { digestAlgorithms, tree };
    await writeFile(temporary, await gzipAsync(JSON.stringify(entry), { level: 1 }));
    await rename(temporary, file);
    await this.prune();
  }

  /** Keeps the newest `MAX_TREES` trees: old releases and old code's trees go first. */
  private async prune(): Promise<void> {
    const names = (await readdir(this.folder)).filter((name) => name.endsWith('.json.gz'));
    if (names.length <= MAX_TREES) return;
    const aged = await Promise.all(
      names.map(async (name) => ({
        name,
        mtime: await stat(join(this.folder, name)).then(
          (info) => info.mtimeMs,
          () => 0,
        ),
      })),
    );
    aged.sort((a, b) => a.mtime - b.mtime);
    for (const { name } of aged.slice(0, aged.length - MAX_TREES)) {
      await unlink(join(this.folder, name)).catch(() => undefined);
    }
  }

  private fileOf(key: string): string {
    return join(this.folder, `${key}.json.gz`);
  }
}

async function fileSha256(path: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(path, { highWaterMark: 1024 * 1024 })) hash.update(chunk);
  return hash.digest('hex');
}
