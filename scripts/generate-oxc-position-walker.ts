/**
 * Writes `src/analyzers/js/position/walk.generated.ts`: a walk over oxc's raw-transfer buffer that
 * hands visitors buffer positions, never node objects (bench/spikes/oxc-position-walk.mjs measured
 * why: the families' per-node work costs far less on positions than on the eager ESTree).
 *
 *   npm run generate:oxc-walker
 *
 * The walk is oxc-parser's own generated lazy walker (`src-js/generated/lazy/walk.js`) with every
 * `new <Node>(pos, ast)` turned into `pos`, plus the children that walker skips. oxc's lazy walker
 * only follows fields that its lazy ESTree exposes as such, so it skips what the eager ESTree
 * builds by hand: directives (`'use strict'`), rest elements of patterns, parameters and
 * assignment targets, a class's `extends` expression, TypeScript's `this` parameter and some type
 * annotations. Code in any of those places runs (`function f(...[a = run()]) {}`,
 * `class A extends load() {}`), so each is added back here, by anchor: when an oxc upgrade moves
 * an anchor, this script stops with the anchor's name instead of writing a walker that misses code.
 * `walk.test.ts` checks that the committed file is what this script makes from the installed oxc,
 * and that the walk reaches every identifier and literal of the eager ESTree.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const POSITION_DIR = resolve(dirname(fileURLToPath(import.meta.url)), '../src/analyzers/js/position');
export const GENERATED_WALKER = join(POSITION_DIR, 'walk.generated.ts');
export const GENERATED_LAYOUT = join(POSITION_DIR, 'layout.generated.ts');

interface Insertion {
  /** The walker function (without `walk`) the call goes into. */
  readonly into: string;
  /** An existing call in that function; the new one goes right after it, or before with `before`. */
  readonly anchor: string;
  readonly call: string;
  readonly before?: boolean;
  readonly why: string;
}

