// Spike (session 11): a walker over oxc's raw-transfer buffer that builds no node objects.
//
//   npm run build && node --semi-space-growth-factor=1 --heap-growing-percent=200 \
//     --no-turbo-inlining bench/spikes/oxc-position-walk.mjs [dist] [folder]
//
// Session 10 found that oxc's lazy AST costs what the eager tree does: each node it visits is an
// object plus an entry in a per-file Map, and the families visit ~half of all nodes. This spike
// asks what a walk costs that hands the handlers buffer positions instead, and reads fields at
// oxc's offsets only where a handler asks: no objects, no Map.
//
// The walker is made at start-up from the installed oxc's generated lazy walker
// (`generated/lazy/walk.js`): every `new <Node>(pos, ast)` becomes `pos`. That walker skips
// `Class.superClass` (oxc 0.158), so the transform adds it back; with that, every file's callee
// paths match the eager ESTree's exactly (the check printed first). The handlers do the kind of
// work the families do per node: a dotted callee path for every call and `new`, a Set lookup of
// every identifier reference's name, a regex over every string literal, scope push/pop.
//
// Ways, interleaved, three rounds after a warm-up, one thread, the files that need a tree:
//   A  oxc's native parse into the buffer only;
//   B  A + the eager ESTree (what the families walk today);
//   P  A + the position walk with the handlers above;
//   X  Countersign's whole extraction of the same files (`extractJsCapabilities`).
// Uses oxc-parser's internal subpaths, as src/analyzers/js/oxc-raw.ts does; not part of any test.
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';

const dist = pathToFileURL(resolve(process.argv[2] ?? 'dist')).href;
const folder = resolve(process.argv[3] ?? 'node_modules');
const walkerPath = resolve('bench/.work/oxc-position-walk.generated.mjs');
writePositionWalker(walkerPath);
const bindings = await import('oxc-parser/src-js/bindings');
const C = await import('oxc-parser/src-js/generated/constants');
const { deserialize: deserializeJs } = await import('oxc-parser/src-js/generated/deserialize/js');
const { deserialize: deserializeTs } = await import('oxc-parser/src-js/generated/deserialize/ts');
const { walkProgram } = await import(pathToFileURL(walkerPath).href);
const { Visitor, getVisitorsArr } = await import('oxc-parser/src-js/raw-transfer/visitor');
const { needsSyntaxTree } = await import(`${dist}/analyzers/js/prefilter.js`);
const { estimateNesting, isSafeToParse } = await import(`${dist}/analyzers/js/nesting.js`);
const { extractJsCapabilities } = await import(`${dist}/analyzers/js/extract.js`);
const { langFor } = await import(`${dist}/analyzers/js/lang.js`);
const {
  BLOCK_SIZE,
  BLOCK_ALIGN,
  BUFFER_SIZE,
  ACTIVE_SIZE,
  IS_TS_FLAG_POS,
  DATA_POINTER_POS_32,
  PROGRAM_OFFSET,
} = C;
const arrayBuffer = new ArrayBuffer(BLOCK_SIZE + BLOCK_ALIGN);
const offset = bindings.getBufferOffset(new Uint8Array(arrayBuffer, 0, 16));
const buffer = new Uint8Array(arrayBuffer, offset, BUFFER_SIZE);
buffer.int32 = new Int32Array(arrayBuffer, offset, BUFFER_SIZE / 4);
buffer.float64 = new Float64Array(arrayBuffer, offset, BUFFER_SIZE / 8);
buffer.block = new Uint8Array(arrayBuffer, offset, BLOCK_SIZE);
const int32 = buffer.int32;
const encoder = new TextEncoder();
const utf8Slice = Buffer.prototype.utf8Slice;
function parseIntoBuffer(filename, source, lang) {
  const reserved = source.length * 3;
  const sourceStart = ACTIVE_SIZE - reserved;
  const { written } = encoder.encodeInto(source, new Uint8Array(arrayBuffer, offset + sourceStart, reserved));
  bindings.parseRawSync(filename, buffer.block, sourceStart, written, {
    lang,
    sourceType: 'unambiguous',
    preserveParens: false,
  });
  return { sourceStart, written };
}
let src = '',
  srcStart = 0,
  ascii = true;
