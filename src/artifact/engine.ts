import { createHash } from 'node:crypto';
import { lstatSync, readdirSync, type Stats } from 'node:fs';
import { type FileHandle, mkdtemp, open, readdir, readlink, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, join, resolve, sep } from 'node:path';
import type { Readable } from 'node:stream';
import type { CoverageGap } from '../core/coverage.js';
import { DETECTED_TYPES, type DetectedType, isTextType } from '../core/detected-type.js';
import { CountersignError, type ErrorCode, isCountersignError } from '../core/errors.js';
import type { Fact } from '../core/facts.js';
import type { Limits } from '../core/limits.js';
import { childPath, type NodePath, rootPath } from '../core/node-path.js';
import type {
  AnalysisCache,
  AnalysisCacheKey,
  Analyzer,
  AnalyzerResult,
  ArchiveEntry,
  ByteRange,
  EntryKind,
  GapInput,
  NodeHead,
  NodeView,
  PluginContext,
  Unpacker,
  ZipMemberLocation,
} from '../core/plugin.js';
import type { DigestAlgorithm, Digests, NodeFlag, ScanNode, ScanSubject } from '../core/scan-result.js';
import { ACCEPTS_HEAD_BYTES, detectType, SNIFF_BYTES } from '../formats/magic.js';
import { type ContentDigest, type ContentMeasures, lineCount, measuresOf } from './content-digest.js';
import {
  type ContentSource,
  contentView,
  nodeView,
  OpenFiles,
  readFileRangeSync,
  readSource,
  sourceLength,
} from './content-source.js';
import { CountLedger } from './count-ledger.js';
import {
  type ByteCounts,
  type DecodedZipMember,
  DigestPool,
  type HashedContent,
  type StreamDigest,
} from './digest-pool.js';
import { DuplicateNames, NO_FLAGS, nameFlags } from './entry-names.js';

export interface TreeOptions {
  readonly limits: Limits;
  readonly unpackers: readonly Unpacker[];
  readonly analyzers: readonly Analyzer[];
  readonly digestAlgorithms: readonly DigestAlgorithm[];
  /** Facts of contents seen before, by digest and analyzer (see `Analyzer.cacheKey`). */
  readonly analysisCache?: AnalysisCache;
  /** Parent folder of the scan's scratch folder (default: the OS temp folder). */
  readonly scratchParent?: string;
  readonly onProgress?: (progress: TreeProgress) => void;
  readonly signal?: AbortSignal;
  /**
   * Do not descend into `node_modules` folders met while walking a folder input; each one skipped
   * becomes an `E_SCAN_NOT_DEEP` gap. An input that is (or is inside) a `node_modules` folder is
   * walked in full: the user pointed at it. Off by default: every caller but `scan` without
   * `--deep` wants the whole tree.
   */
  readonly skipNodeModules?: boolean;
}

export interface TreeProgress {
  readonly nodes: number;
  /** Bytes of content read so far (inputs and unpacked entries). */
  readonly bytes: number;
  /** Sum of the inputs' sizes on disk, known before the walk starts. */
  readonly inputBytes: number;
  /** Input bytes fully walked. */
  readonly inputBytesDone: number;
  readonly current: string;
}

export interface Tree {
  readonly subjects: ScanSubject[];
  readonly nodes: ScanNode[];
  readonly gaps: CoverageGap[];
}

interface MutableNode {
  path: NodePath;
  parent?: NodePath;
  depth: number;
  name: string;
  entryKind: EntryKind;
  size: number;
  digests?: Digests;
  type: DetectedType;
  entropy?: number;
  lines?: number;
  flags: readonly NodeFlag[];
  linkTarget?: string;
  mtime?: string;
  unpackedBy?: string;
  facts: readonly Fact[];
  head: Uint8Array;
  /** The expansion budget of the input this node came from (shared by the whole subtree). */
  budget: RootBudget;
}

/** Bytes unpacked under one input, against its size on disk: nested bombs expand by fan-out. */
interface RootBudget {
  readonly size: number;
  unpacked: number;
}

const NO_BYTES = new Uint8Array(0);
/** The facts of a node no analyzer spoke of, shared (see NO_FLAGS). */
const NO_FACTS: readonly Fact[] = Object.freeze([]);

/** Files on disk up to this size are read once, whole, into memory (see `addFile`). */
const SMALL_FILE_BYTES = 64 * 1024;
/** Most background jobs (hashing, analysis) in flight before the walk waits for some to finish. */
const MAX_BACKGROUND_JOBS = 256;
/**
 * Zips at least this large have their small members decoded by the hashing threads; smaller ones
 * on the main thread, as starting the threads would cost more than the whole zip (a fuzzing sweep
 * scans thousands of tiny zips).
 */
const OFF_THREAD_ZIP_BYTES = 1024 * 1024;
/**
 * An entry that no plugin needs is held in memory up to this size and hashed in one piece; past it,
 * it is streamed to the hashers (holding it up to `inMemoryBytes` only costs memory).
 */
const UNKEPT_HELD_BYTES = 1024 * 1024;
/**
 * Walks at once: an entry stored verbatim in a zip on disk (a release zip's nested archives) is
 * walked beside its siblings, so that one that keeps the main thread busy (a .tgz: inflating and
 * parsing tar) overlaps one that keeps the hashing threads busy (a zip of small files). The tree
 * is put back in walk order at the end, so the report does not depend on which finished first.
 */
const MAX_CONCURRENT_WALKS = 2;
/** Small zip members in the hashing threads at once (each at most 1 MiB, most far less). */
const MAX_DECODING_MEMBERS = 64;

/**
 * A container on disk at least this large is not counted byte by byte with its hashes: its
 * stored entries (ranges of it, which are counted anyway) lend it their counts once unpacked, and
 * only the rest of it is counted then (`composeCounts`). A release zip of stored installers and
 * archives is thus counted once, not once for itself and again for its entries. Smaller ones are
 * not worth the bookkeeping.
 */
const BORROWING_CONTAINER_BYTES = 32 * 1024 * 1024;

/** A container whose counts are made after unpacking: its ledger, and what its own lender awaits. */
interface DeferredCounts {
  readonly ledger: CountLedger;
  readonly counts: Promise<ByteCounts | undefined>;
  settle(counts: ByteCounts | undefined): void;
}

function deferredCounts(): DeferredCounts {
  let settle: (counts: ByteCounts | undefined) => void = () => undefined;
  const counts = new Promise<ByteCounts | undefined>((resolve) => {
    settle = resolve;
  });
  return { ledger: new CountLedger(), counts, settle };
}

function asGapCode(error: unknown, fallback: ErrorCode): ErrorCode {
  return isCountersignError(error) ? error.code : fallback;
}