const INSERTIONS: readonly Insertion[] = [
  {
    into: 'Program',
    anchor: 'walkVecStatement(pos + 112, ast, visitors);',
    call: 'walkVecDirective(pos + 88, ast, visitors);',
    before: true,
    why: "the program's directives",
  },
  {
    into: 'FunctionBody',
    anchor: 'walkVecStatement(pos + 40, ast, visitors);',
    call: 'walkVecDirective(pos + 16, ast, visitors);',
    before: true,
    why: "a function's directives",
  },
  {
    into: 'TSModuleBlock',
    anchor: 'walkVecStatement(pos + 40, ast, visitors);',
    call: 'walkVecDirective(pos + 16, ast, visitors);',
    before: true,
    why: "a namespace's directives",
  },
  {
    into: 'Class',
    anchor: 'walkOptionBoxTSTypeParameterDeclaration(pos + 72, ast, visitors);',
    call: 'walkOptionExpression(pos + 80, ast, visitors);',
    why: "the class's `extends` expression",
  },
  {
    into: 'Class',
    anchor: 'walkVecTSClassImplements(pos + 104, ast, visitors);',
    // Held with the `extends` expression (oxc's deserialiser reads them only when it is there):
    // without one these bytes are not a pointer.
    call: 'if (ast.buffer[pos + 80] !== 255) walkOptionBoxTSTypeParameterInstantiation(pos + 96, ast, visitors);',
    before: true,
    why: "the type arguments of the class's `extends`",
  },
  {
    into: 'ArrayPattern',
    anchor: 'walkVecOptionBindingPattern(pos + 16, ast, visitors);',
    call: 'walkOptionBoxBindingRestElement(pos + 40, ast, visitors);',
    why: '`[a, ...rest]` in a binding',
  },
  {
    into: 'ObjectPattern',
    anchor: 'walkVecBindingProperty(pos + 16, ast, visitors);',
    call: 'walkOptionBoxBindingRestElement(pos + 40, ast, visitors);',
    why: '`{a, ...rest}` in a binding',
  },
  {
    into: 'ArrayAssignmentTarget',
    anchor: 'walkVecOptionAssignmentTargetMaybeDefault(pos + 16, ast, visitors);',
    call: 'walkOptionBoxAssignmentTargetRest(pos + 40, ast, visitors);',
    why: '`[a, ...rest] = x`',
  },
  {
    into: 'ObjectAssignmentTarget',
    anchor: 'walkVecAssignmentTargetProperty(pos + 16, ast, visitors);',
    call: 'walkOptionBoxAssignmentTargetRest(pos + 40, ast, visitors);',
    why: '`({a, ...rest} = x)`',
  },
  {
    into: 'FormalParameters',
    anchor: 'walkVecFormalParameter(pos + 16, ast, visitors);',
    call: 'walkOptionBoxFormalParameterRest(pos + 40, ast, visitors);',
    why: 'a rest parameter',
  },
  {
    into: 'Function',
    anchor: 'walkBoxFormalParameters(pos + 64, ast, visitors);',
    call: 'walkOptionBoxTSThisParameter(pos + 56, ast, visitors);',
    before: true,
    why: "TypeScript's `this` parameter",
  },
  {
    into: 'TSFunctionType',
    anchor: 'walkBoxFormalParameters(pos + 32, ast, visitors);',
    call: 'walkOptionBoxTSThisParameter(pos + 24, ast, visitors);',
    before: true,
    why: "a function type's `this` parameter",
  },
  {
    into: 'TSCallSignatureDeclaration',
    anchor: 'walkBoxFormalParameters(pos + 32, ast, visitors);',
    call: 'walkOptionBoxTSThisParameter(pos + 24, ast, visitors);',
    before: true,
    why: "a call signature's `this` parameter",
  },
  {
    into: 'TSMethodSignature',
    anchor: 'walkBoxFormalParameters(pos + 48, ast, visitors);',
    call: 'walkOptionBoxTSThisParameter(pos + 40, ast, visitors);',
    before: true,
    why: "a method signature's `this` parameter",
  },
  {
    into: 'VariableDeclarator',
    anchor: 'walkBindingPattern(pos + 16, ast, visitors);',
    call: 'walkOptionBoxTSTypeAnnotation(pos + 32, ast, visitors);',
    why: "a declared name's type annotation",
  },
  {
    into: 'CatchParameter',
    anchor: 'walkBindingPattern(pos + 16, ast, visitors);',
    call: 'walkOptionBoxTSTypeAnnotation(pos + 32, ast, visitors);',
    why: "a catch parameter's type annotation",
  },
];

/** Walkers for the children added above, in oxc's layout (offsets from `generated/deserialize/ts.js`). */
const ADDED_WALKERS = `
// Added by scripts/generate-oxc-position-walker.ts: children oxc's lazy walker does not follow.

function walkVecDirective(pos, ast, visitors) {
  const { int32 } = ast.buffer,
    pos32 = pos >> 2;
  pos = int32[pos32];
  const endPos = pos + int32[pos32 + 2] * 80;
  while (pos < endPos) {
    walkStringLiteral(pos + 16, ast, visitors);
    pos += 80;
  }
}

function walkOptionBoxBindingRestElement(pos, ast, visitors) {
  const { int32 } = ast.buffer,
    pos32 = pos >> 2;
  if (int32[pos32] === 0 && int32[pos32 + 1] === 0) return;
  walkBindingPattern(int32[pos32] + 16, ast, visitors);
}

function walkOptionBoxAssignmentTargetRest(pos, ast, visitors) {
  const { int32 } = ast.buffer,
    pos32 = pos >> 2;
  if (int32[pos32] === 0 && int32[pos32 + 1] === 0) return;
  walkAssignmentTarget(int32[pos32] + 16, ast, visitors);
}

function walkOptionBoxFormalParameterRest(pos, ast, visitors) {
  const { int32 } = ast.buffer,
    pos32 = pos >> 2;
  if (int32[pos32] === 0 && int32[pos32 + 1] === 0) return;
  const rest = int32[pos32];
  walkVecDecorator(rest + 16, ast, visitors);
  walkBindingPattern(rest + 56, ast, visitors);
  walkOptionBoxTSTypeAnnotation(rest + 72, ast, visitors);
}

function walkOptionBoxTSThisParameter(pos, ast, visitors) {
  const { int32 } = ast.buffer,
    pos32 = pos >> 2;
  if (int32[pos32] === 0 && int32[pos32 + 1] === 0) return;
  walkOptionBoxTSTypeAnnotation(int32[pos32] + 24, ast, visitors);
}
`;

