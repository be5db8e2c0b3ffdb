// Spike (session 10): would oxc's lazy AST make the JavaScript capability walk cheaper?
//
//   npm run build && node bench/spikes/oxc-lazy-walk.mjs [dist] [folder]
//
// Over the JS files of `folder` (default: this repository's node_modules) that need a syntax tree,
// times four ways of getting at the tree, interleaved, three rounds after a warm-up, one thread:
//   A  oxc's native parse into the raw-transfer buffer, nothing read back;
//   B  A + oxc's eager deserialiser (the ESTree the families walk today);
//   C  A + oxc's lazy walker over the buffer, with visitors for calls, `new`, member expressions,
//      and (unless NOID=1 / NOSTR=1) identifier references and string literals, each reading one
//      field, as the families would;
//   D  B + Countersign's walk with no families (the walk's own cost).
// Uses oxc-parser's internal subpaths, as src/analyzers/js/oxc-raw.ts does; not part of any test.
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';

const dist = pathToFileURL(resolve(process.argv[2] ?? 'dist')).href;
const folder = resolve(process.argv[3] ?? 'node_modules');
const bindings = await import('oxc-parser/src-js/bindings');
const C = await import('oxc-parser/src-js/generated/constants');
const { deserialize: deserializeJs } = await import('oxc-parser/src-js/generated/deserialize/js');
const { deserialize: deserializeTs } = await import('oxc-parser/src-js/generated/deserialize/ts');
const { walkProgram } = await import('oxc-parser/src-js/generated/lazy/walk');
const { Visitor, getVisitorsArr } = await import('oxc-parser/src-js/raw-transfer/visitor');
const { TOKEN } = await import('oxc-parser/src-js/raw-transfer/lazy-common');
const { needsSyntaxTree } = await import(`${dist}/analyzers/js/prefilter.js`);
const { estimateNesting, isSafeToParse } = await import(`${dist}/analyzers/js/nesting.js`);
const { Dispatcher } = await import(`${dist}/analyzers/js/walker.js`);
const { WalkContext, DEFAULT_EXTRACT_LIMITS } = await import(`${dist}/analyzers/js/context.js`);
const { buildLineIndex } = await import(`${dist}/analyzers/js/line-index.js`);
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
const encoder = new TextEncoder();

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

let seen = 0;
const visitor = new Visitor({
  CallExpression(node) {
    seen += node.callee.type.length;
  },
  NewExpression() {
    seen++;
  },
  StaticMemberExpression(node) {
    seen += node.property.name.length;
  },
  ComputedMemberExpression() {
    seen++;
  },
  ...(process.env.NOID
    ? {}
    : {
        IdentifierReference(node) {
          seen += node.name.length;
        },
      }),
  ...(process.env.NOSTR
    ? {}
    : {
        StringLiteral(node) {
          seen += node.value.length;
        },
      }),
});
const visitors = getVisitorsArr(visitor);
const noFamilies = new Dispatcher([]);

const list = execFileSync('find', [folder, '-type', 'f', '-regex', String.raw`.*\.[cm]?[jt]sx?$`], {
  maxBuffer: 1 << 28,
});
const work = [];
for (const path of list.toString().trim().split('\n').sort()) {
  const source = readFileSync(path, 'utf8');
  if (needsSyntaxTree(source) && isSafeToParse(estimateNesting(source)))
    work.push([path, source, langFor(path)]);
}
const megabytes = work.reduce((sum, [, source]) => sum + source.length, 0) / 1e6;
console.log(`${work.length} files that need a tree, ${megabytes.toFixed(1)} M UTF-16 units`);

const deserialize = (source, sourceStart, written) =>
  (buffer[IS_TS_FLAG_POS] === 0 ? deserializeJs : deserializeTs)(buffer, source, sourceStart, written);
const ways = {
  A: () => {
    for (const [path, source, lang] of work) parseIntoBuffer(path, source, lang);
  },
  B: () => {
    for (const [path, source, lang] of work) {
      const { sourceStart, written } = parseIntoBuffer(path, source, lang);
      deserialize(source, sourceStart, written);
    }
  },
  C: () => {
    for (const [path, source, lang] of work) {
      const { sourceStart, written } = parseIntoBuffer(path, source, lang);
      const ast = {
        buffer,
        sourceText: source,
        sourceStartPos: sourceStart,
        sourceByteLen: written,
        sourceIsAscii: source.length === written,
        nodes: new Map(),
        token: TOKEN,
      };
      walkProgram(buffer.int32[DATA_POINTER_POS_32] + PROGRAM_OFFSET, ast, visitors);
    }
  },
  D: () => {
    for (const [path, source, lang] of work) {
      const { sourceStart, written } = parseIntoBuffer(path, source, lang);
      const { program } = deserialize(source, sourceStart, written);
      noFamilies.walk(program, new WalkContext(source, buildLineIndex(source), DEFAULT_EXTRACT_LIMITS));
    }
  },
};
const times = {};
for (let round = 0; round < 4; round++) {
  for (const [way, run] of Object.entries(ways)) {
    const start = performance.now();
    run();
    if (round === 0) continue;
    times[way] ??= [];
    times[way].push(Math.round(performance.now() - start));
  }
}
for (const [way, runs] of Object.entries(times)) console.log(`${way}: ${runs.join(', ')} ms`);
console.log(`(checksum ${seen})`);
