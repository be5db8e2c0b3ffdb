/**
 * Whether `PositionReader` answers what `src/analyzers/js/ast.ts` answers on the ESTree: for every
 * call and `new` of a file, the callee's dotted path, identifier name and member name, and the
 * first argument's string value. Shared by `read.test.ts` and `eval/js-position-read-check.ts`.
 */
import {
  type AstNode,
  asNode,
  callArguments,
  callee,
  dottedPath,
  identifierName,
  memberName,
  stringValue,
} from '../../src/analyzers/js/ast.js';
import { langFor } from '../../src/analyzers/js/lang.js';
import type { RawParsers } from '../../src/analyzers/js/oxc-raw.js';
import { FIELDS } from '../../src/analyzers/js/position/layout.generated.js';
import { PositionReader } from '../../src/analyzers/js/position/read.js';
import { PositionVisitors, walkPositions } from '../../src/analyzers/js/position/walk.js';

export interface ReadCheck {
  /** Calls and `new`s compared. */
  readonly calls: number;
  /** Those whose answers differ: where, and both answers. */
  readonly differences: ReadonlyArray<{
    readonly at: string;
    readonly estree: string;
    readonly position: string;
  }>;
}

const reader = new PositionReader();
let answers = new Map<string, string>();

function answer(call: number, type: string): void {
  const calleeSlot = call + FIELDS.CallExpression.callee;
  const first = reader.argument(call, 0);
  answers.set(
    `${type} ${reader.start(call)}-${reader.end(call)}`,
    JSON.stringify([
      reader.dottedPath(calleeSlot),
      reader.identifierName(calleeSlot),
      reader.memberName(calleeSlot),
      first === -1 ? undefined : reader.stringValue(first),
    ]),
  );
}

const visitors = new PositionVisitors({
  CallExpression: (pos) => answer(pos, 'CallExpression'),
  NewExpression: (pos) => answer(pos, 'NewExpression'),
});

export function positionReadCheck(parsers: RawParsers, filename: string, source: string): ReadCheck {
  const options = { lang: langFor(filename), sourceType: 'unambiguous', preserveParens: false } as const;
  const expected = new Map<string, string>();
  const stack: unknown[] = [parsers.parse(filename, source, options).program];
  while (stack.length > 0) {
    const value = stack.pop();
    if (Array.isArray(value)) {
      for (const each of value) stack.push(each);
      continue;
    }
    const node = asNode(value);
    if (!node) continue;
    if (node.type === 'CallExpression' || node.type === 'NewExpression') {
      const fn = callee(node);
      const first = callArguments(node)[0];
      expected.set(
        `${node.type} ${node.start}-${node.end}`,
        JSON.stringify([
          dottedPath(fn),
          identifierName(fn),
          memberName(fn),
          first === undefined ? undefined : stringValue(first),
        ]),
      );
    }
    for (const key in node) if (typeof node[key] === 'object') stack.push((node as AstNode)[key]);
  }
  answers = new Map();
  const tree = parsers.parseToBuffer(filename, source, options);
  reader.reset(tree, source);
  walkPositions(tree, visitors);
  const differences: Array<{ at: string; estree: string; position: string }> = [];
  for (const [at, estree] of expected) {
    const position = answers.get(at) ?? '(not visited)';
    if (position !== estree) differences.push({ at, estree, position });
  }
  return { calls: expected.size, differences };
}