function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

const NODE_MODULES = 'node_modules';

/** Packages directly in a `node_modules` folder (`@scope/name` counts once per name); one listing per scope. */
function lstatOrUndefined(path: string): Stats | undefined {
  try {
    return lstatSync(path);
  } catch {
    return undefined;
  }
}

async function countInstalledPackages(dir: string): Promise<number> {
  let count = 0;
  const names = await readdir(dir).catch(() => [] as string[]);
  for (const name of names) {
    if (name.startsWith('.')) continue;
    count += name.startsWith('@') ? (await readdir(join(dir, name)).catch(() => [])).length : 1;
  }
  return count;
}

/** Thrown inside entry consumption when a limit stops it; becomes a gap, not a failure. */
class LimitReached extends CountersignError {}

/**
 * Builds the artifact tree of the inputs: every file inside, recursively, with digests, type,
 * entropy and facts; what could not be looked at becomes a coverage gap and the walk goes on.
 *
 * Work is spread over both cores: hashing runs in worker threads while the main thread
 * decompresses and parses; limits bound depth, count, bytes, ratio and memory.
 */
export async function buildTree(inputs: readonly string[], options: TreeOptions): Promise<Tree> {
  const builder = new TreeBuilder(options);
  try {
    return await builder.run(inputs);
  } finally {
    await builder.dispose();
  }
}

class TreeBuilder {
  private nodes: MutableNode[] = [];
  private readonly gaps: CoverageGap[] = [];
  /** Each node's place among its siblings (inputs: among the inputs), for the final order. */
  private readonly siblingIndex = new Map<NodePath, number>();
  /** Containers being unpacked whose counts their stored entries lend them (see BORROWING_CONTAINER_BYTES). */
  private readonly ledgers = new Map<MutableNode, CountLedger>();
  private inputIndex = 0;
  /** Entries being walked beside the main walk (see MAX_CONCURRENT_WALKS). */
  private readonly concurrentWalks = new Set<Promise<void>>();
  private hasWalkedConcurrently = false;
  private memberBytesTypes: readonly DetectedType[] | 'all' | undefined;
  /** See `memberHeadBytes`: the plugins do not change during a walk. */
  private memberHeadLength: number | undefined;
  private readonly background = new Set<Promise<void>>();
  /** Walks waiting in `drain` for the background jobs to fall to their target. */
  private drainWaiters: Array<{ readonly target: number; readonly wake: () => void }> = [];
  private readonly pool: DigestPool;
  private readonly files = new OpenFiles();
  private readonly context: PluginContext;
  private scratchDir: string | undefined;
  private scratchCount = 0;
  private fileCount = 0;
  private unpackedBytes = 0;
  private bytesSeen = 0;
  private inputBytes = 0;
  private inputBytesDone = 0;
  private isFileLimitReached = false;
  private lastProgress = 0;

  constructor(private readonly options: TreeOptions) {
    this.pool = new DigestPool(options.digestAlgorithms);
    this.context = { limits: options.limits, ...(options.signal ? { signal: options.signal } : {}) };
  }

  async run(inputs: readonly string[]): Promise<Tree> {
    const stats = [];
    for (const input of inputs) {
      const info = await stat(input).catch((error: NodeJS.ErrnoException) => {
        throw new CountersignError(
          error.code === 'ENOENT' ? 'E_INPUT_NOT_FOUND' : 'E_INPUT_UNREADABLE',
          `cannot read ${input}: ${error.code === 'ENOENT' ? 'no such file or directory' : error.message}`,
          { cause: error },
        );
      });
      if (!info.isFile() && !info.isDirectory()) {
        throw new CountersignError('E_INPUT_UNREADABLE', `${input} is neither a file nor a directory`);
      }
      stats.push(info);
      if (info.isFile()) this.inputBytes += info.size;
    }
    const roots: Array<{ input: string; path: NodePath; isDirectory: boolean }> = [];
    // Inputs are named by their base names; two of the same name (two releases' `app.zip`) are
    // kept apart as entries of one container are: the second is `app.zip#2`.
    const rootNames = new DuplicateNames();
    for (const [index, input] of inputs.entries()) {
      const info = stats[index]!;
      const path = rootPath(rootNames.unique(basename(input) || input).name);
      roots.push({ input, path, isDirectory: info.isDirectory() });
      if (info.isDirectory()) {
        const isInsideNodeModules = resolve(input).split(sep).includes(NODE_MODULES);
        await this.walkDirectory(input, path, this.options.skipNodeModules === true && !isInsideNodeModules);
      } else await this.addFile(input, path, 0, undefined, info.size);
    }
    while (this.concurrentWalks.size > 0) await Promise.all(this.concurrentWalks);
    await this.drain(0);
    this.emitProgress('', true);
    this.putInWalkOrder();
    return {
      subjects: roots.map((root) => this.subjectOf(root)),
      nodes: this.nodes.map(scanNodeOf),
      gaps: this.gaps,
    };
  }

  /**
   * Nodes and gaps in the order a one-at-a-time walk gives (each container, then its entries in
   * archive order, depth first), whatever the order overlapping walks finished them in (a stable
   * sort: the gaps of one node keep their order). Without overlapping walks that is already their
   * order.
   */
  private putInWalkOrder(): void {
    if (!this.hasWalkedConcurrently) return;
    // Depth first over per-container lists rather than a sort on each node's chain of entry
    // indexes: those chains (an array per node, and a map of them) cost ~10 MB at 46,000 nodes,
    // allocated at the end of the walk, when the heap is at its largest.
    const indexOf = (node: MutableNode) => this.siblingIndex.get(node.path) ?? Number.MAX_SAFE_INTEGER;
    const byIndex = (a: MutableNode, b: MutableNode) => indexOf(a) - indexOf(b);
    const roots: MutableNode[] = [];
    const childrenOf = new Map<string, MutableNode[]>();
    for (const node of this.nodes) {
      if (node.parent === undefined) {
        roots.push(node);
        continue;
      }
      const siblings = childrenOf.get(node.parent);
      if (siblings) siblings.push(node);
      else childrenOf.set(node.parent, [node]);
    }
    const gapNodes = new Set<string>(this.gaps.map((gap) => gap.node));
    const position = new Map<string, number>();
    const ordered: MutableNode[] = [];
    const pending = roots.sort(byIndex).reverse();
    while (pending.length > 0) {
      const node = pending.pop()!;
      if (gapNodes.has(node.path) && !position.has(node.path)) position.set(node.path, ordered.length);
      ordered.push(node);
      const children = childrenOf.get(node.path);
      if (!children) continue;
      childrenOf.delete(node.path);
      children.sort(byIndex);
      for (let i = children.length - 1; i >= 0; i--) pending.push(children[i]!);
    }
    // Entries of a container that is not a node (the engine adds every container before its
    // entries, so only a bug gets here): kept, after the rest, in the order they came.
    if (ordered.length < this.nodes.length) {
      const placed = new Set(ordered);
      for (const node of this.nodes) if (!placed.has(node)) ordered.push(node);
    }
    this.nodes = ordered;
    // A gap of a path that is not a node comes first, as an empty chain of indexes sorted before.
    this.gaps.sort((a, b) => (position.get(a.node) ?? -1) - (position.get(b.node) ?? -1));
  }