function str(pos) {
  const p32 = pos >> 2,
    len = int32[p32 + 2];
  if (len === 0) return '';
  const p = int32[p32];
  if (ascii && p >= srcStart) return src.substr(p - srcStart, len);
  return utf8Slice.call(buffer, p, p + len);
}
// Expression at pos: tag byte, box pointer at pos + 8
function calleePath(pos, depth) {
  const tag = buffer[pos],
    box = int32[(pos + 8) >> 2];
  if (tag === 7) return str(box + 16);
  if (tag === 49 && depth < 4) {
    const object = calleePath(box + 16, depth + 1);
    return object === undefined ? undefined : `${object}.${str(box + 48)}`;
  }
  if (tag === 26) return 'this';
  return undefined;
}
const INTERESTING = new Set([
  'require',
  'eval',
  'Function',
  'fetch',
  'child_process.exec',
  'cp.spawn',
  'fs.writeFileSync',
  'Buffer.from',
  'atob',
  'String.fromCharCode',
  'process.env',
  'JSON.parse',
  'setTimeout',
  'crypto.createDecipheriv',
  'https.request',
  'http.get',
  'exec',
  'execSync',
  'spawn',
  'vm.runInNewContext',
]);
const SENSITIVE =
  /npmrc|\.ssh|id_(rsa|ed)|\.aws|\.config[\\/]|wallet|_authtoken|curl|wget|powershell|\/etc\//i;
const GLOBALS = new Set([
  'require',
  'process',
  'eval',
  'Function',
  'Buffer',
  'atob',
  'fetch',
  'window',
  'global',
  'globalThis',
  'module',
  'exports',
  'XMLHttpRequest',
  'WebSocket',
  'Reflect',
]);
let hits = 0;
let record = null; // when set, every call's callee path is counted in it (the check)
const scopes = [];
const visitor = new Visitor({
  CallExpression(pos) {
    const path = calleePath(pos + 16, 0);
    if (record !== null) record.set(path, (record.get(path) ?? 0) + 1);
    if (path !== undefined && INTERESTING.has(path)) hits++;
  },
  'CallExpression:exit'() {},
  NewExpression(pos) {
    const path = calleePath(pos + 16, 0);
    if (path !== undefined && INTERESTING.has(path)) hits++;
  },
  StaticMemberExpression(pos) {
    if (str(pos + 48) === 'env') hits++;
  },
  ComputedMemberExpression() {
    hits++;
  },
  IdentifierReference(pos) {
    if (GLOBALS.has(str(pos + 16))) hits++;
  },
  BindingIdentifier(pos) {
    if (str(pos + 16).length > 40) hits++;
  },
  StringLiteral(pos) {
    const v = str(pos + 16);
    if (v.length > 2 && SENSITIVE.test(v)) hits++;
  },
  FunctionBody() {
    scopes.push(null);
  },
  'FunctionBody:exit'() {
    scopes.pop();
  },
  BlockStatement() {
    scopes.push(null);
  },
  'BlockStatement:exit'() {
    scopes.pop();
  },
});
const visitors = getVisitorsArr(visitor);
const list = execFileSync('find', [folder, '-type', 'f', '-regex', String.raw`.*\.[cm]?[jt]sx?$`], {
  maxBuffer: 1 << 28,
});
const all = [],
  work = [];
for (const path of list.toString().trim().split('\n').sort()) {
  const source = readFileSync(path, 'utf8');
  all.push([path, source]);
  if (needsSyntaxTree(source) && isSafeToParse(estimateNesting(source)))
    work.push([path, source, langFor(path)]);
}
console.log(
  `${work.length} files that need a tree, ${(work.reduce((s, [, x]) => s + x.length, 0) / 1e6).toFixed(1)} M UTF-16 units; ${all.length} files in all`,
);
const deserialize = (source, sourceStart, written) =>
  (buffer[IS_TS_FLAG_POS] === 0 ? deserializeJs : deserializeTs)(buffer, source, sourceStart, written);
