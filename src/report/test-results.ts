/**
 * ScanResult fixtures for report tests: shaped like real scans (a release zip holding npm
 * tarballs, an encrypted entry, a truncated archive, a symlink and a `../` entry), with digests,
 * entropy and line counts computed from real bytes so that every figure a report shows can be
 * checked against its source. The content imitating an attack is inert (hosts under `.invalid`).
 */
import { createHash } from 'node:crypto';
import type {} from '../analyzers/npm-manifest.js';
import type { CoverageGap } from '../core/coverage.js';
import type { DetectedType } from '../core/detected-type.js';
import type { Fact } from '../core/facts.js';
import type { Finding } from '../core/findings.js';
import { DEFAULT_LIMITS } from '../core/limits.js';
import { childPath, type NodePath, rootPath } from '../core/node-path.js';
import type { EntryKind } from '../core/plugin.js';
import {
  type Digests,
  type NodeFlag,
  SCAN_REPORT_SCHEMA_VERSION,
  type ScanNode,
  type ScanResult,
  type ScanSubject,
} from '../core/scan-result.js';

/** The values that differ from run to run; golden tests vary them to prove they are normalised. */
export interface VolatileFields {
  /** When the scan started (ISO 8601). */
  readonly startedAt: string;
  readonly durationMs: number;
  /** The directory holding the scanned inputs (a temp dir in tests and CI). */
  readonly inputDir: string;
}

export const FIXED_VOLATILE: VolatileFields = {
  startedAt: '2026-11-27T04:00:00.000Z',
  durationMs: 1234,
  inputDir: '/tmp/countersign-test-abc123',
};

interface NodeSpec {
  readonly type: DetectedType;
  /** The node's bytes: digests, size, entropy and lines come from them. */
  readonly content?: string | Uint8Array;
  /** Size without content (an encrypted entry whose bytes could not be read). */
  readonly size?: number;
  readonly entryKind?: EntryKind;
  readonly flags?: readonly NodeFlag[];
  readonly linkTarget?: string;
  readonly unpackedBy?: string;
  readonly facts?: readonly Fact[];
}

function digestsOf(bytes: Uint8Array): Digests {
  return {
    sha256: createHash('sha256').update(bytes).digest('hex'),
    sha1: createHash('sha1').update(bytes).digest('hex'),
    md5: createHash('md5').update(bytes).digest('hex'),
  };
}

function entropyOf(bytes: Uint8Array): number {
  if (bytes.length === 0) return 0;
  const counts = new Array<number>(256).fill(0);
  for (const byte of bytes) counts[byte] = (counts[byte] ?? 0) + 1;
  let entropy = 0;
  for (const count of counts) {
    if (count === 0) continue;
    const p = count / bytes.length;
    entropy -= p * Math.log2(p);
  }
  return Math.round(entropy * 1000) / 1000;
}

const TEXT_FIXTURE_TYPES: ReadonlySet<DetectedType> = new Set(['javascript', 'json', 'text', 'shell']);

/** Builds a tree in pre-order, the order the engine reports it in. */
class TreeBuilder {
  readonly nodes: ScanNode[] = [];

  add(parent: ScanNode | undefined, name: string, spec: NodeSpec): ScanNode {
    const bytes =
      spec.content === undefined
        ? undefined
        : typeof spec.content === 'string'
          ? new TextEncoder().encode(spec.content)
          : spec.content;
    const path: NodePath = parent ? childPath(parent.path, name) : rootPath(name);
    const node: ScanNode = {
      path,
      ...(parent ? { parent: parent.path } : {}),
      depth: parent ? parent.depth + 1 : 0,
      name,
      entryKind: spec.entryKind ?? 'file',
      size: bytes?.length ?? spec.size ?? 0,
      ...(bytes ? { digests: digestsOf(bytes), entropy: entropyOf(bytes) } : {}),
      type: spec.type,
      ...(bytes && TEXT_FIXTURE_TYPES.has(spec.type)
        ? { lines: new TextDecoder().decode(bytes).split('\n').length }
        : {}),
      flags: spec.flags ?? [],
      ...(spec.linkTarget === undefined ? {} : { linkTarget: spec.linkTarget }),
      mtime: '2026-03-29T10:00:00.000Z',
      ...(spec.unpackedBy === undefined ? {} : { unpackedBy: spec.unpackedBy }),
      facts: spec.facts ?? [],
    };
    this.nodes.push(node);
    return node;
  }
}

