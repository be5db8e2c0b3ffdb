/**
 * Recall and false positives of the JavaScript rules on GuardDog's annotated npm samples.
 *
 *   npx tsx eval/guarddog/run.ts [dir]
 *
 * dir defaults to the legacy semgrep test samples under /work/shared/data (override with an
 * argument or COUNTERSIGN_GUARDDOG_DIR). Each `npm-<category>.js` marks lines with
 * `// ruleid: <category>` (the next line must be flagged by one of the rules mapped to the
 * category) and `// ok: <category>` (the next line must not be).
 *
 * "Flagged" means a finding of a mapped rule has primary evidence on the line. For a `ruleid`
 * line that opens a multi-line construct (semgrep reports a match at the line where it starts),
 * the construct's extent counts: a statement's full span, or the condition of an `if`/`while`.
 * `ok` lines are judged on the exact line only.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseSync } from 'oxc-parser';
import '../../src/analyzers/js/facts.js';
import { extractJsCapabilities } from '../../src/analyzers/js/extract.js';
import { buildLineIndex } from '../../src/analyzers/js/line-index.js';
import type { Fact } from '../../src/core/facts.js';
import type { NodePath } from '../../src/core/node-path.js';
import type { ScanNode } from '../../src/core/scan-result.js';
import { evaluateRules } from '../../src/rules/evaluate.js';
import { jsRules } from '../../src/rules/js/index.js';

const DEFAULT_DIR = '/work/shared/data/guarddog/legacy-semgrep-5ca1d2e/tests/analyzer/sourcecode';
const dir = process.argv[2] ?? process.env.COUNTERSIGN_GUARDDOG_DIR ?? DEFAULT_DIR;

/** GuardDog category -> the Countersign rules that identify the same thing. */
const CATEGORY_RULES: Record<string, readonly string[]> = {
  'npm-api-obfuscation': ['js.threat.api-obfuscation'],
  'npm-dll-hijacking': ['js.threat.dll-hijacking'],
  'npm-exec-base64': ['js.threat.decode-then-execute'],
  'npm-exfiltrate-sensitive-data': ['js.threat.exfiltration'],
  'npm-obfuscation': ['js.threat.obfuscation'],
  'npm-serialize-environment': ['js.threat.environment-serialization'],
  'npm-silent-process-execution': ['js.threat.silent-process'],
  'npm-steganography': ['js.threat.decode-then-execute'],
};

interface Tally {
  ruleid: number;
  hit: number;
  ok: number;
  falsePositive: number;
  misses: string[];
  falsePositives: string[];
}

interface Span {
  readonly type: string;
  readonly start: number;
  readonly end: number;
  readonly [key: string]: unknown;
}

const HEADER_ONLY = new Set([
  'FunctionDeclaration',
  'FunctionExpression',
  'ArrowFunctionExpression',
  'ClassDeclaration',
  'BlockStatement',
  'Program',
]);

/** The last line of the construct(s) starting on `line`: statement spans, `if`/`while` conditions. */
function constructEnd(program: Span, source: string, line: number): number {
  const lines = buildLineIndex(source);
  let last = line;
  const stack: unknown[] = [program];
  while (stack.length > 0) {
    const value = stack.pop();
    if (Array.isArray(value)) {
      stack.push(...value);
      continue;
    }
    if (typeof value !== 'object' || value === null) continue;
    const node = value as Span;
    if (typeof node.type === 'string' && typeof node.start === 'number') {
      const startLine = lines.position(node.start).line;
      if (startLine === line && !HEADER_ONLY.has(node.type)) {
        const test = node.test as Span | undefined;
        const hasBody = 'body' in node || 'consequent' in node;
        const end = hasBody ? (test?.end ?? node.start) : node.end;
        last = Math.max(last, lines.position(end).line);
      }
      if (startLine > line) continue;
    }
    for (const key of Object.keys(node)) if (typeof node[key] === 'object') stack.push(node[key]);
  }
  return last;
}

