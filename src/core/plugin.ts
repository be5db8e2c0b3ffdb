import type { Readable } from 'node:stream';
import type { CoverageGap } from './coverage.js';
import type { DetectedType } from './detected-type.js';
import type { CountersignError } from './errors.js';
import type { Fact } from './facts.js';
import type { Limits } from './limits.js';
import type { NodePath } from './node-path.js';

export interface ByteRange {
  readonly offset: number;
  readonly length: number;
}

/**
 * What a plugin may know about a node before its content has been read in full: enough for the
 * cheap `accepts` check that decides whether the node's bytes must be kept for the plugin.
 */
export interface NodeHead {
  readonly path: NodePath;
  /** The entry's own name within its container (last path segment). */
  readonly name: string;
  readonly size: number;
  readonly depth: number;
  readonly type: DetectedType;
  /**
   * The first bytes of the content: up to 64 KiB, and at least the first 4 KiB (or the whole
   * content when shorter), which is all `accepts` should depend on (`ACCEPTS_HEAD_BYTES`).
   * Empty for a zip member no plugin takes by type when every plugin of the scan declares
   * `acceptsWithoutHead`.
   */
  readonly head: Uint8Array;
}

/** The content of one node, read-only; the engine walks, opens, limits and times. */
export interface ContentView extends NodeHead {
  /** Reads a byte range (the whole node when omitted). Bounded by the node's size. */
  read(range?: ByteRange): Promise<Uint8Array>;
  /** Streams a byte range (the whole node when omitted): for content too large to read at once. */
  stream(range?: ByteRange): Readable;
}

/** What analyzers see: the content plus its digest (unpackers start before hashing ends). */
export interface NodeView extends ContentView {
  readonly sha256: string;
}

export interface PluginContext {
  readonly limits: Limits;
  readonly signal?: AbortSignal;
}

export type GapInput = Omit<CoverageGap, 'node' | 'plugin'> & { readonly node?: NodePath };

export interface AnalyzerResult {
  readonly facts: Fact[];
  readonly gaps: GapInput[];
}

/** node -> facts. Never severities: judgement belongs to rules. */
export interface Analyzer {
  readonly id: `analyzer/${string}`;
  /** Bumped when the meaning of the output changes; part of the cache key. */
  readonly version: number;
  /**
   * Opts the analyzer into the caches: what, besides the bytes, the entry name and the node's place
   * in the tree, its output depends on (configuration such as trust anchors, the day a validity
   * was judged on). Analyzers whose output depends on anything else (rules loaded at run time, the
   * network) must leave it out: they are never cached, and a scan that runs them is not either.
   */
  readonly cacheKey?: () => string;
  /**
   * The output depends on the node's path, not only on its bytes and entry name (a lockfile's
   * place in a project): cached only as part of a whole tree, never per content digest.
   */
  readonly readsPath?: boolean;
  /**
   * Declares that \`accepts\` never reads \`head\` (it goes by type, name, size, path or depth).
   * When every plugin of a scan says so, zip members that no plugin takes cross from the hashing
   * threads without their first bytes. Leave it out when in doubt: the head is then always there.
   */
  readonly acceptsWithoutHead?: boolean;
  accepts(node: NodeHead): boolean;
  analyze(node: NodeView, ctx: PluginContext): Promise<AnalyzerResult>;
}

export type EntryKind = 'file' | 'directory' | 'symlink' | 'hardlink';

/**
 * One entry an unpacker found in a container. `open` gives the content; for sequential formats
 * (tar inside gzip) the engine consumes each entry's stream before asking for the next entry.
 */
export interface ArchiveEntry {
  /** The name as stored in the container, unsanitised (it may contain `../`; it is never used as a file path). */
  readonly name: string;
  readonly kind: EntryKind;
  readonly linkTarget?: string;
  /** Uncompressed size as the container declares it, when it does. */
  readonly declaredSize?: number;
  /** Stored (compressed) size, when known: the basis of the compression-ratio limit. */
  readonly compressedSize?: number;
  readonly mtime?: Date;
  readonly mode?: number;
  /**
   * When the entry's bytes are stored verbatim in the container (a stored zip entry, a member of
   * a plain tar), their range within the container: the engine then reads them in place, without
   * copying or streaming. `open` must still be given.
   */
  readonly storedRange?: ByteRange;
  /**
   * A small zip member (stored or deflated, at most 1 MiB either way): where its local header sits
   * in the container and what the central directory declares. When the container is a file on
   * disk, the engine has a hashing thread read, decode, check and hash it, so the main thread
   * neither inflates nor copies it. `open` must still be given.
   */
  readonly zipMember?: ZipMemberLocation;
  /** Content of a file entry. Absent when the content cannot be had (see `problem`). */
  readonly open?: () => Promise<Readable>;
  /** Why the content is not available or not trustworthy (encrypted, unsupported method). */
  readonly problem?: CountersignError;
}

/** What the central directory says of a zip member: enough to find, decode and check its bytes. */
export interface ZipMemberLocation {
  /** Offset of the member's local header within the zip. */
  readonly localHeaderOffset: number;
  /** 0 stored, 8 deflated. */
  readonly method: 0 | 8;
  readonly compressedSize: number;
  readonly uncompressedSize: number;
  readonly crc32: number;
  /** For messages: `zip entry <name>`. */
  readonly context: string;
}

/** container -> entries. Registered by type so later formats (MSI, CAB, Mach-O bundles) plug in. */
export interface Unpacker {
  readonly id: `unpacker/${string}`;
  readonly version: number;
  /**
   * Declares that \`accepts\` never reads \`head\` (it goes by type, name, size, path or depth).
   * When every plugin of a scan says so, zip members that no plugin takes cross from the hashing
   * threads without their first bytes. Leave it out when in doubt: the head is then always there.
   */
  readonly acceptsWithoutHead?: boolean;
  accepts(node: NodeHead): boolean;
  /**
   * Yields the container's entries. Throwing (a typed error) midway records a coverage gap on the
   * container and keeps every entry already yielded.
   */
  unpack(node: ContentView, ctx: PluginContext): AsyncIterable<ArchiveEntry>;
}

/**
 * What one analyzer said about one content, so that the same bytes are not analysed twice
 * (vetting N+1 against N re-reads N's unchanged files). The key names the bytes (sha256), the
 * entry's own name (the JS analyzer picks its parser by extension) and the analyzer with its
 * version and configuration. Analyzers that read more of the path must not opt in.
 */
export interface AnalysisCacheKey {
  readonly sha256: string;
  readonly name: string;
  /** `analyzer/js@3:<cacheKey()>` */
  readonly analyzer: string;
}

export interface AnalysisCache {
  get(key: AnalysisCacheKey): AnalyzerResult | undefined | Promise<AnalyzerResult | undefined>;
  put(key: AnalysisCacheKey, result: AnalyzerResult): void | Promise<void>;
}