  /** A file input is described by its node; a folder by a digest over its files' paths and digests. */
  private subjectOf(root: { input: string; path: NodePath; isDirectory: boolean }): ScanSubject {
    if (!root.isDirectory) {
      const node = this.nodes.find((candidate) => candidate.path === root.path && candidate.depth === 0);
      // An input that could be listed but not read is the user's error, not a gap to scan past.
      if (!node?.digests) throw new CountersignError('E_INPUT_UNREADABLE', `cannot read ${root.input}`);
      return { path: root.input, name: root.path, size: node.size, digests: node.digests, type: node.type };
    }
    const prefix = `${root.path}/`;
    const members = this.nodes.filter((node) => node.depth === 0 && node.path.startsWith(prefix));
    const manifest = members
      .map((node) => `${node.digests?.sha256 ?? node.linkTarget ?? ''}  ${node.path.slice(prefix.length)}\n`)
      .sort()
      .join('');
    return {
      path: root.input,
      name: root.path,
      size: members.reduce((total, node) => total + node.size, 0),
      digests: { sha256: createHash('sha256').update(manifest).digest('hex') },
      type: 'directory',
    };
  }

  async dispose(): Promise<void> {
    // A walk that failed (or was aborted) may leave walks beside it running: they must end first.
    while (this.concurrentWalks.size > 0) await Promise.allSettled(this.concurrentWalks);
    await Promise.allSettled(this.background);
    await this.pool.close();
    this.files.closeAll();
    if (this.scratchDir) await rm(this.scratchDir, { recursive: true, force: true });
  }

  // ---- inputs on disk ------------------------------------------------------------------------

  /**
   * Directories are listed and files stat'ed synchronously: on a local disk each call takes
   * microseconds, while its promise form costs a round trip through libuv's thread pool and a
   * wake-up of this thread (a node_modules folder is tens of thousands of such calls; measured:
   * ~3 s of this thread's time and much of the scan's system time went to the round trips).
   */
  private async walkDirectory(dir: string, prefix: string, skipNodeModules = false): Promise<void> {
    let entries: string[];
    try {
      entries = readdirSync(dir);
    } catch (error) {
      this.addGap(
        rootPath(prefix),
        'E_INPUT_UNREADABLE',
        'read',
        `cannot list ${dir}: ${errorMessage(error)}`,
      );
      return;
    }
    entries.sort();
    for (const name of entries) {
      this.throwIfAborted();
      const full = join(dir, name);
      const logical = `${prefix}/${name}`;
      const info = lstatOrUndefined(full);
      if (!info) {
        this.addGap(rootPath(logical), 'E_INPUT_UNREADABLE', 'read', `cannot stat ${full}`);
      } else if (info.isDirectory() && skipNodeModules && name === NODE_MODULES) {
        const count = await countInstalledPackages(full);
        this.addGap(
          rootPath(logical),
          'E_SCAN_NOT_DEEP',
          'limit',
          `not walked: ${count} installed package${count === 1 ? '' : 's'} not analysed (scan with --deep to analyse them)`,
        );
      } else if (info.isDirectory()) {
        await this.walkDirectory(full, logical, skipNodeModules);
      } else if (info.isSymbolicLink()) {
        const target = await readlink(full).catch(() => '');
        this.addLinkNode(rootPath(logical), undefined, 0, name, 'symlink', target);
      } else if (info.isFile()) {
        this.inputBytes += info.size;
        await this.addFile(full, rootPath(logical), 0, undefined, info.size);
      } else {
        this.addGap(
          rootPath(logical),
          'E_INPUT_UNREADABLE',
          'read',
          'not a regular file (device, socket or pipe)',
        );
      }
    }
  }

  private async addFile(
    filePath: string,
    path: NodePath,
    depth: number,
    parent: NodePath | undefined,
    size: number,
  ): Promise<void> {
    if (!this.countFile(path, parent)) return;
    // A small file is read once, whole: typing, hashing and the analyzers then share those bytes
    // instead of opening the file once each (a node_modules folder is thousands of small files).
    const isSmall = size <= SMALL_FILE_BYTES;
    /** The whole file when it is small, else its first SNIFF_BYTES. */
    let bytesRead: Uint8Array;
    try {
      // Synchronously, as the directory walk stats: at most 64 KiB, where the promise form's round
      // trips (open, read, close) cost more than the reads.
      bytesRead = readFileRangeSync(filePath, 0, isSmall ? size : Math.min(size, SNIFF_BYTES));
    } catch (error) {
      this.addGap(path, 'E_INPUT_UNREADABLE', 'read', `cannot read ${filePath}: ${errorMessage(error)}`);
      return;
    }
    if (isSmall && bytesRead.length < size) {
      this.addGap(path, 'E_INPUT_UNREADABLE', 'read', `cannot read ${filePath}: it shrank while being read`);
      return;
    }
    const head = bytesRead.subarray(0, SNIFF_BYTES);
    const name = basename(filePath);
    const node = this.addNode({
      path,
      ...(parent ? { parent } : {}),
      depth,
      name,
      entryKind: 'file',
      size,
      type: detectType(head, name, size),
      flags: NO_FLAGS,
      facts: NO_FACTS,
      head,
      budget: { size, unpacked: 0 },
    });
    const source: ContentSource = isSmall
      ? { kind: 'memory', bytes: bytesRead }
      : { kind: 'file', path: filePath, offset: 0, length: size };
    this.bytesSeen += size;
    if (source.kind === 'file' && this.borrowsCounts(node)) {
      const deferred = this.deferCounts(node);
      await this.processContent(node, source, this.pool.hashFile(filePath, 0, size), deferred);
    } else {
      const digest = isSmall ? this.pool.digestBytes(bytesRead) : this.pool.digestFile(filePath, 0, size);
      await this.processContent(node, source, digest);
    }
    this.inputBytesDone += depth === 0 ? size : 0;
    this.emitProgress(path);
  }

  // ---- one node's content: digest, analyzers, unpacker -----------------------------------------