/** Stand-in bytes for a container: reports never re-read them, only their digests and size. */
function containerBytes(label: string, size: number): Uint8Array {
  const bytes = new Uint8Array(size);
  const seed = createHash('sha256').update(label).digest();
  for (let i = 0; i < size; i++) bytes[i] = (seed[i % seed.length] ?? 0) ^ ((i * 31) % 251);
  return bytes;
}

function manifest(name: string, version: string, extra: Record<string, unknown> = {}): string {
  return `${JSON.stringify({ name, version, ...extra }, null, 2)}\n`;
}

function statsOf(nodes: readonly ScanNode[], gaps: number, durationMs: number): ScanResult['stats'] {
  const files = nodes.filter((node) => node.entryKind === 'file');
  return {
    nodes: nodes.length,
    files: files.length,
    containers: nodes.filter((node) => node.unpackedBy !== undefined).length,
    bytes: files.reduce((sum, node) => sum + node.size, 0),
    gaps,
    durationMs,
  };
}

function subjectOf(root: ScanNode, volatile: VolatileFields): ScanSubject {
  return {
    path: `${volatile.inputDir}/${root.name}`,
    name: root.name,
    size: root.size,
    digests: root.digests!,
    type: root.type,
  };
}

function envelope(
  volatile: VolatileFields,
  nodes: readonly ScanNode[],
  gaps: readonly CoverageGap[],
  findings: readonly Finding[],
  subjects = nodes.filter((node) => node.depth === 0).map((root) => subjectOf(root, volatile)),
): ScanResult {
  return {
    schemaVersion: SCAN_REPORT_SCHEMA_VERSION,
    tool: { name: 'countersign', version: '0.1.0' },
    startedAt: volatile.startedAt,
    finishedAt: new Date(Date.parse(volatile.startedAt) + volatile.durationMs).toISOString(),
    limits: DEFAULT_LIMITS,
    digestAlgorithms: ['sha256', 'sha1', 'md5'],
    subjects,
    nodes,
    gaps,
    findings,
    stats: statsOf(nodes, gaps.length, volatile.durationMs),
  };
}

const RELEASE = 'exampledesk-1.0.0.zip';

/**
 * A vendor release zip with an npm tarball inside (plus a scoped one), three coverage gaps
 * (encrypted entry, truncated nested archive, symlink not followed) and a `../` entry.
 */
