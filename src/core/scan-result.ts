import type { CoverageGap } from './coverage.js';
import type { DetectedType } from './detected-type.js';
import type { Fact } from './facts.js';
import type { Finding } from './findings.js';
import type { Limits } from './limits.js';
import type { NodePath } from './node-path.js';
import type { EntryKind } from './plugin.js';

/** Bumped on any incompatible change of the JSON report; see schemas/scan-report.schema.json. */
export const SCAN_REPORT_SCHEMA_VERSION = '1.0.0';

export const DIGEST_ALGORITHMS = ['sha256', 'sha1', 'md5'] as const;
export type DigestAlgorithm = (typeof DIGEST_ALGORITHMS)[number];

export interface Digests {
  readonly sha256: string;
  readonly sha1?: string;
  readonly md5?: string;
}

/** Neutral observations about how an entry was stored; rules judge them later. */
export const NODE_FLAGS = [
  'path-traversal', // the stored name climbs out of its container (`../`)
  'absolute-path', // the stored name is absolute (`/etc/x`)
  'drive-letter', // the stored name carries a Windows drive (`C:\x`)
  'duplicate-name', // another entry of the same container has the same name
  'encrypted', // the entry's content is encrypted
  'not-followed', // a link: recorded, never followed
] as const;
export type NodeFlag = (typeof NODE_FLAGS)[number];

export interface ScanNode {
  readonly path: NodePath;
  readonly parent?: NodePath;
  readonly depth: number;
  /** The entry's name as stored in its container (the input's file name at depth 0). */
  readonly name: string;
  readonly entryKind: EntryKind;
  readonly size: number;
  readonly digests?: Digests;
  readonly type: DetectedType;
  /** Shannon entropy of the content in bits per byte (0..8). */
  readonly entropy?: number;
  /** Line count, for text content. */
  readonly lines?: number;
  readonly flags: readonly NodeFlag[];
  readonly linkTarget?: string;
  readonly mtime?: string;
  /** The unpacker that produced this node's children, when it was a container. */
  readonly unpackedBy?: string;
  readonly facts: readonly Fact[];
}

export interface ScanSubject {
  readonly path: string;
  readonly name: string;
  readonly size: number;
  readonly digests: Digests;
  readonly type: DetectedType;
}

export interface ScanStats {
  readonly nodes: number;
  readonly files: number;
  readonly containers: number;
  /** Content bytes read and hashed (entries refused by a limit are not counted). */
  readonly bytes: number;
  readonly gaps: number;
  readonly durationMs: number;
}

export interface ScanResult {
  readonly schemaVersion: string;
  readonly tool: { readonly name: 'countersign'; readonly version: string };
  readonly startedAt: string;
  readonly finishedAt: string;
  readonly limits: Limits;
  readonly digestAlgorithms: readonly DigestAlgorithm[];
  readonly subjects: readonly ScanSubject[];
  /** The artifact tree in pre-order: each node after its parent. */
  readonly nodes: readonly ScanNode[];
  readonly gaps: readonly CoverageGap[];
  readonly findings: readonly Finding[];
  readonly stats: ScanStats;
}