  /** Runs one analyzer, or takes what it said about the same bytes before. */
  private async analyze(analyzer: Analyzer, view: NodeView): Promise<AnalyzerResult> {
    const cache = this.options.analysisCache;
    if (!cache || !analyzer.cacheKey || analyzer.readsPath) return analyzer.analyze(view, this.context);
    const key: AnalysisCacheKey = {
      sha256: view.sha256,
      name: view.name,
      analyzer: `${analyzer.id}@${analyzer.version}:${analyzer.cacheKey()}`,
    };
    const cached = await cache.get(key);
    if (cached) return cached;
    const result = await analyzer.analyze(view, this.context);
    await cache.put(key, result);
    return result;
  }

  private async processContent(
    node: MutableNode,
    source: ContentSource,
    digest: Promise<ContentDigest | HashedContent>,
    deferred?: DeferredCounts,
  ) {
    try {
      await this.processDigestedContent(node, source, digest);
    } finally {
      // After unpacking (or failing to), whatever the entries did not lend is counted now.
      if (deferred && source.kind === 'file') await this.track(this.composeCounts(node, source, deferred));
    }
  }

  private async processDigestedContent(
    node: MutableNode,
    source: ContentSource,
    digest: Promise<ContentDigest | HashedContent>,
  ) {
    // Plugins get a snapshot; the node record itself keeps no bytes (a tree of 200k nodes would
    // otherwise hold 200k heads, and through them the content buffers they are slices of).
    const head = headOf(node);
    node.head = NO_BYTES;
    const analyzers = this.options.analyzers.filter((analyzer) => safeAccepts(analyzer, head));
    const unpacker = this.options.unpackers.find((candidate) => safeAccepts(candidate, head));

    // Digest and analysis finish in the background; the walk goes on with the children.
    const analysed = digest.then(
      async (result) => {
        this.applyDigest(node, result);
        if (analyzers.length === 0) return;
        const view = nodeView(head, source, result.digests.sha256, this.files);
        for (const analyzer of analyzers) {
          try {
            const { facts, gaps } = await this.analyze(analyzer, view);
            if (facts.length > 0) node.facts = [...node.facts, ...facts];
            for (const gap of gaps) this.addGapInput(node.path, analyzer.id, gap);
          } catch (error) {
            this.addGap(
              node.path,
              asGapCode(error, 'E_PLUGIN_FAILED'),
              'analyze',
              errorMessage(error),
              analyzer.id,
            );
          }
        }
      },
      (error) => {
        this.addGap(
          node.path,
          asGapCode(error, 'E_INPUT_UNREADABLE'),
          'read',
          `hashing failed: ${errorMessage(error)}`,
        );
      },
    );
    await this.track(analysed);

    if (!unpacker) return;
    if (node.depth + 1 > this.options.limits.maxDepth) {
      this.addGap(
        node.path,
        'E_ARTIFACT_TOO_DEEP',
        'limit',
        `not unpacked: nesting depth ${node.depth + 1} exceeds the limit of ${this.options.limits.maxDepth}`,
        unpacker.id,
      );
      return;
    }
    if (this.isFileLimitReached) return;
    await this.unpack(node, unpacker, source);
  }

  private applyDigest(node: MutableNode, result: ContentDigest | HashedContent) {
    node.digests = result.digests;
    if ('entropy' in result) this.applyMeasures(node, result);
  }

  private applyMeasures(node: MutableNode, measures: ContentMeasures & { readonly size: number }) {
    node.entropy = measures.entropy;
    if (isTextType(node.type)) node.lines = lineCount(measures);
  }

  /** Whether a node is a container whose stored entries will lend it their counts. */
  private borrowsCounts(node: MutableNode): boolean {
    return node.size >= BORROWING_CONTAINER_BYTES && this.pool.hasThreads && this.isContainer(headOf(node));
  }

  private deferCounts(node: MutableNode): DeferredCounts {
    const deferred = deferredCounts();
    this.ledgers.set(node, deferred.ledger);
    return deferred;
  }

  /**
   * A borrowing container's entropy (and lines): the counts its stored entries lent it, where they
   * do not overlap, plus the rest of its bytes counted now. Never throws: a failure is a gap, and
   * the container then lends nothing to its own container, which counts those bytes itself.
   */
  private async composeCounts(
    node: MutableNode,
    source: Extract<ContentSource, { kind: 'file' }>,
    deferred: DeferredCounts,
  ): Promise<void> {
    this.ledgers.delete(node);
    try {
      const balance = await deferred.ledger.balance(source.length);
      const ranges = balance.ranges.map((range) => ({
        offset: source.offset + range.offset,
        length: range.length,
      }));
      const rest = ranges.length > 0 ? await this.pool.countFileRanges(source.path, ranges) : undefined;
      const counts = balance.total(rest);
      this.applyMeasures(node, {
        size: source.length,
        ...measuresOf(counts.histogram, source.length, counts.lastByte),
      });
      deferred.settle(counts);
    } catch (error) {
      deferred.settle(undefined);
      this.addGap(
        node.path,
        asGapCode(error, 'E_INPUT_UNREADABLE'),
        'read',
        `counting bytes failed: ${errorMessage(error)}`,
      );
    }
  }

  // ---- containers ----------------------------------------------------------------------------

  private async unpack(container: MutableNode, unpacker: Unpacker, source: ContentSource): Promise<void> {
    const names = new DuplicateNames();
    let entryIndex = 0;
    // Small zip members being decoded by the hashing threads: finished (added to the tree) in entry
    // order, while later ones are already on their way.
    const decoding: Array<() => Promise<void>> = [];
    const finishDecoding = async (keep = 0) => {
      while (decoding.length > keep) await decoding.shift()!();
    };
    try {
      for await (const entry of unpacker.unpack(contentView(container, source, this.files), this.context)) {
        // Only a container that yielded something counts as unpacked (a PE without an embedded zip does not).
        container.unpackedBy = unpacker.id;
        this.throwIfAborted();
        if (entry.kind === 'directory') continue;
        const unique = names.unique(entry.name);
        const path = childPath(container.path, unique.name);
        if (!this.countFile(path, container.path)) break;
        this.siblingIndex.set(path, entryIndex++);
        const named = nameFlags(entry.name);
        const flags = unique.isDuplicate ? [...named, 'duplicate-name' as const] : named;
        if (entry.kind === 'symlink' || entry.kind === 'hardlink') {
          this.addLinkNode(
            path,
            container.path,
            container.depth + 1,
            entry.name,
            entry.kind,
            entry.linkTarget ?? '',
            flags,
          );
          continue;
        }
        if (
          entry.zipMember &&
          !entry.problem &&
          source.kind === 'file' &&
          source.length >= OFF_THREAD_ZIP_BYTES &&
          this.pool.hasThreads
        ) {
          decoding.push(
            this.startZipMember(container, source, entry, entry.zipMember, path, flags, unpacker.id),
          );
          await finishDecoding(MAX_DECODING_MEMBERS);
          continue;
        }
        await finishDecoding();
        if (entry.storedRange && !entry.problem) {
          await this.addStoredEntry(container, source, entry, entry.storedRange, path, flags, unpacker.id);
        } else {
          await this.consumeEntry(container, entry, path, flags, unpacker.id);
        }
      }
      await finishDecoding();
    } catch (error) {
      // Entries yielded before the failure stay in the tree.
      while (decoding.length > 0) await decoding.shift()!().catch(() => undefined);
      if (this.options.signal?.aborted) throw error;
      container.unpackedBy = unpacker.id;
      this.addGap(
        container.path,
        asGapCode(error, 'E_ARCHIVE_CORRUPT'),
        'unpack',
        `unpacking stopped: ${errorMessage(error)}`,
        unpacker.id,
      );
    }
  }

