import type { Evidence } from '../core/findings.js';
import type { NodeFlag, ScanNode } from '../core/scan-result.js';
import type { NodeRule } from './evaluate.js';

function flagged(node: ScanNode, flag: NodeFlag): Evidence[] {
  return node.flags.includes(flag)
    ? [{ role: 'primary', node: node.path, snippet: JSON.stringify(node.name) }]
    : [];
}

/** An entry name that climbs out of its container: extracted naively, it writes anywhere (zip-slip). */
export const pathTraversalRule: NodeRule = {
  id: 'archive.entry.path-traversal',
  version: 1,
  title: 'Archive entry name escapes its folder',
  identifies: 'threat.archive.path-traversal',
  severity: 'high',
  confidence: 'high',
  scope: 'node',
  rationale:
    'Legitimate release archives never store names with `..` segments, absolute paths or drive letters. ' +
    'Extractors that trust the name write outside the target folder (zip-slip), e.g. over a startup script.',
  remediation:
    'Do not extract this archive with a tool that follows stored names; ask the supplier for a clean build.',
  references: [
    'https://security.snyk.io/research/zip-slip-vulnerability',
    'https://cwe.mitre.org/data/definitions/22.html',
  ],
  *evaluate({ node }) {
    for (const flag of ['path-traversal', 'absolute-path', 'drive-letter'] as const) {
      const evidence = flagged(node, flag);
      if (evidence.length > 0) {
        const what =
          flag === 'path-traversal'
            ? 'a `..` segment'
            : flag === 'absolute-path'
              ? 'an absolute path'
              : 'a drive letter';
        yield {
          path: node.path,
          message: `entry name ${JSON.stringify(node.name)} contains ${what}`,
          evidence,
        };
        return;
      }
    }
  },
};

/** Two entries with one name: tools disagree on which one wins, which hides one of them. */
export const duplicateNameRule: NodeRule = {
  id: 'archive.entry.duplicate-name',
  version: 1,
  title: 'Two archive entries share one name',
  identifies: 'threat.archive.ambiguous-content',
  severity: 'medium',
  confidence: 'medium',
  scope: 'node',
  rationale:
    'When a container holds two entries with the same name, one extractor shows the first and another the last: ' +
    'a reviewer and an installer can see different files. Release tooling does not produce this by accident.',
  references: ['https://github.com/google/osv-scalibr'],
  *evaluate({ node }) {
    const evidence = flagged(node, 'duplicate-name');
    if (evidence.length > 0) {
      yield {
        path: node.path,
        message: `another entry of ${node.parent ?? 'the input'} is also named ${JSON.stringify(node.name)}`,
        evidence,
      };
    }
  },
};

/** A link inside an archive that points outside it: extracted, it reads or writes elsewhere. */
export const linkOutsideRule: NodeRule = {
  id: 'archive.link.points-outside',
  version: 1,
  title: 'Archive link points outside the archive',
  identifies: 'threat.archive.path-traversal',
  severity: 'high',
  confidence: 'high',
  scope: 'node',
  rationale:
    'A symlink or hard link whose target is absolute or climbs with `..` lets a later entry (or the extracted app) ' +
    'write to or read from anywhere on the machine, e.g. `~/.ssh` or `/etc`.',
  references: ['https://cwe.mitre.org/data/definitions/59.html'],
  *evaluate({ node }) {
    if (node.entryKind !== 'symlink' && node.entryKind !== 'hardlink') return;
    if (node.depth === 0 || node.linkTarget === undefined) return; // links in scanned folders are the user's own
    const target = node.linkTarget.replaceAll('\\', '/');
    const entryDir = node.name.replaceAll('\\', '/').split('/').slice(0, -1);
    // Resolve the target against the link's own folder (hard links are relative to the archive root).
    const parts =
      target.startsWith('/') || /^[a-zA-Z]:/.test(target)
        ? null
        : [...(node.entryKind === 'symlink' ? entryDir : []), ...target.split('/')];
    let depth = 0;
    let escapes = parts === null;
    for (const part of parts ?? []) {
      if (part === '..') depth--;
      else if (part !== '.' && part !== '') depth++;
      if (depth < 0) escapes = true;
    }
    if (escapes) {
      yield {
        path: node.path,
        message: `${node.entryKind} ${JSON.stringify(node.name)} points to ${JSON.stringify(node.linkTarget)}, outside the archive`,
        evidence: [{ role: 'primary', node: node.path, snippet: `${node.name} -> ${node.linkTarget}` }],
      };
    }
  },
};

export const archiveRules: readonly NodeRule[] = [pathTraversalRule, duplicateNameRule, linkOutsideRule];
