/**
 * Whether the position walk reaches everything the eager ESTree holds: every identifier, literal,
 * template element and JSX name of the ESTree must be visited, at the same start offset, by the
 * walk over the buffer (the walk generated from oxc's lazy walker, which on its own skips
 * directives, rest elements and `extends`). Shared by `walk.test.ts` and
 * `eval/js-position-walk-check.ts`, which runs it over real packages.
 */
import { langFor } from '../../src/analyzers/js/lang.js';
import type { RawParseOptions, RawParsers } from '../../src/analyzers/js/oxc-raw.js';
import { LEAF_NODE_TYPES_COUNT, NODE_TYPE_IDS_MAP } from '../../src/analyzers/js/position/walk.generated.js';
import { PositionVisitors, walkPositions } from '../../src/analyzers/js/position/walk.js';

const ESTREE_LEAVES: ReadonlySet<string> = new Set([
  'Identifier',
  'PrivateIdentifier',
  'Literal',
  'TemplateElement',
  'JSXIdentifier',
  'JSXText',
]);

export interface CoverageResult {
  /** Leaves of the ESTree. */
  readonly leaves: number;
  /** Their starts that no leaf of the position walk had, with the ESTree node's type and text. */
  readonly missed: ReadonlyArray<{
    readonly type: string;
    readonly parent: string;
    readonly start: number;
    readonly text: string;
  }>;
  /** False when the walk ran out of stack. */
  readonly walked: boolean;
}

let visitedStarts: Set<number> = new Set();
let int32: Int32Array | undefined;
const recordStart = (pos: number) => {
  visitedStarts.add(int32![pos >> 2]!);
};
const leafVisitors = new PositionVisitors(
  Object.fromEntries(
    [...NODE_TYPE_IDS_MAP]
      .filter(([, id]) => id < LEAF_NODE_TYPES_COUNT)
      .map(([type]) => [type, recordStart]),
  ),
);

export function positionWalkCoverage(
  parsers: RawParsers,
  filename: string,
  source: string,
  options: RawParseOptions = { lang: langFor(filename), sourceType: 'unambiguous', preserveParens: false },
  walk: typeof walkPositions = walkPositions,
): CoverageResult {
  const expected: Leaf[] = [];
  collectLeaves(parsers.parse(filename, source, options).program, expected);
  const tree = parsers.parseToBuffer(filename, source, options);
  visitedStarts = new Set();
  int32 = tree.buffer.int32;
  const walked = walk(tree, leafVisitors);
  const missed = expected
    // TypeScript's ESTree spans a template element with its delimiters (`` ` `` or `}`); oxc does not.
    .filter(
      (leaf) =>
        !visitedStarts.has(leaf.start) &&
        !(leaf.type === 'TemplateElement' && visitedStarts.has(leaf.start + 1)),
    )
    .map(({ type, parent, start, end }) => ({
      type,
      parent,
      start,
      text: source.slice(start, Math.min(end, start + 40)),
    }));
  return { leaves: expected.length, missed, walked };
}

interface Leaf {
  readonly type: string;
  /** The type of the ESTree node that holds it. */
  readonly parent: string;
  readonly start: number;
  readonly end: number;
}

function collectLeaves(root: unknown, into: Leaf[]): void {
  const stack: Array<[unknown, string, boolean]> = [[root, '', false]];
  while (stack.length > 0) {
    const [value, parent, inType] = stack.pop()!;
    if (Array.isArray(value)) {
      for (const each of value) stack.push([each, parent, inType]);
      continue;
    }
    if (value === null || typeof value !== 'object') continue;
    const node = value as { type?: unknown; start?: number; end?: number; name?: unknown; declare?: unknown };
    if (typeof node.type !== 'string') continue; // a node's value object (`regex`, a template's `value`)
    const type = node.type;
    const typeOnly = inType || isTypeOnly(node);
    if (ESTREE_LEAVES.has(type) && !typeOnly && !synthetic(node, parent))
      into.push({ type, parent, start: node.start!, end: node.end! });
    for (const key in node) stack.push([(node as Record<string, unknown>)[key], type, typeOnly]);
  }
}

/**
 * TypeScript that only describes types and never runs: annotations, type parameters and
 * arguments, interfaces, aliases, `declare`d things. oxc's walker does not follow all of it
 * (type parameter names, qualified names' right sides, index signatures' names); the families
 * look for what code does, which never happens there.
 */
const TYPE_ONLY: ReadonlySet<string> = new Set([
  'TSTypeAnnotation',
  'TSTypeParameterDeclaration',
  'TSTypeParameterInstantiation',
  'TSInterfaceDeclaration',
  'TSTypeAliasDeclaration',
  'TSIndexSignature',
  'TSDeclareFunction',
]);

function isTypeOnly(node: { type?: unknown; declare?: unknown }): boolean {
  return TYPE_ONLY.has(node.type as string) || node.declare === true;
}

/**
 * Identifiers the ESTree makes up where oxc has no identifier node: `import.meta` and
 * `new.target` (one leaf each in oxc) and TypeScript's `this` parameter.
 */
function synthetic(node: { type?: unknown; name?: unknown }, parent: string): boolean {
  if (parent === 'MetaProperty') return true;
  return node.type === 'Identifier' && node.name === 'this';
}