export function releaseZipResult(
  options: { volatile?: VolatileFields; withFinding?: boolean } = {},
): ScanResult {
  const volatile = options.volatile ?? FIXED_VOLATILE;
  const tree = new TreeBuilder();
  const zip = tree.add(undefined, RELEASE, {
    type: 'zip',
    content: containerBytes(RELEASE, 3072),
    unpackedBy: 'unpacker/zip',
  });
  tree.add(zip, 'README.txt', { type: 'text', content: 'ExampleDesk 1.0.0\n\nRun app/main.js.\n' });
  tree.add(zip, 'app/main.js', {
    type: 'javascript',
    content: "import { pad } from 'left-pad';\nconsole.log(pad('ExampleDesk', 20));\n",
  });
  tree.add(zip, 'app/config.json', {
    type: 'json',
    content: '{\n  "update": "https://updates.example.invalid/"\n}\n',
  });
  tree.add(zip, 'app/current', {
    type: 'symlink',
    entryKind: 'symlink',
    linkTarget: '../../etc',
    flags: ['not-followed'],
  });
  tree.add(zip, '../../etc/cron.d/exampledesk', {
    type: 'shell',
    content:
      '# inert fixture: a cron line that would fetch from a host that cannot exist\n' +
      '* * * * * root true https://c2.example.invalid/ping\n',
    flags: ['path-traversal'],
  });
  tree.add(zip, 'data/secret.bin', { type: 'binary', size: 4096, flags: ['encrypted'] });
  const tgz = tree.add(zip, 'vendor/left-pad-1.3.0.tgz', {
    type: 'gzip',
    content: containerBytes('left-pad-1.3.0.tgz', 1536),
    unpackedBy: 'unpacker/npm-tgz',
  });
  tree.add(tgz, 'package/package.json', {
    type: 'json',
    content: manifest('left-pad', '1.3.0', { license: 'WTFPL', main: 'index.js' }),
    facts: [
      { kind: 'npm.manifest', name: 'left-pad', version: '1.3.0', license: 'WTFPL', lifecycleScripts: {} },
    ],
  });
  tree.add(tgz, 'package/index.js', {
    type: 'javascript',
    content: "export function pad(s, n) {\n  return String(s).padStart(n, ' ');\n}\n",
  });
  const scoped = tree.add(zip, 'vendor/example-telemetry-2.0.0-beta.1.tgz', {
    type: 'gzip',
    content: containerBytes('example-telemetry-2.0.0-beta.1.tgz', 1024),
    unpackedBy: 'unpacker/npm-tgz',
  });
  tree.add(scoped, 'package/package.json', {
    type: 'json',
    content: manifest('@example/telemetry', '2.0.0-beta.1', {
      license: '(MIT OR Apache-2.0)',
      scripts: { postinstall: 'node setup.js' },
    }),
    facts: [
      {
        kind: 'npm.manifest',
        name: '@example/telemetry',
        version: '2.0.0-beta.1',
        license: '(MIT OR Apache-2.0)',
        lifecycleScripts: { postinstall: 'node setup.js' },
      },
    ],
  });
  tree.add(scoped, 'package/setup.js', {
    type: 'javascript',
    content: "// inert fixture\nfetch('https://telemetry.example.invalid/hello');\n",
  });
  tree.add(zip, 'vendor/broken-0.0.1.tgz', {
    type: 'gzip',
    content: containerBytes('broken-0.0.1.tgz', 512),
  });

  const gaps: CoverageGap[] = [
    {
      node: `${RELEASE}!/data/secret.bin` as NodePath,
      code: 'E_ARCHIVE_ENCRYPTED',
      stage: 'unpack',
      plugin: 'unpacker/zip',
      message: 'entry is encrypted (ZipCrypto); its content was not read',
    },
    {
      node: `${RELEASE}!/app/current` as NodePath,
      code: 'E_ARTIFACT_LINK_NOT_FOLLOWED',
      stage: 'read',
      message: 'symlink to ../../etc recorded, not followed',
    },
    {
      node: `${RELEASE}!/vendor/broken-0.0.1.tgz` as NodePath,
      code: 'E_ARCHIVE_TRUNCATED',
      stage: 'unpack',
      plugin: 'unpacker/npm-tgz',
      message: `unexpected end of gzip stream (scratch ${volatile.inputDir}/scratch/7)`,
      details: { offset: 512, expected: 2048 },
    },
  ];
  const findings: Finding[] = options.withFinding
    ? [
        {
          ruleId: 'npm.install-script.present',
          ruleVersion: 1,
          identifies: 'capability.install.script',
          title: 'Package runs a script at install',
          severity: 'medium',
          confidence: 'high',
          path: `${RELEASE}!/vendor/example-telemetry-2.0.0-beta.1.tgz!/package/package.json` as NodePath,
          message: '@example/telemetry@2.0.0-beta.1 runs `node setup.js` on postinstall',
          evidence: [
            {
              role: 'primary',
              node: `${RELEASE}!/vendor/example-telemetry-2.0.0-beta.1.tgz!/package/package.json` as NodePath,
              line: { start: 6 },
              snippet: '"postinstall": "node setup.js"',
            },
          ],
          references: ['https://docs.npmjs.com/cli/v10/using-npm/scripts'],
          fingerprint: createHash('sha256').update('npm.install-script.present:telemetry').digest('hex'),
        },
      ]
    : [];
  return envelope(volatile, tree.nodes, gaps, findings);
}

/** One plain file, nothing skipped: the shortest report. */
export function singleFileResult(options: { volatile?: VolatileFields } = {}): ScanResult {
  const tree = new TreeBuilder();
  tree.add(undefined, 'install.sh', { type: 'shell', content: '#!/bin/sh\necho hello\n' });
  return envelope(options.volatile ?? FIXED_VOLATILE, tree.nodes, [], []);
}