  private async consumeEntry(
    container: MutableNode,
    entry: ArchiveEntry,
    path: NodePath,
    flags: readonly NodeFlag[],
    unpackerId: string,
  ): Promise<void> {
    const limits = this.options.limits;
    const depth = container.depth + 1;
    const declared = entry.declaredSize;
    const base = entryNodeBase(container, entry, path, flags);
    const recordUnread = (code: ErrorCode, message: string, size = declared ?? 0) => {
      this.addNode({ ...base, size, type: 'binary', head: NO_BYTES });
      this.addGap(path, code, code.startsWith('E_ARTIFACT') ? 'limit' : 'unpack', message, unpackerId);
    };

    if (entry.problem || !entry.open) {
      if (entry.problem?.code === 'E_ARCHIVE_ENCRYPTED') base.flags = [...base.flags, 'encrypted'];
      recordUnread(
        entry.problem?.code ?? 'E_ARCHIVE_UNSUPPORTED',
        entry.problem?.message ?? 'the container gives no content for this entry',
      );
      return;
    }
    const precheck = this.checkDeclaredSize(entry, container.budget);
    if (precheck) {
      recordUnread(precheck.code, precheck.message);
      return;
    }

    let stream: Readable;
    try {
      stream = await entry.open();
    } catch (error) {
      recordUnread(asGapCode(error, 'E_ARCHIVE_CORRUPT'), errorMessage(error));
      return;
    }

    // Read the head first: it decides the type and whether any plugin needs the bytes kept.
    const chunks: Uint8Array[] = [];
    let buffered = 0;
    let size = 0;
    let head: Uint8Array | undefined;
    let keep = false;
    let streamDigest: StreamDigest | undefined;
    let scratch: { path: string; handle: FileHandle } | undefined;
    let type: DetectedType = 'binary';

    const decide = (ended: boolean) => {
      const joined = Buffer.concat(chunks);
      head = joined.subarray(0, SNIFF_BYTES);
      const knownSize = ended ? size : (declared ?? size);
      type = detectType(head, entry.name, knownSize);
      keep = this.wantsContent({ path, name: entry.name, size: knownSize, depth, type, head });
    };

    const spill = async (chunk: Uint8Array) => {
      if (keep) {
        if (!scratch) {
          const scratchPath = await this.newScratchPath();
          scratch = { path: scratchPath, handle: await open(scratchPath, 'w') };
          for (const held of chunks) await scratch.handle.write(held);
          chunks.length = 0;
          buffered = 0;
        }
        await scratch.handle.write(chunk);
      } else {
        if (!streamDigest) {
          streamDigest = this.pool.openStream();
          for (const held of chunks) await streamDigest.update(held);
          chunks.length = 0;
          buffered = 0;
        }
        await streamDigest.update(chunk);
      }
    };

    try {
      for await (const raw of stream) {
        const chunk: Uint8Array = typeof raw === 'string' ? Buffer.from(raw) : raw;
        size += chunk.length;
        this.unpackedBytes += chunk.length;
        container.budget.unpacked += chunk.length;
        this.bytesSeen += chunk.length;
        const limit = this.checkGrowth(entry, size, container.budget);
        if (limit) throw limit;
        if (head === undefined) {
          chunks.push(chunk);
          buffered += chunk.length;
          if (buffered >= SNIFF_BYTES) decide(false);
          continue;
        }
        // Bytes nothing keeps are only held while they are few enough to batch to the hashers.
        const holdLimit = keep ? limits.inMemoryBytes : Math.min(limits.inMemoryBytes, UNKEPT_HELD_BYTES);
        if (!scratch && !streamDigest && buffered + chunk.length <= holdLimit) {
          chunks.push(chunk);
          buffered += chunk.length;
        } else {
          await spill(chunk);
        }
        this.emitProgress(path);
      }
      if (head === undefined) decide(true);
    } catch (error) {
      stream.destroy();
      streamDigest?.abort();
      await scratch?.handle.close();
      const isLimit = error instanceof LimitReached;
      this.addNode({ ...base, size, type: head ? type : 'binary', head: NO_BYTES });
      this.addGap(
        path,
        asGapCode(error, 'E_ARCHIVE_CORRUPT'),
        isLimit ? 'limit' : 'unpack',
        isLimit ? errorMessage(error) : `entry unreadable after ${size} bytes: ${errorMessage(error)}`,
        unpackerId,
      );
      return;
    }

    if (declared !== undefined && declared !== size) {
      // The container lied about the size (or the stream was cut short): note it, keep what we read.
      this.addGap(
        path,
        'E_ARCHIVE_CORRUPT',
        'unpack',
        `declared size ${declared} but ${size} bytes were read`,
        unpackerId,
      );
    }

    const node = this.addNode({ ...base, size, type, head: keep && head ? head : NO_BYTES });
    let source: ContentSource;
    let digest: Promise<ContentDigest>;
    if (scratch) {
      await scratch.handle.close();
      source = { kind: 'file', path: scratch.path, offset: 0, length: size };
      digest = this.pool.digestFile(scratch.path, 0, size);
    } else if (streamDigest) {
      // Only entries that nothing needs are streamed to the hasher (see `spill`).
      source = { kind: 'memory', bytes: new Uint8Array(0) };
      digest = streamDigest.finish();
    } else {
      // A content no longer than its head was copied whole by `decide`: that copy is the content.
      // The chunks are views into the decompressor's output buffers (256 KiB each); a lone chunk
      // kept as the content held its whole buffer for as long as the node's jobs ran, and the
      // closures of this function keep `chunks` itself alive as long, hence the emptying.
      const bytes = head?.length === size ? head : chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks);
      chunks.length = 0;
      source = { kind: 'memory', bytes };
      digest = this.pool.digestBytes(bytes);
    }
    if (!keep) {
      // Nothing needs the bytes after hashing: let them go as soon as the digest is done.
      await this.track(
        digest
          .then((result) => this.applyDigest(node, result))
          .catch((error) => {
            this.addGap(
              path,
              asGapCode(error, 'E_INTERNAL'),
              'read',
              `hashing failed: ${errorMessage(error)}`,
            );
          }),
      );
      return;
    }
    await this.processContent(node, source, digest);
  }

  /**
   * A small zip member of a zip on disk: a hashing thread reads, decodes, checks, hashes and types
   * it (`DigestPool.decodeZipMember`), so the main thread neither inflates nor copies it. The
   * limits are checked first on the declared size, which the thread holds the content to exactly.
   * Returns what adds the node once the thread has answered.
   */
  private startZipMember(
    container: MutableNode,
    source: Extract<ContentSource, { kind: 'file' }>,
    entry: ArchiveEntry,
    member: ZipMemberLocation,
    path: NodePath,
    flags: readonly NodeFlag[],
    unpackerId: string,
  ): () => Promise<void> {
    const base = entryNodeBase(container, entry, path, flags);
    const declared = member.uncompressedSize;
    const unread = (code: ErrorCode, stage: 'limit' | 'unpack', message: string) => {
      this.addNode({ ...base, size: declared, type: 'binary', head: NO_BYTES });
      this.addGap(path, code, stage, message, unpackerId);
    };
    const precheck = this.checkDeclaredSize(entry, container.budget);
    if (precheck) return async () => unread(precheck.code, 'limit', precheck.message);
    this.unpackedBytes += declared;
    container.budget.unpacked += declared;
    this.bytesSeen += declared;
    const decode = (bytesFor: readonly DetectedType[] | 'all') =>
      this.pool.decodeZipMember(
        source.path,
        source.offset,
        source.length,
        member,
        entry.name,
        bytesFor,
        this.memberHeadBytes(),
      );
    const decoded = decode(this.memberBytesFor());
    // Settled now, read later: a failure must not surface as an unhandled rejection meanwhile.
    decoded.catch(() => undefined);
    return async () => {
      let result: DecodedZipMember;
      try {
        result = await decoded;
        const head = { ...base, size: result.size, type: result.type, head: result.head };
        // The thread was asked back for the types plugins take by type alone; a plugin that also
        // takes this node by something else gets its content from a second decode.
        if (!result.bytes && this.wantsContent(head)) result = await decode('all');
      } catch (error) {
        const code = asGapCode(error, 'E_ARCHIVE_CORRUPT');
        unread(code, code.startsWith('E_ARTIFACT') ? 'limit' : 'unpack', errorMessage(error));
        return;
      }
      const node = this.addNode({ ...base, size: result.size, type: result.type, head: result.head });
      // Without content, no plugin takes the node (checked above): only its head is there to see.
      const content: ContentSource = { kind: 'memory', bytes: result.bytes ?? result.head };
      await this.processContent(node, content, Promise.resolve(result.digest));
      this.emitProgress(path);
    };
  }

  /**
   * The types whose zip members' content the hashing thread sends back: every type when an
   * analyzer may read them, else only those an unpacker opens (unpackers take nodes by type).
   */
  private memberBytesFor(): readonly DetectedType[] | 'all' {
    if (this.memberBytesTypes) return this.memberBytesTypes;
    const probe = (type: DetectedType): NodeHead => ({
      path: rootPath('probe'),
      name: '',
      size: 1,
      depth: 0,
      type,
      head: NO_BYTES,
    });
    this.memberBytesTypes =
      this.options.analyzers.length > 0
        ? 'all'
        : DETECTED_TYPES.filter((type) => this.isContainer(probe(type)));
    return this.memberBytesTypes;
  }

  /**
   * How much of a zip member not sent back whole the hashing thread sends as its head: none when
   * every plugin declares that its \`accepts\` ignores heads. 40,000 members' heads were 40,000
   * small buffers for the main thread's collector, up to 30 MB of them waiting at a time.
   */
  private memberHeadBytes(): number {
    this.memberHeadLength ??= [...this.options.analyzers, ...this.options.unpackers].every(
      (plugin) => plugin.acceptsWithoutHead === true,
    )
      ? 0
      : ACCEPTS_HEAD_BYTES;
    return this.memberHeadLength;
  }

  /** Whether any analyzer or unpacker takes a node with this head (and so reads its content). */
  private wantsContent(head: NodeHead): boolean {
    return this.options.analyzers.some((analyzer) => safeAccepts(analyzer, head)) || this.isContainer(head);
  }

  /** Whether an unpacker takes a node with this head. */
  private isContainer(head: NodeHead): boolean {
    return this.options.unpackers.some((unpacker) => safeAccepts(unpacker, head));
  }

  /** An entry stored verbatim: its bytes are a range of the container's, read in place. */
  private async addStoredEntry(
    container: MutableNode,
    containerSource: ContentSource,
    entry: ArchiveEntry,
    range: ByteRange,
    path: NodePath,
    flags: readonly NodeFlag[],
    unpackerId: string,
  ): Promise<void> {
    const base = entryNodeBase(container, entry, path, flags);
    const containerLength = sourceLength(containerSource);
    if (range.offset < 0 || range.length < 0 || range.offset + range.length > containerLength) {
      this.addNode({ ...base, size: range.length, type: 'binary', head: NO_BYTES });
      this.addGap(
        path,
        'E_ARCHIVE_TRUNCATED',
        'unpack',
        `entry data at ${range.offset}+${range.length} lies beyond the container's ${containerLength} bytes`,
        unpackerId,
      );
      return;
    }
    const precheck = this.checkDeclaredSize({ ...entry, declaredSize: range.length }, container.budget);
    if (precheck) {
      this.addNode({ ...base, size: range.length, type: 'binary', head: NO_BYTES });
      this.addGap(path, precheck.code, 'limit', precheck.message, unpackerId);
      return;
    }
    this.unpackedBytes += range.length;
    container.budget.unpacked += range.length;
    this.bytesSeen += range.length;
    const source: ContentSource =
      containerSource.kind === 'file'
        ? {
            kind: 'file',
            path: containerSource.path,
            offset: containerSource.offset + range.offset,
            length: range.length,
          }
        : {
            kind: 'memory',
            bytes: containerSource.bytes.subarray(range.offset, range.offset + range.length),
          };
    const head = await readSource(source, { offset: 0, length: SNIFF_BYTES }, this.files);
    const node = this.addNode({
      ...base,
      size: range.length,
      type: detectType(head, entry.name, range.length),
      head,
    });
    const { digest, deferred } = this.digestStoredEntry(node, source, range, this.ledgers.get(container));
    if (
      this.isContainer(headOf(node)) &&
      source.kind === 'file' &&
      this.concurrentWalks.size < MAX_CONCURRENT_WALKS - 1
    ) {
      this.walkConcurrently(container, path, unpackerId, () =>
        this.processContent(node, source, digest, deferred),
      );
    } else {
      await this.processContent(node, source, digest, deferred);
    }
  }

  /**
   * Starts a stored entry's digest. A large container among them borrows its own entries' counts;
   * any entry of a borrowing container lends it its counts.
   */
  private digestStoredEntry(
    node: MutableNode,
    source: ContentSource,
    range: ByteRange,
    containerLedger: CountLedger | undefined,
  ): { digest: Promise<ContentDigest | HashedContent>; deferred?: DeferredCounts } {
    if (source.kind === 'memory') return { digest: this.pool.digestBytes(source.bytes) };
    const lend = (counts: Promise<ByteCounts | undefined>) =>
      containerLedger?.lend(range.offset, range.length, counts);
    if (this.borrowsCounts(node)) {
      const deferred = this.deferCounts(node);
      lend(deferred.counts);
      return { digest: this.pool.hashFile(source.path, source.offset, source.length), deferred };
    }
    if (!containerLedger) return { digest: this.pool.digestFile(source.path, source.offset, source.length) };
    const counted = this.pool.digestFileCounted(source.path, source.offset, source.length);
    // A failed digest lends nothing (its container counts those bytes itself) and is reported
    // through `digest`.
    lend(
      counted.then(
        (result) => result.counts,
        () => undefined,
      ),
    );
    return { digest: counted.then((result) => result.digest) };
  }

  /** Walks one stored entry beside the current walk; a failure becomes a gap, as it would inline. */
  private walkConcurrently(
    container: MutableNode,
    path: NodePath,
    unpackerId: string,
    walk: () => Promise<void>,
  ): void {
    this.hasWalkedConcurrently = true;
    const job: Promise<void> = walk()
      .catch((error: unknown) => {
        if (this.options.signal?.aborted) return;
        this.addGap(
          container.path,
          asGapCode(error, 'E_ARCHIVE_CORRUPT'),
          'unpack',
          `entry ${path} could not be read: ${errorMessage(error)}`,
          unpackerId,
        );
      })
      .finally(() => this.concurrentWalks.delete(job));
    this.concurrentWalks.add(job);
  }

  private checkDeclaredSize(
    entry: ArchiveEntry,
    budget: RootBudget,
  ): { code: ErrorCode; message: string } | undefined {
    const limits = this.options.limits;
    const declared = entry.declaredSize;
    if (declared === undefined) return undefined;
    if (declared > limits.maxFileBytes) {
      return {
        code: 'E_ARTIFACT_FILE_TOO_LARGE',
        message: `not unpacked: declared size ${declared} exceeds the per-file limit of ${limits.maxFileBytes}`,
      };
    }
    const ratio = this.ratioOf(entry, declared);
    if (ratio !== undefined) {
      return {
        code: 'E_ARTIFACT_RATIO_EXCEEDED',
        message: `not unpacked: compression ratio ${ratio.toFixed(0)}:1 exceeds the limit of ${limits.maxCompressionRatio}:1`,
      };
    }
    const overall = this.overallRatioOf(budget, budget.unpacked + declared);
    if (overall !== undefined) {
      return {
        code: 'E_ARTIFACT_RATIO_EXCEEDED',
        message: `not unpacked: its input would expand ${overall.toFixed(0)}:1 overall, over the limit of ${limits.maxCompressionRatio}:1 (nested bomb?)`,
      };
    }
    if (this.unpackedBytes + declared > limits.maxTotalBytes) {
      return {
        code: 'E_ARTIFACT_TOO_LARGE',
        message: `not unpacked: the scan would exceed its limit of ${limits.maxTotalBytes} unpacked bytes`,
      };
    }
    return undefined;
  }

  /** The ratio when it is over the limit, else undefined. */
  private ratioOf(entry: ArchiveEntry, size: number): number | undefined {
    const limits = this.options.limits;
    if (entry.compressedSize === undefined || size < limits.ratioFloorBytes) return undefined;
    const ratio = size / Math.max(1, entry.compressedSize);
    return ratio > limits.maxCompressionRatio ? ratio : undefined;
  }

  /** The expansion of a whole input when it is over the ratio limit, else undefined. */
  private overallRatioOf(budget: RootBudget, unpacked: number): number | undefined {
    const limits = this.options.limits;
    if (unpacked < limits.ratioFloorBytes) return undefined;
    const ratio = unpacked / Math.max(1, budget.size);
    return ratio > limits.maxCompressionRatio ? ratio : undefined;
  }

  private checkGrowth(entry: ArchiveEntry, size: number, budget: RootBudget): LimitReached | undefined {
    const limits = this.options.limits;
    if (size > limits.maxFileBytes) {
      return new LimitReached(
        'E_ARTIFACT_FILE_TOO_LARGE',
        `stopped at ${size} bytes: the per-file limit is ${limits.maxFileBytes}`,
      );
    }
    const ratio = this.ratioOf(entry, size);
    if (ratio !== undefined) {
      return new LimitReached(
        'E_ARTIFACT_RATIO_EXCEEDED',
        `stopped at ${size} bytes: compression ratio ${ratio.toFixed(0)}:1 exceeds the limit of ${limits.maxCompressionRatio}:1`,
      );
    }
    const overall = this.overallRatioOf(budget, budget.unpacked);
    if (overall !== undefined) {
      return new LimitReached(
        'E_ARTIFACT_RATIO_EXCEEDED',
        `stopped at ${size} bytes: its input expands ${overall.toFixed(0)}:1 overall, over the limit of ${limits.maxCompressionRatio}:1 (nested bomb?)`,
      );
    }
    if (this.unpackedBytes > limits.maxTotalBytes) {
      return new LimitReached(
        'E_ARTIFACT_TOO_LARGE',
        `stopped: the scan reached its limit of ${limits.maxTotalBytes} unpacked bytes`,
      );
    }
    return undefined;
  }

  // ---- bookkeeping ---------------------------------------------------------------------------

  /** Counts a new node against the file limit; false (and a gap, once) when the limit is reached. */
  private countFile(path: NodePath, parent: NodePath | undefined): boolean {
    if (this.isFileLimitReached) return false;
    if (this.fileCount >= this.options.limits.maxFiles) {
      this.isFileLimitReached = true;
      this.addGap(
        parent ?? path,
        'E_ARTIFACT_TOO_MANY_FILES',
        'limit',
        `stopped at ${this.fileCount} files, the limit; ${path} and everything after it were not looked at`,
      );
      return false;
    }
    this.fileCount++;
    return true;
  }

  private addNode(fields: MutableNode): MutableNode {
    const node = nodeRecord(fields);
    // Inputs and the files of folder inputs are added one at a time, in walk order.
    if (node.parent === undefined) this.siblingIndex.set(node.path, this.inputIndex++);
    this.nodes.push(node);
    return node;
  }

  private addLinkNode(
    path: NodePath,
    parent: NodePath | undefined,
    depth: number,
    name: string,
    kind: 'symlink' | 'hardlink',
    target: string,
    flags: readonly NodeFlag[] = NO_FLAGS,
  ) {
    this.addNode({
      path,
      ...(parent ? { parent } : {}),
      depth,
      name,
      entryKind: kind,
      size: 0,
      type: kind,
      flags: [...flags, 'not-followed'],
      linkTarget: target,
      facts: NO_FACTS,
      head: NO_BYTES,
      budget: { size: 0, unpacked: 0 },
    });
  }

  private addGap(
    node: NodePath,
    code: ErrorCode,
    stage: CoverageGap['stage'],
    message: string,
    plugin?: string,
  ): void {
    this.gaps.push({ node, code, stage, message, ...(plugin ? { plugin } : {}) });
  }

  private addGapInput(node: NodePath, plugin: string, gap: GapInput) {
    this.gaps.push({ ...gap, node: gap.node ?? node, plugin });
  }

  private async newScratchPath(): Promise<string> {
    this.scratchDir ??= await mkdtemp(join(this.options.scratchParent ?? tmpdir(), 'countersign-'));
    return join(this.scratchDir, `entry-${++this.scratchCount}`);
  }

  /** Runs a job in the background, bounded: waits when too many are in flight. */
  private async track(job: Promise<void>): Promise<void> {
    const tracked = job
      .catch(() => undefined)
      .finally(() => {
        this.background.delete(tracked);
        this.wakeDrains();
      });
    this.background.add(tracked);
    if (this.background.size > MAX_BACKGROUND_JOBS) await this.drain(MAX_BACKGROUND_JOBS / 2);
  }

  /**
   * Resolves once at most `target` background jobs are in flight. A waiter is woken by the job
   * that brings the count down, not by racing all jobs: each `Promise.race` over the set left a
   * reaction on every pending job, some 200 per finished job, which outlived young-generation
   * collections and piled up in the old space.
   */
  private drain(target: number): Promise<void> {
    if (this.background.size <= target) return Promise.resolve();
    return new Promise((resolve) => this.drainWaiters.push({ target, wake: resolve }));
  }

  private wakeDrains(): void {
    if (this.drainWaiters.length === 0) return;
    const size = this.background.size;
    const ready = this.drainWaiters.filter((waiter) => size <= waiter.target);
    if (ready.length === 0) return;
    this.drainWaiters = this.drainWaiters.filter((waiter) => size > waiter.target);
    for (const waiter of ready) waiter.wake();
  }

  private throwIfAborted() {
    if (this.options.signal?.aborted) throw new CountersignError('E_INTERNAL', 'scan aborted');
  }

  private emitProgress(current: string, force = false) {
    if (!this.options.onProgress) return;
    const now = Date.now();
    if (!force && now - this.lastProgress < 100) return;
    this.lastProgress = now;
    this.options.onProgress({
      nodes: this.nodes.length,
      bytes: this.bytesSeen,
      inputBytes: this.inputBytes,
      inputBytesDone: this.inputBytesDone,
      current,
    });
  }
}

