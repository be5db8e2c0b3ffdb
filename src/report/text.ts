/**
 * The text report, for people. Summary first: what was scanned (digests to compare against the
 * vendor's), and, before anything else about the contents, what was NOT looked at: a reader must
 * never mistake a partial scan for a clean one. Then counts, types, flags and findings; the full
 * tree only on request. Every string that came out of an artifact is escaped before printing.
 */
import type { CoverageGap } from '../core/coverage.js';
import type { Finding } from '../core/findings.js';
import type { NodePath } from '../core/node-path.js';
import type { NodeFlag, ScanNode, ScanResult, ScanSubject } from '../core/scan-result.js';
import { SEVERITIES, type Severity } from '../core/severity.js';
import { formatBytes, formatDuration, painter, plural, printable, type Style } from './text-format.js';

export interface TextReportOptions {
  /** Print the whole artifact tree after the summary. */
  readonly tree?: boolean;
  /** ANSI colour (for a TTY). */
  readonly color?: boolean;
}

type Paint = (text: string, ...styles: Style[]) => string;

/** Beyond this many gaps (a limit hit can make thousands), the rest is counted, not listed. */
const MAX_LISTED_GAPS = 50;
/** Nodes listed per flag in the summary. */
const MAX_LISTED_PER_FLAG = 10;
const SHORT_SHA256 = 12;
const LABEL_WIDTH = 10;

function label(text: string): string {
  return text.padEnd(LABEL_WIDTH);
}

function countBy<T>(items: readonly T[], key: (item: T) => string): Map<string, number> {
  const counts = new Map<string, number>();
  for (const item of items) counts.set(key(item), (counts.get(key(item)) ?? 0) + 1);
  return counts;
}

/** `gzip 3, javascript 3, json 2`: most frequent first, then by name, so output is stable. */
function breakdown(counts: Map<string, number>): string {
  return [...counts]
    .sort(([a, x], [b, y]) => y - x || (a < b ? -1 : a > b ? 1 : 0))
    .map(([name, count]) => `${name} ${count}`)
    .join(', ');
}

function headerLines(result: ScanResult, paint: Paint): string[] {
  return [
    paint(`Countersign ${printable(result.tool.version)} scan report`, 'bold'),
    `Scanned ${plural(result.subjects.length, 'input')} at ${printable(result.startedAt)}, took ${formatDuration(result.stats.durationMs)}`,
  ];
}

function subjectLines(subject: ScanSubject, paint: Paint): string[] {
  const lines = [
    `${label('Input')}${paint(printable(subject.name), 'bold')}  ${subject.type}, ${formatBytes(subject.size)} (${subject.size} bytes)`,
    subject.type === 'directory'
      ? `${label('')}sha256 ${subject.digests.sha256} (over its files' paths and digests)`
      : `${label('')}sha256 ${subject.digests.sha256}`,
  ];
  if (subject.digests.sha1) lines.push(`${label('')}sha1   ${subject.digests.sha1}`);
  if (subject.digests.md5) lines.push(`${label('')}md5    ${subject.digests.md5}`);
  if (subject.path !== subject.name) lines.push(`${label('')}from   ${printable(subject.path)}`);
  return lines;
}

function gapLines(gaps: readonly CoverageGap[], paint: Paint): string[] {
  if (gaps.length === 0) return [paint('Coverage  complete: every part was looked at', 'green')];
  const parts = new Set(gaps.map((gap) => gap.node)).size;
  const byCode = breakdown(countBy(gaps, (gap) => gap.code));
  const verb = parts === 1 ? 'was' : 'were';
  const lines = [paint(`!! ${plural(parts, 'part')} ${verb} not looked at (${byCode}):`, 'bold', 'red')];
  // Gaps with the same cause (a limit hit in a bomb makes hundreds) are listed once, with their nodes.
  const groups = new Map<string, { gap: CoverageGap; nodes: string[] }>();
  for (const gap of gaps) {
    const key = JSON.stringify([gap.code, gap.message, gap.plugin, gap.stage]);
    const group = groups.get(key) ?? { gap, nodes: [] };
    group.nodes.push(gap.node);
    groups.set(key, group);
  }
  let listed = 0;
  for (const { gap, nodes } of groups.values()) {
    if (listed >= MAX_LISTED_GAPS) break;
    const origin = gap.plugin ? `${printable(gap.plugin)}, ${gap.stage}` : gap.stage;
    lines.push(`   ${paint(gap.code, 'red')}  ${printable(gap.message)} (${origin})`);
    for (const node of nodes.slice(0, MAX_LISTED_GAPS - listed)) lines.push(`      ${printable(node)}`);
    listed += Math.min(nodes.length, MAX_LISTED_GAPS - listed);
  }
  if (gaps.length > listed) {
    lines.push(`   … and ${gaps.length - listed} more (all are in the JSON report)`);
  }
  return lines;
}

function contentLines(result: ScanResult): string[] {
  const { stats } = result;
  const types = breakdown(countBy(result.nodes, (node) => node.type));
  return [
    `${label('Contents')}${plural(stats.nodes, 'node')}: ${plural(stats.files, 'file')}, ${plural(stats.containers, 'container')} unpacked, ${formatBytes(stats.bytes)} (${stats.bytes} bytes)`,
    `${label('Types')}${types || 'none'}`,
  ];
}

