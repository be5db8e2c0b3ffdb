/**
 * False positives on real code: runs the JavaScript analyzer and rules over every JS/TS file of a
 * node_modules tree (default: this project's) and prints the findings by severity, and every
 * threat finding above `medium` with its package, file, line and snippet, for a person to justify.
 * With `--scan`, the whole pipeline instead, as `countersign scan <dir> --deep` runs it: every file
 * typed, archives unpacked, every scan rule (npm, archive, binary...), not only the JS ones.
 *
 *   npx tsx eval/js-node-modules.ts [dir] [--all] [--scan]
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { basename, join, relative, resolve, sep } from 'node:path';
import '../src/analyzers/js/facts.js';
import { extractJsCapabilities } from '../src/analyzers/js/extract.js';
import type { Fact } from '../src/core/facts.js';
import type { Finding } from '../src/core/findings.js';
import type { NodePath } from '../src/core/node-path.js';
import type { ScanNode } from '../src/core/scan-result.js';
import { severityRank } from '../src/core/severity.js';
import { scan } from '../src/pipeline/scan.js';
import { evaluateRules } from '../src/rules/evaluate.js';
import { jsRules } from '../src/rules/js/index.js';

const args = process.argv.slice(2);
const root = args.find((arg) => !arg.startsWith('--')) ?? 'node_modules';
const showAll = args.includes('--all');
const isWholeScan = args.includes('--scan');
const MAX_BYTES = 16 * 1024 * 1024;
const rules = jsRules();

function* walk(dir: string): Generator<string> {
  let entries: import('node:fs').Dirent[];
  try {
    entries = readdirSync(dir, { withFileTypes: true });
  } catch {
    return;
  }
  for (const entry of entries) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) yield* walk(path);
    else if (entry.isFile() && /\.(c|m)?(j|t)sx?$/.test(entry.name)) yield path;
  }
}

/** `node_modules/@scope/name/lib/x.js` -> `@scope/name` (the innermost package). */
function packageOf(path: string): string {
  const parts = relative(root, path).split(sep);
  let name = '';
  for (let i = 0; i < parts.length; i++) {
    if (i === 0 || parts[i - 1] === 'node_modules')
      name = parts[i]!.startsWith('@') ? `${parts[i]}/${parts[i + 1]}` : parts[i]!;
  }
  return name;
}

const bySeverity = new Map<string, number>();
const byRule = new Map<string, { count: number; packages: Set<string> }>();
const serious: Array<{ pkg: string; finding: Finding }> = [];
let files = 0;
let fallbacks = 0;
function record(finding: Finding, path: string): void {
  bySeverity.set(finding.severity, (bySeverity.get(finding.severity) ?? 0) + 1);
  const entry = byRule.get(finding.ruleId) ?? { count: 0, packages: new Set<string>() };
  entry.count++;
  entry.packages.add(packageOf(path));
  byRule.set(finding.ruleId, entry);
  if (finding.identifies.startsWith('threat.') && severityRank(finding.severity) > severityRank('medium')) {
    serious.push({ pkg: packageOf(path), finding });
  }
}

if (isWholeScan) {
  // Node paths start with the folder's name; findings inside archives belong to the archive's file.
  const result = await scan([root], { digests: ['sha256'], nodeModules: 'analyse' });
  const onDisk = (path: string) =>
    join(resolve(root), path.split('!/')[0]!.slice(basename(resolve(root)).length + 1));
  files = result.stats.files;
  console.log(`scan: ${result.gaps.length} gap(s), ${result.findings.length} finding(s)`);
  for (const finding of result.findings)
    record({ ...finding, path: onDisk(finding.path) as NodePath }, onDisk(finding.path));
} else {
  for (const path of walk(root)) {
    if (statSync(path).size > MAX_BYTES) continue;
    files++;
    const source = readFileSync(path, 'utf8');
    const result = extractJsCapabilities(source, { filename: path });
    if (result.file.parsed === 'fallback') fallbacks++;
    const facts: Fact[] = result.facts.map((fact) => ({ kind: 'js.capability' as const, ...fact }));
    facts.push({ kind: 'js.file', ...result.file });
    const node: ScanNode = {
      path: path as NodePath,
      depth: 0,
      name: path,
      entryKind: 'file',
      size: source.length,
      type: 'javascript',
      flags: [],
      facts,
    };
    for (const finding of evaluateRules(rules, [node]).findings) record(finding, path);
  }
}

console.log(`${files} files under ${root} (${fallbacks} read by the fallback scan)`);
console.log(
  `findings by severity: ${[...bySeverity].map(([severity, count]) => `${severity} ${count}`).join(', ')}`,
);
for (const [ruleId, entry] of [...byRule].sort()) {
  if (!showAll && ruleId.startsWith('js.capability.')) continue;
  const packages = [...entry.packages].sort();
  console.log(
    `  ${ruleId.padEnd(40)} ${String(entry.count).padStart(5)} in ${packages.length} package(s): ${packages.slice(0, 8).join(', ')}${packages.length > 8 ? ', …' : ''}`,
  );
}
console.log(`\nthreat findings above medium: ${serious.length}`);
for (const { pkg, finding } of serious) {
  const first = finding.evidence[0];
  console.log(
    `  [${finding.severity}] ${finding.ruleId} ${pkg} ${relative(root, finding.path)}:${first?.line?.start ?? '?'}`,
  );
  console.log(`      ${finding.message.slice(0, 200)}`);
  for (const item of finding.evidence.slice(0, 3))
    console.log(`      ${item.role} ${item.line?.start}: ${item.snippet?.slice(0, 110)}`);
}