/** The fields every node made from a file entry shares, whatever becomes of its content. */
function entryNodeBase(
  container: MutableNode,
  entry: ArchiveEntry,
  path: NodePath,
  flags: readonly NodeFlag[],
) {
  return {
    path,
    parent: container.path,
    budget: container.budget,
    depth: container.depth + 1,
    name: entry.name,
    entryKind: 'file' as const,
    flags,
    facts: NO_FACTS,
    ...(entry.mtime && !Number.isNaN(entry.mtime.getTime()) ? { mtime: entry.mtime.toISOString() } : {}),
  };
}

/**
 * A node record with every field present (undefined when unknown) in one order. Records built by
 * spreading and then added to field by field each had a hidden class of their own: 46,000 nodes
 * held 20 MB of hidden classes and 3 MB of out-of-object property arrays on top of the records.
 */
function nodeRecord(node: MutableNode): MutableNode {
  return {
    path: node.path,
    parent: node.parent,
    depth: node.depth,
    name: node.name,
    entryKind: node.entryKind,
    size: node.size,
    digests: node.digests,
    type: node.type,
    entropy: node.entropy,
    lines: node.lines,
    flags: node.flags,
    linkTarget: node.linkTarget,
    mtime: node.mtime,
    unpackedBy: node.unpackedBy,
    facts: node.facts,
    head: node.head,
    budget: node.budget,
  };
}