/** Two inputs in one scan, the second a tarball of one file. */
export function twoSubjectsResult(options: { volatile?: VolatileFields } = {}): ScanResult {
  const tree = new TreeBuilder();
  tree.add(undefined, 'a.js', { type: 'javascript', content: 'console.log(1);\n' });
  const tar = tree.add(undefined, 'b.tar', {
    type: 'tar',
    content: containerBytes('b.tar', 2048),
    unpackedBy: 'unpacker/tar',
  });
  tree.add(tar, 'b/readme.md', { type: 'text', content: '# b\n' });
  return envelope(options.volatile ?? FIXED_VOLATILE, tree.nodes, [], []);
}

/**
 * A folder given as input, as the engine reports one: no node of its own, its files are depth-0
 * nodes named `folder/…`, and its digest is taken over its files' digests and relative paths.
 */
export function folderResult(
  options: { volatile?: VolatileFields; withFileInput?: boolean } = {},
): ScanResult {
  const volatile = options.volatile ?? FIXED_VOLATILE;
  const tree = new TreeBuilder();
  const members = [
    tree.add(undefined, 'app/main.js', { type: 'javascript', content: "require('left-pad');\n" }),
    tree.add(undefined, 'app/node_modules/left-pad/package.json', {
      type: 'json',
      content: manifest('left-pad', '1.3.0', { license: 'WTFPL' }),
      facts: [
        { kind: 'npm.manifest', name: 'left-pad', version: '1.3.0', license: 'WTFPL', lifecycleScripts: {} },
      ],
    }),
  ];
  const listing = members
    .map((node) => `${node.digests!.sha256}  ${node.path.slice('app/'.length)}\n`)
    .sort()
    .join('');
  const subjects: ScanSubject[] = [
    {
      path: `${volatile.inputDir}/app`,
      name: 'app',
      size: members.reduce((sum, node) => sum + node.size, 0),
      digests: { sha256: createHash('sha256').update(listing).digest('hex') },
      type: 'directory',
    },
  ];
  if (options.withFileInput) {
    const file = tree.add(undefined, 'setup.sh', { type: 'shell', content: '#!/bin/sh\nexit 0\n' });
    subjects.push(subjectOf(file, volatile));
  }
  return envelope(volatile, tree.nodes, [], [], subjects);
}

/** A zip whose entry names carry terminal escapes and bidi overrides (Trojan Source style). */
export function hostileNamesResult(): ScanResult {
  const tree = new TreeBuilder();
  const zip = tree.add(undefined, 'names.zip', {
    type: 'zip',
    content: containerBytes('names.zip', 256),
    unpackedBy: 'unpacker/zip',
  });
  tree.add(zip, 'ok\u001b[2J\u001b[31mFAKE.txt', { type: 'text', content: 'x\n' });
  tree.add(zip, 'invoice\u202Efdp.exe', { type: 'binary', content: 'MZ' });
  tree.add(zip, 'line\nbreak.txt', { type: 'text', content: 'y\n' });
  return envelope(FIXED_VOLATILE, tree.nodes, [], []);
}

/**
 * Replaces what changes from run to run (start and end times, the duration, the inputs' directory)
 * with placeholders, so reports can be compared with golden files.
 */
export function normaliseVolatile(text: string, result: ScanResult): string {
  const inputDirs = new Set(
    result.subjects
      .map((subject) => subject.path.slice(0, Math.max(0, subject.path.lastIndexOf('/'))))
      .filter((dir) => dir !== ''),
  );
  let out = text;
  for (const [from, to] of [
    [result.startedAt, '<started-at>'],
    [result.finishedAt, '<finished-at>'],
    ...[...inputDirs].map((dir) => [dir, '<input-dir>'] as const),
  ] as const) {
    out = out.split(from).join(to);
  }
  return out
    .replace(/"durationMs": [0-9.e+-]+/g, '"durationMs": "<duration>"')
    .replace(/took [0-9.]+ (ms|s)|took \d+ min \d+ s/g, 'took <duration>');
}