const ways = {
  A_parse: () => {
    for (const [p, s, l] of work) parseIntoBuffer(p, s, l);
  },
  B_eager: () => {
    for (const [p, s, l] of work) {
      const { sourceStart, written } = parseIntoBuffer(p, s, l);
      deserialize(s, sourceStart, written);
    }
  },
  P_poswalk: () => {
    for (const [p, s, l] of work) {
      const { sourceStart, written } = parseIntoBuffer(p, s, l);
      src = s;
      srcStart = sourceStart;
      ascii = s.length === written;
      walkProgram(int32[DATA_POINTER_POS_32] + PROGRAM_OFFSET, { buffer }, visitors);
    }
  },
  X_extract_tree_files: () => {
    for (const [p, s] of work) extractJsCapabilities(s, { filename: p });
  },
};
function estreePath(node, depth) {
  if (node.type === 'Identifier') return node.name;
  if (node.type === 'ThisExpression') return 'this';
  if (
    node.type === 'MemberExpression' &&
    !node.computed &&
    depth < 4 &&
    node.property.type === 'Identifier'
  ) {
    const object = estreePath(node.object, depth + 1);
    return object === undefined ? undefined : `${object}.${node.property.name}`;
  }
  return undefined;
}
function estreeCalls(node, into) {
  if (Array.isArray(node)) {
    for (const each of node) if (each && typeof each === 'object') estreeCalls(each, into);
    return;
  }
  if (node.type === 'CallExpression') {
    const path = estreePath(node.callee, 0);
    into.set(path, (into.get(path) ?? 0) + 1);
  }
  for (const key in node) {
    const value = node[key];
    if (value && typeof value === 'object') estreeCalls(value, into);
  }
}
{
  let same = 0,
    differ = 0;
  for (const [p, s, l] of work) {
    const { sourceStart, written } = parseIntoBuffer(p, s, l);
    src = s;
    srcStart = sourceStart;
    ascii = s.length === written;
    record = new Map();
    walkProgram(int32[DATA_POINTER_POS_32] + PROGRAM_OFFSET, { buffer }, visitors);
    const byPosition = record;
    record = null;
    const { sourceStart: s2, written: w2 } = parseIntoBuffer(p, s, l);
    const byTree = new Map();
    estreeCalls(deserialize(s, s2, w2).program, byTree);
    const a = JSON.stringify([...byPosition].sort(([x], [y]) => String(x).localeCompare(String(y))));
    const b = JSON.stringify([...byTree].sort(([x], [y]) => String(x).localeCompare(String(y))));
    if (a === b) same++;
    else {
      differ++;
      if (differ <= 3) {
        console.log('differs:', p);
        for (const [k, v] of byPosition)
          if (byTree.get(k) !== v) console.log('  pos', k, v, 'tree', byTree.get(k));
        for (const [k, v] of byTree) if (!byPosition.has(k)) console.log('  tree only', k, v);
      }
    }
  }
  console.log(
    `check: callee paths of every call, position walk vs ESTree: ${same} files the same, ${differ} differ`,
  );
}
const times = {};
if (process.env.CHECK_ONLY) process.exit(0);
for (let round = 0; round < 4; round++)
  for (const [way, run] of Object.entries(ways)) {
    const t = performance.now();
    run();
    if (round === 0) continue;
    times[way] ??= [];
    times[way].push(Math.round(performance.now() - t));
  }
for (const [way, runs] of Object.entries(times)) console.log(`${way}: ${runs.join(', ')} ms`);
console.log(`(hits ${hits})`);

function writePositionWalker(path) {
  const lazyWalk = createRequire(import.meta.url)
    .resolve('oxc-parser/package.json')
    .replace(/package\.json$/, 'src-js/generated/lazy/walk.js');
  let code = readFileSync(lazyWalk, 'utf8');
  code = code.replace(/^import \{[^}]*\} from "\.\/constructors\.js";/m, '');
  code = code.replace(/new [A-Z][A-Za-z0-9]*\(pos, ast\)/g, 'pos');
  const beforeImplements = '  walkVecTSClassImplements(pos + 104, ast, visitors);';
  if (!code.includes(beforeImplements)) throw new Error('oxc changed walkClass: update this spike');
  code = code.replace(
    beforeImplements,
    `  walkOptionExpression(pos + 80, ast, visitors); // superClass\n${beforeImplements}`,
  );
  mkdirSync(resolve(path, '..'), { recursive: true });
  writeFileSync(path, code);
}