/** What plugins see of a node before its content: a snapshot of its fields and first bytes. */
function headOf(node: MutableNode): NodeHead {
  return {
    path: node.path,
    name: node.name,
    size: node.size,
    depth: node.depth,
    type: node.type,
    head: node.head,
  };
}

/** The public node: the fields that are known, in the schema's order; no bytes, no budget. */
function scanNodeOf(node: MutableNode): ScanNode {
  const out: { -readonly [K in keyof ScanNode]: ScanNode[K] } = {
    path: node.path,
    depth: node.depth,
    name: node.name,
    entryKind: node.entryKind,
    size: node.size,
    type: node.type,
    flags: node.flags,
    facts: node.facts,
  };
  if (node.parent !== undefined) out.parent = node.parent;
  if (node.digests !== undefined) out.digests = node.digests;
  if (node.entropy !== undefined) out.entropy = node.entropy;
  if (node.lines !== undefined) out.lines = node.lines;
  if (node.linkTarget !== undefined) out.linkTarget = node.linkTarget;
  if (node.mtime !== undefined) out.mtime = node.mtime;
  if (node.unpackedBy !== undefined) out.unpackedBy = node.unpackedBy;
  return out;
}

/** A plugin's cheap check must not take the walk down. */
function safeAccepts(plugin: { accepts(node: NodeHead): boolean }, node: NodeHead): boolean {
  try {
    return plugin.accepts(node);
  } catch {
    return false;
  }
}