export function oxcParserDir(): string {
  return dirname(createRequire(import.meta.url).resolve('oxc-parser/package.json'));
}

/**
 * The walker's source. `addMissingChildren: false` leaves oxc's lazy walker as it is, for the test
 * that shows the coverage check catching what it skips.
 */
export function generatePositionWalker(oxcDir = oxcParserDir(), { addMissingChildren = true } = {}): string {
  const version = (JSON.parse(readFileSync(join(oxcDir, 'package.json'), 'utf8')) as { version: string })
    .version;
  const generated = join(oxcDir, 'src-js/generated');
  let walk = readFileSync(join(generated, 'lazy/walk.js'), 'utf8');
  const imports = /^import \{[^}]*\} from "\.\/constructors\.js";\n/m;
  if (!imports.test(walk)) throw new Error('oxc changed lazy/walk.js: its import of constructors.js is gone');
  walk = walk.replace(imports, '').replace(/new [A-Z][A-Za-z0-9]*\(pos, ast\)/g, 'pos');
  if (/new [A-Z]\w*\(/.test(walk.replace(/throw new Error\(/g, '')))
    throw new Error('oxc changed lazy/walk.js: a node is still constructed');
  if (addMissingChildren) for (const insertion of INSERTIONS) walk = insert(walk, insertion);
  if (addMissingChildren) walk = `${walk.trimEnd()}\n${ADDED_WALKERS}`;
  const boxTargets = boxTargetsOf(walk);
  walk = inlineBoxes(dispatchByTable(walk, boxTargets), boxTargets);
  walk = walk.replace(/^\/\/ Auto-generated code[^\n]*\n\/\/ To edit[^\n]*\n/m, '');
  const typeIds = readFileSync(join(generated, 'lazy/type_ids.js'), 'utf8').replace(
    /^\/\/ Auto-generated code[^\n]*\n\/\/ To edit[^\n]*\n/m,
    '',
  );
  return [
    '// @ts-nocheck: generated JavaScript; walk.test.ts checks it against the eager ESTree.',
    `// Generated by scripts/generate-oxc-position-walker.ts from oxc-parser ${version}`,
    '// (src-js/generated/lazy/walk.js and type_ids.js, MIT licence, (c) oxc contributors):',
    '// do not edit, run `npm run generate:oxc-walker`. Visitors get buffer positions, not nodes.',
    '',
    `export const OXC_PARSER_VERSION = '${version}';`,
    typeIds.trim(),
    '',
    walk.trim(),
    '',
  ].join('\n');
}

/**
 * Each enum's walker picks its variant's walker from a table indexed by the tag, instead of oxc's
 * `switch`. In a `switch`, each case's call and `pos + 8` have no type feedback until a file holds
 * that variant, so the optimised walker was thrown away at each variant met for the first time and
 * compiled again (`--trace-deopt`: walkers were 40% of the analysis threads' deoptimisations);
 * one call site that sees every walker needs no feedback per variant. Tags no variant has get a
 * walker that throws, as oxc's `default:` does, so the table is dense.
 */
function dispatchByTable(walk: string, boxTargets: ReadonlyMap<string, string>): string {
  const enumWalker =
    /^function walk(\w+)\(pos, ast, visitors\) \{\n {2}switch \(ast\.buffer\[pos\]\) \{\n((?:(?!\nfunction )[\s\S])*?)\n {4}default:\n\s+throw new Error\(\s*`Unexpected discriminant \$\{ast\.buffer\[pos\]\} for (\w+)`,?\s*\);\n {2}\}\n\}\n/gm;
  let count = 0;
  const result = walk.replace(enumWalker, (_whole, name: string, cases: string, enumName: string) => {
    const table: string[] = [];
    const boxed: number[] = [];
    let variants = 0;
    for (const [, tag, walker] of cases.matchAll(
      / {4}case (\d+):\n {6}(walk\w+)\(pos \+ 8, ast, visitors\);\n {6}return;/g,
    )) {
      // A boxed variant's walker only reads the pointer 8 bytes on: the table holds the walker it
      // calls, and the dispatch reads the pointer itself (see inlineBoxes).
      const target = boxTargets.get(walker!);
      table[Number(tag)] = target ?? walker!;
      boxed[Number(tag)] = target === undefined ? 0 : 1;
      variants++;
    }
    if (variants !== (cases.match(/case \d+:/g)?.length ?? 0))
      throw new Error(`oxc changed walk${name}: a case of a new shape`);
    if (name !== enumName) throw new Error(`oxc changed walk${name}: it reports ${enumName}`);
    count++;
    const entries = Array.from(table, (walker) => walker ?? `unexpected${name}`);
    const flags = Array.from(table, (_, tag) => boxed[tag] ?? 0);
    return [
      `const WALK_${name} = [${entries.join(', ')}];`,
      `const BOXED_${name} = new Uint8Array([${flags.join(', ')}]);`,
      '',
      `function unexpected${name}(pos, ast) {`,
      `  throw new Error(\`Unexpected discriminant \${ast.buffer[pos - 8]} for ${name}\`);`,
      '}',
      '',
      `function walk${name}(pos, ast, visitors) {`,
      '  const tag = ast.buffer[pos];',
      `  const walk = WALK_${name}[tag];`,
      `  if (walk === undefined) unexpected${name}(pos + 8, ast);`,
      `  walk(BOXED_${name}[tag] === 1 ? ast.buffer.int32[(pos + 8) >> 2] : pos + 8, ast, visitors);`,
      '}',
      '',
    ].join('\n');
  });
  if (count === 0 || /switch \(ast\.buffer\[pos\]\)/.test(result))
    throw new Error('oxc changed lazy/walk.js: an enum walker of a new shape');
  return result;
}

const BOX_WALKER =
  /^function (walkBox\w+)\(pos, ast, visitors\) \{\n {2}return (walk\w+)\(ast\.buffer\.int32\[pos >> 2\], ast, visitors\);\n\}\n\n?/gm;

/** Each `walkBox<T>` and the walker it calls with the pointer: `walkBoxCallExpression` → `walkCallExpression`. */
function boxTargetsOf(walk: string): Map<string, string> {
  const targets = new Map<string, string>();
  for (const [, box, target] of walk.matchAll(BOX_WALKER)) targets.set(box!, target!);
  if (targets.size === 0) throw new Error('oxc changed lazy/walk.js: no walkBox function of the known shape');
  return targets;
}

/**
 * Calls each `walkBox<T>(at, …)` as `walk<T>(ast.buffer.int32[(at) >> 2], …)` and drops the
 * `walkBox` functions, which only read a pointer: each was a call per node, and a function of its
 * own for TurboFan to compile in every analysis thread (`--trace-opt` on node_modules: 79 of
 * them per thread). The enum tables call the unboxed walkers themselves (dispatchByTable).
 */
function inlineBoxes(walk: string, targets: ReadonlyMap<string, string>): string {
  const result = walk
    .replace(BOX_WALKER, '')
    .replace(/\b(walkBox\w+)\(([^()]*), ast, visitors\)/g, (_call, box: string, at: string) => {
      const target = targets.get(box);
      if (target === undefined) throw new Error(`oxc changed lazy/walk.js: ${box} is not a plain box walker`);
      return `${target}(ast.buffer.int32[(${at}) >> 2], ast, visitors)`;
    });
  const left = /\bwalkBox\w+\b/.exec(result);
  if (left) throw new Error(`oxc changed lazy/walk.js: ${left[0]} is still called some other way`);
  return result;
}

function insert(walk: string, { into, anchor, call, before, why }: Insertion): string {
  const header = `\nfunction walk${into}(pos, ast, visitors) {\n`;
  const start = walk.indexOf(header);
  if (start < 0) throw new Error(`oxc changed lazy/walk.js: walk${into} is gone (needed for ${why})`);
  const end = walk.indexOf('\n}\n', start) + 1;
  const body = walk.slice(start, end);
  const at = body.indexOf(`  ${anchor}\n`);
  if (at < 0) throw new Error(`oxc changed walk${into}: "${anchor}" is gone (needed for ${why})`);
  if (body.includes(call)) throw new Error(`oxc's walk${into} now walks ${why}: drop this insertion`);
  const line = `  ${call} // ${why}\n`;
  const offset = before ? at : at + anchor.length + 3;
  return walk.slice(0, start) + body.slice(0, offset) + line + body.slice(offset) + walk.slice(end);
}

/**
 * `layout.generated.ts`: where each node type keeps its fields in the buffer, the tags of each
 * enum (`Expression`, `Argument`, `ChainElement`... number their variants each their own way, so
 * a field's tag means something only with the enum it belongs to), and the stride of each Vec,
 * read off oxc's lazy node classes (`src-js/generated/lazy/constructors.js`). Fields those
 * classes do not expose (a class's `superClass`) are not here.
 */
export function generateLayout(oxcDir = oxcParserDir()): string {
  const version = (JSON.parse(readFileSync(join(oxcDir, 'package.json'), 'utf8')) as { version: string })
    .version;
  const code = readFileSync(join(oxcDir, 'src-js/generated/lazy/constructors.js'), 'utf8');
  const fields: string[] = [];
  const kinds: string[] = [];
  for (const [, name, body] of code.matchAll(/^export class (\w+) \{\n([\s\S]*?)^\}/gm)) {
    const offsets: string[] = [];
    const holds: string[] = [];
    for (const [, field, getter] of body!.matchAll(/^ {2}get (\w+)\(\) \{\n([\s\S]*?)^ {2}\}/gm)) {
      const read =
        /(?:construct(\w+)|new (\w+))\(\s*internal\.pos(?: \+ (\d+))?,\s*internal\.ast,?\s*\)/.exec(getter!);
      if (!read) {
        if (getter!.includes('internal.pos'))
          throw new Error(`oxc changed ${name}.${field}: a getter of a new shape`);
        continue;
      }
      offsets.push(`${field}: ${read[3] ?? 0}`);
      holds.push(`${field}: '${read[1] ?? read[2]}'`);
    }
    if (offsets.length === 0) continue;
    fields.push(`  ${name}: { ${offsets.join(', ')} },`);
    kinds.push(`  ${name}: { ${holds.join(', ')} },`);
  }
  const tags: string[] = [];
  const valueLists: string[] = [];
  const inlineTags: string[] = [];
  const enumPattern =
    /^function construct(\w+)\(pos, ast\) \{\n {2}switch \(ast\.buffer\[pos\]\) \{\n([\s\S]*?)^\}/gm;
  for (const [, name, body] of code.matchAll(enumPattern)) {
    const cases = body!.match(/case \d+:/g)?.length ?? 0;
    const seen = new Set<string>();
    const variants: string[] = [];
    const inline: string[] = [];
    for (const [, tag, boxed, type] of body!.matchAll(
      /case (\d+):\n\s+return (?:construct(Box)?(\w+)|new (?:\w+))\(pos \+ 8, ast\);/g,
    )) {
      const variant = type ?? /new (\w+)\(pos \+ 8/.exec(body!.slice(body!.indexOf(`case ${tag}:`)))![1]!;
      // Two variants of one type (a string key and a computed one): the second is named by its tag.
      const key = seen.has(variant) ? `${variant}$${tag}` : variant;
      seen.add(variant);
      variants.push(`${key}: ${tag}`);
      if (!boxed) inline.push(tag!);
    }
    const values: string[] = [];
    for (const [, tag, value] of body!.matchAll(/case (\d+):\n\s+return ("[^"]*");/g))
      values[Number(tag)] = value!;
    const valueCount = values.filter((value) => value !== undefined).length;
    if (variants.length + valueCount !== cases)
      throw new Error(`oxc changed construct${name}: a case of a new shape`);
    if (variants.length > 0) tags.push(`  ${name}: { ${variants.join(', ')} },`);
    if (inline.length > 0) inlineTags.push(`  ${name}: [${inline.join(', ')}],`);
    if (valueCount > 0)
      valueLists.push(`  ${name}: [${Array.from(values, (value) => value ?? 'undefined').join(', ')}],`);
  }
  const strides: string[] = [];
  for (const [, name, body] of code.matchAll(/^function constructVec(\w+)\(pos, ast\) \{\n([\s\S]*?)^\}/gm)) {
    const stride = /new NodeArray\(\s*int32\[pos32\],\s*int32\[pos32 \+ 2\],\s*(\d+),/.exec(body!)?.[1];
    if (stride === undefined) throw new Error(`oxc changed constructVec${name}: a Vec of a new shape`);
    strides.push(`  ${name}: ${stride},`);
  }
  return [
    `// Generated by scripts/generate-oxc-position-walker.ts from oxc-parser ${version}`,
    '// (src-js/generated/lazy/constructors.js, MIT licence, (c) oxc contributors): do not edit,',
    '// run `npm run generate:oxc-walker`. Byte offsets into oxc raw-transfer buffer.',
    '',
    "/** Where each node type keeps each field, from the node's position. */",
    `export const FIELDS = {\n${fields.join('\n')}\n} as const;`,
    '',
    '/** What each field holds: a node type, an enum of them (read its tag in `TAGS`), `Vec...`, `Option...`, `Box...`, `Str`. */',
    `export const FIELD_KINDS = {\n${kinds.join('\n')}\n} as const;`,
    '',
    '/**',
    " * Each enum's tag (the byte at the field) for each variant. The variant's node is boxed (its",
    ' * position is the 32-bit value 8 bytes on) unless its tag is in `INLINE_TAGS` (the node is',
    ' * 8 bytes on). A type that two variants share names the second by its tag (`StringLiteral$2`).',
    ' */',
    `export const TAGS = {\n${tags.join('\n')}\n} as const;`,
    '',
    `export const INLINE_TAGS = {\n${inlineTags.join('\n')}\n} as const;`,
    '',
    '/** The value of an operator or kind field, by the byte it holds (`VALUES.AssignmentOperator[0]` is `=`). */',
    `export const VALUES = {\n${valueLists.join('\n')}\n} as const;`,
    '',
    "/** Bytes per element of each Vec (a Vec field holds the elements' position, then their count 8 bytes on). */",
    `export const VEC_STRIDES = {\n${strides.join('\n')}\n} as const;`,
    '',
  ].join('\n');
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  writeFileSync(GENERATED_WALKER, generatePositionWalker());
  writeFileSync(GENERATED_LAYOUT, generateLayout());
  console.log(`wrote ${GENERATED_WALKER} and ${GENERATED_LAYOUT}`);
}