const totals: Record<string, Tally> = {};
const files = readdirSync(dir).filter((name) => /^npm-.*\.js$/.test(name));
for (const name of files) {
  const category = name.replace(/\.js$/, '');
  const wanted = CATEGORY_RULES[category];
  if (!wanted) {
    console.log(`(no mapping for ${category}: skipped)`);
    continue;
  }
  const source = readFileSync(join(dir, name), 'utf8');
  const result = extractJsCapabilities(source, { filename: name });
  const facts: Fact[] = result.facts.map((fact) => ({ kind: 'js.capability' as const, ...fact }));
  facts.push({ kind: 'js.file', ...result.file });
  const node: ScanNode = {
    path: name as NodePath,
    depth: 0,
    name,
    entryKind: 'file',
    size: source.length,
    type: 'javascript',
    flags: [],
    facts,
  };
  const { findings } = evaluateRules(jsRules(), [node]);
  const flagged = new Set<number>();
  for (const finding of findings) {
    if (!wanted.includes(finding.ruleId)) continue;
    for (const item of finding.evidence)
      if (item.role === 'primary' && item.line) flagged.add(item.line.start);
  }
  const program = parseSync(name, source, { sourceType: 'unambiguous' }).program as unknown as Span;
  totals[category] ??= {
    ruleid: 0,
    hit: 0,
    ok: 0,
    falsePositive: 0,
    misses: [],
    falsePositives: [],
  };
  const tally = totals[category];
  const lines = source.split('\n');
  lines.forEach((text, index) => {
    const marker = /\/\/\s*(ruleid|ok)\s*:\s*([\w-]+)/i.exec(text);
    if (!marker || marker[2] !== category) return;
    const target = index + 2; // 1-based line after the marker
    if (marker[1]!.toLowerCase() === 'ruleid') {
      tally.ruleid++;
      const end = constructEnd(program, source, target);
      let hit = false;
      for (let line = target; line <= end; line++) if (flagged.has(line)) hit = true;
      if (hit) tally.hit++;
      else tally.misses.push(`${name}:${target}`);
    } else {
      tally.ok++;
      if (flagged.has(target)) {
        tally.falsePositive++;
        tally.falsePositives.push(`${name}:${target}`);
      }
    }
  });
}

const pct = (part: number, whole: number) =>
  whole === 0 ? '   n/a' : `${((100 * part) / whole).toFixed(1).padStart(5)}%`;
console.log(`GuardDog npm samples: ${dir}\n`);
console.log('category                         ruleid  flagged  recall   ok  flagged  FP rate');
let all: Tally = { ruleid: 0, hit: 0, ok: 0, falsePositive: 0, misses: [], falsePositives: [] };
for (const [category, tally] of Object.entries(totals).sort()) {
  console.log(
    `${category.padEnd(32)} ${String(tally.ruleid).padStart(6)} ${String(tally.hit).padStart(8)}  ${pct(tally.hit, tally.ruleid)} ${String(tally.ok).padStart(4)} ${String(tally.falsePositive).padStart(8)}  ${pct(tally.falsePositive, tally.ok)}`,
  );
  all = {
    ruleid: all.ruleid + tally.ruleid,
    hit: all.hit + tally.hit,
    ok: all.ok + tally.ok,
    falsePositive: all.falsePositive + tally.falsePositive,
    misses: [...all.misses, ...tally.misses],
    falsePositives: [...all.falsePositives, ...tally.falsePositives],
  };
}
console.log(
  `${'TOTAL'.padEnd(32)} ${String(all.ruleid).padStart(6)} ${String(all.hit).padStart(8)}  ${pct(all.hit, all.ruleid)} ${String(all.ok).padStart(4)} ${String(all.falsePositive).padStart(8)}  ${pct(all.falsePositive, all.ok)}`,
);
if (all.misses.length > 0) console.log(`\nmissed: ${all.misses.join(', ')}`);
if (all.falsePositives.length > 0) console.log(`false positives: ${all.falsePositives.join(', ')}`);
