/**
 * The position walk with the capability families: the counterpart of `../walker.ts`'s
 * `Dispatcher`. Handlers are registered by oxc node type and get the node's position; this module
 * adds what the ESTree walk did around them: counter marks for the node types whose exit handlers
 * ask "did a decoder run inside?", and a scope per function, named after what it is bound to.
 */

import type { WalkContext } from '../context.js';
import type { BufferTree } from '../oxc-raw.js';
import { FIELDS, TAGS, VALUES } from './layout.generated.js';
import type { PositionState } from './modules.js';
import { PositionReader } from './read.js';
import { type PositionVisit, PositionVisitors, walkPositions } from './walk.js';

export type PositionHandler = (pos: number, s: PositionState) => void;

/** One capability family over the buffer: handlers by oxc node type, on the way in and out. */
export interface PositionFamily {
  readonly name: string;
  readonly enter?: Readonly<Record<string, PositionHandler>>;
  readonly exit?: Readonly<Record<string, PositionHandler>>;
}

/** Node types whose exit handlers compare the counters with those at their entry (`ctx.mark`). */
const MARKED: ReadonlySet<string> = new Set([
  'VariableDeclarator',
  'AssignmentExpression',
  'CallExpression',
  'NewExpression',
  'Function',
]);

/** Functions, arrows included: in bundles most code lives in arrows. */
const SCOPES: ReadonlySet<string> = new Set(['Function', 'ArrowFunctionExpression']);

const E = TAGS.Expression;

export class PositionDispatcher {
  private readonly state: { r: PositionReader; ctx: WalkContext };
  private readonly visitors: PositionVisitors;
  /** Functions bound by a declarator or an assignment, by position: their scope's name. */
  private readonly functionNames = new Map<number, string>();

  constructor(families: readonly PositionFamily[]) {
    this.state = { r: new PositionReader(), ctx: undefined as unknown as WalkContext };
    const types = new Set<string>([...MARKED, ...SCOPES, 'VariableDeclarator', 'AssignmentExpression']);
    for (const family of families) {
      for (const type of Object.keys(family.enter ?? {})) types.add(type);
      for (const type of Object.keys(family.exit ?? {})) types.add(type);
    }
    const spec: Record<string, PositionVisit> = {};
    for (const type of types) {
      const enter = families.flatMap((family) => (family.enter?.[type] ? [family.enter[type]] : []));
      const exit = families.flatMap((family) => (family.exit?.[type] ? [family.exit[type]] : []));
      spec[type] = this.composeEnter(type, enter);
      const onExit = this.composeExit(type, exit);
      if (onExit) spec[`${type}:exit`] = onExit;
    }
    this.visitors = new PositionVisitors(spec);
  }

  /** Walks one file's tree with every family; false when the tree was too deep to walk. */
  walk(tree: BufferTree, source: string, ctx: WalkContext): boolean {
    this.state.r.reset(tree, source);
    this.state.ctx = ctx;
    this.functionNames.clear();
    return walkPositions(tree, this.visitors);
  }

  private composeEnter(type: string, handlers: readonly PositionHandler[]): PositionVisit {
    const s = this.state;
    const marked = MARKED.has(type);
    const scope = SCOPES.has(type);
    const names = type === 'VariableDeclarator' || type === 'AssignmentExpression';
    // Most types (identifiers above all, a third of all nodes) need no more than their handlers:
    // one or two direct calls, no loop.
    if (!marked && !scope && !names) {
      const [first, second] = handlers;
      if (handlers.length === 1) return (pos) => first!(pos, s);
      if (handlers.length === 2)
        return (pos) => {
          first!(pos, s);
          second!(pos, s);
        };
    }
    return (pos) => {
      if (marked) s.ctx.enterMarked();
      if (names) this.nameBoundFunction(type, pos);
      for (const handler of handlers) handler(pos, s);
      if (scope && opensScope(s, type, pos)) s.ctx.pushScope(pos, this.functionName(type, pos));
    };
  }

  private composeExit(type: string, handlers: readonly PositionHandler[]): PositionVisit | undefined {
    const s = this.state;
    const marked = MARKED.has(type);
    const scope = SCOPES.has(type);
    if (!marked && !scope && handlers.length === 0) return undefined;
    return (pos) => {
      if (scope && opensScope(s, type, pos)) s.ctx.popScope();
      if (marked) s.ctx.leaveMarked();
      for (const handler of handlers) handler(pos, s);
    };
  }

  /** `const f = function(){}`, `f = () => {}`: remembers `f` for the function's scope. */
  private nameBoundFunction(type: string, pos: number): void {
    const r = this.state.r;
    const valueSlot =
      type === 'VariableDeclarator'
        ? pos + FIELDS.VariableDeclarator.init
        : pos + FIELDS.AssignmentExpression.right;
    const tag = r.buffer[valueSlot];
    if (tag !== E.Function && tag !== E.ArrowFunctionExpression) return;
    const name =
      type === 'VariableDeclarator'
        ? r.bindingName(pos + FIELDS.VariableDeclarator.id)
        : r.assignmentTargetName(pos + FIELDS.AssignmentExpression.left);
    if (name !== undefined) this.functionNames.set(r.int32[(valueSlot + 8) >> 2]!, name);
  }

  /** `function f(){}`: its own name; otherwise what it was bound to, if anything. */
  private functionName(type: string, pos: number): string | undefined {
    if (type === 'Function') {
      const id = pos + FIELDS.Function.id;
      const r = this.state.r;
      if (!r.isNone(id + FIELDS.BindingIdentifier.name)) return r.str(id + FIELDS.BindingIdentifier.name);
    }
    return this.functionNames.get(pos);
  }
}

/**
 * Arrows and functions with a body open a scope; TypeScript's bodiless signatures (`declare
 * function f(): void`, overloads), which the ESTree names `TSDeclareFunction` and
 * `TSEmptyBodyFunctionExpression`, do not.
 */
function opensScope(s: PositionState, type: string, pos: number): boolean {
  if (type !== 'Function') return true;
  const kind = VALUES.FunctionType[s.r.buffer[pos + FIELDS.Function.type]!];
  return kind === 'FunctionDeclaration' || kind === 'FunctionExpression';
}

/** Whether a `Function` node is a declaration (`function f(){}`), not an expression. */
export function isFunctionDeclaration(s: PositionState, pos: number): boolean {
  return VALUES.FunctionType[s.r.buffer[pos + FIELDS.Function.type]!] === 'FunctionDeclaration';
}
