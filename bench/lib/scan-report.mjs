// Reads a `countersign scan --json` report and checks it against what the generator made and what
// the reference tool hashed: does the scan report every node it should, with every digest?
// Defensive by design: the report schema may grow, and a bench must not crash on a new field.

function nodesOf(report) {
  if (Array.isArray(report?.nodes)) return report.nodes;
  if (Array.isArray(report?.report?.nodes)) return report.report.nodes;
  return undefined;
}

function countBy(items, key) {
  const counts = {};
  for (const item of items) {
    const value = key(item) ?? 'unknown';
    counts[value] = (counts[value] ?? 0) + 1;
  }
  return counts;
}

/** Digests from `openssl dgst -sha256` output lines: `SHA2-256(path)= hex`. */
export function parseOpensslDigests(text) {
  const digests = [];
  for (const line of text.split('\n')) {
    const match = /= ([0-9a-f]{64})$/.exec(line);
    if (match) digests.push(match[1]);
  }
  return digests;
}

/**
 * Summarises a scan report. `referenceDigests` are the sha256 of the artifact and every extracted
 * file: each must appear among the scan's node (or subject) digests, as often as it occurs.
 */
export function analyseReport(report, { expected, referenceDigests }) {
  const nodes = nodesOf(report);
  if (!nodes) return { isReadable: false, problem: 'no `nodes` array in the JSON report' };
  const byKind = countBy(nodes, (n) => n.entryKind);
  const files = nodes.filter((n) => (n.entryKind ?? 'file') === 'file');
  const inputs = nodes.filter((n) => n.depth === 0).length;
  const withDigest = (alg) => files.filter((n) => typeof n.digests?.[alg] === 'string').length;
  const scanDigests = new Map();
  const add = (hex) => scanDigests.set(hex, (scanDigests.get(hex) ?? 0) + 1);
  for (const node of files) if (node.digests?.sha256) add(node.digests.sha256);
  // The input may be reported as a subject rather than a node: count it once either way.
  for (const subject of report.subjects ?? []) {
    const hex = subject.digests?.sha256;
    if (hex && !files.some((n) => n.depth === 0 && n.digests?.sha256 === hex)) add(hex);
  }
  let missingDigests = 0;
  const remaining = new Map(scanDigests);
  for (const hex of referenceDigests) {
    const left = remaining.get(hex) ?? 0;
    if (left > 0) remaining.set(hex, left - 1);
    else missingDigests++;
  }
  const gaps = Array.isArray(report.gaps) ? report.gaps : [];
  return {
    isReadable: true,
    nodes: nodes.length,
    byKind,
    inputs,
    filesBelowInput: files.filter((n) => n.depth !== 0).length,
    expectedFilesBelowInput: expected.files,
    directories: byKind.directory ?? 0,
    expectedDirectories: expected.directories,
    fileBytes: files.reduce((sum, n) => sum + (typeof n.size === 'number' ? n.size : 0), 0),
    digestCoverage: {
      files: files.length,
      // What the scan says it computed per node (md5/sha1 are on demand since 2026-11-27).
      declared: Array.isArray(report.digestAlgorithms) ? report.digestAlgorithms : ['sha256', 'sha1', 'md5'],
      sha256: withDigest('sha256'),
      sha1: withDigest('sha1'),
      md5: withDigest('md5'),
      entropy: files.filter((n) => typeof n.entropy === 'number').length,
    },
    referenceDigests: referenceDigests.length,
    missingDigests,
    gaps: gaps.length,
    gapsByCode: countBy(gaps, (g) => g.code ?? g.reason ?? g.kind),
    typesOfFiles: countBy(files, (n) => n.type),
    stats: report.stats,
  };
}