function flagLines(nodes: readonly ScanNode[], paint: Paint): string[] {
  const byFlag = new Map<NodeFlag, NodePath[]>();
  for (const node of nodes) {
    for (const flag of node.flags) {
      const paths = byFlag.get(flag) ?? [];
      paths.push(node.path);
      byFlag.set(flag, paths);
    }
  }
  if (byFlag.size === 0) return [`${label('Flags')}none`];
  const lines = [
    `${label('Flags')}${breakdown(new Map([...byFlag].map(([flag, paths]) => [flag, paths.length])))}`,
  ];
  const flagWidth = Math.max(...[...byFlag.keys()].map((flag) => flag.length));
  for (const [flag, paths] of byFlag) {
    for (const path of paths.slice(0, MAX_LISTED_PER_FLAG)) {
      lines.push(`${label('')}${paint(flag.padEnd(flagWidth), 'yellow')}  ${printable(path)}`);
    }
    if (paths.length > MAX_LISTED_PER_FLAG) {
      lines.push(`${label('')}${flag.padEnd(flagWidth)}  … and ${paths.length - MAX_LISTED_PER_FLAG} more`);
    }
  }
  return lines;
}

const SEVERITY_STYLE: Record<Severity, Style[]> = {
  info: ['dim'],
  low: ['cyan'],
  medium: ['yellow'],
  high: ['red'],
  critical: ['bold', 'red'],
};

function findingLines(findings: readonly Finding[], paint: Paint): string[] {
  if (findings.length === 0) return [`${label('Findings')}none`];
  const sorted = [...findings].sort(
    (a, b) => SEVERITIES.indexOf(b.severity) - SEVERITIES.indexOf(a.severity),
  );
  const counts = SEVERITIES.toReversed()
    .map((severity) => [severity, findings.filter((f) => f.severity === severity).length] as const)
    .filter(([, count]) => count > 0)
    .map(([severity, count]) => `${count} ${severity}`)
    .join(', ');
  const lines = [`${label('Findings')}${findings.length} (${counts})`];
  for (const finding of sorted) {
    const severity = paint(finding.severity.toUpperCase().padEnd(8), ...SEVERITY_STYLE[finding.severity]);
    lines.push(`${label('')}${severity} ${printable(finding.ruleId)}  ${printable(finding.path)}`);
    lines.push(`${label('')}         ${printable(finding.message)}`);
  }
  return lines;
}

/** Widest name column before columns stop aligning (long names then push the rest right). */
const MAX_NAME_COLUMN = 60;

function treeLines(result: ScanResult, paint: Paint): string[] {
  const gapCodes = new Map<string, string[]>();
  for (const gap of result.gaps) {
    const codes = gapCodes.get(gap.node) ?? [];
    codes.push(gap.code);
    gapCodes.set(gap.node, codes);
  }
  const cells = result.nodes.map((node) => ({
    node,
    // Inputs show their path (a folder's files are `folder/sub/file`); entries their stored name.
    name: `${'  '.repeat(node.depth)}${printable(node.depth === 0 ? node.path : node.name)}`,
  }));
  // A loop, not Math.max(...array): a spread of 200 000 arguments overflows the stack.
  let nameWidth = 0;
  let typeWidth = 0;
  for (const cell of cells) {
    nameWidth = Math.max(nameWidth, Math.min(MAX_NAME_COLUMN, cell.name.length));
    typeWidth = Math.max(typeWidth, cell.node.type.length);
  }
  const lines = [paint('Tree', 'bold')];
  for (const { node, name } of cells) {
    const size = node.entryKind === 'file' ? formatBytes(node.size) : '';
    const sha = node.digests ? node.digests.sha256.slice(0, SHORT_SHA256) : '-'.padEnd(SHORT_SHA256);
    let line = `${name.padEnd(nameWidth)}  ${size.padStart(10)}  ${node.type.padEnd(typeWidth)}  ${paint(sha, 'dim')}`;
    if (node.linkTarget !== undefined) line += `  -> ${printable(node.linkTarget)}`;
    if (node.flags.length > 0) line += `  ${paint(`[${node.flags.join(', ')}]`, 'yellow')}`;
    const codes = gapCodes.get(node.path);
    if (codes) line += `  ${paint(`!! ${codes.join(', ')}`, 'red')}`;
    lines.push(line.trimEnd());
  }
  return lines;
}

/** Renders the text report; ends with a newline. */
export function renderText(result: ScanResult, options: TextReportOptions = {}): string {
  const paint = painter(options.color ?? false);
  const sections: string[][] = [
    headerLines(result, paint),
    ...result.subjects.map((subject) => subjectLines(subject, paint)),
    gapLines(result.gaps, paint),
    [...contentLines(result), ...flagLines(result.nodes, paint), ...findingLines(result.findings, paint)],
  ];
  if (options.tree) sections.push(treeLines(result, paint));
  return `${sections.map((lines) => lines.join('\n')).join('\n\n')}\n`;
}
