import { type AstNode, asNode, identifierName } from './ast.js';
import type { WalkContext } from './context.js';
import { childPusher, type PushChildren } from './walk-children.js';

export type Handler = (node: AstNode, ctx: WalkContext) => void;

/** One capability family: handlers by node type, called on the way in and on the way out. */
export interface Family {
  readonly name: string;
  readonly enter?: Readonly<Record<string, Handler>>;
  readonly exit?: Readonly<Record<string, Handler>>;
}

/** Node types whose handlers may ask what happened inside them (`ctx` marks). */
const MARKED_TYPES: ReadonlySet<string> = new Set([
  'VariableDeclarator',
  'AssignmentExpression',
  'CallExpression',
  'NewExpression',
  'Property',
  'FunctionDeclaration',
  'IfStatement',
  'ConditionalExpression',
]);

/** Functions, arrows included: in bundles most code lives in arrows, and pairing facts across them would join unrelated code. */
const SCOPE_TYPES: ReadonlySet<string> = new Set([
  'FunctionDeclaration',
  'FunctionExpression',
  'ArrowFunctionExpression',
]);

/** Everything the walk needs to know about one node type, looked up once per node. */
interface TypePlan {
  readonly enter: readonly Handler[] | undefined;
  readonly exit: readonly Handler[] | undefined;
  readonly pushChildren: PushChildren | undefined;
  readonly marked: boolean;
  readonly scope: boolean;
}

/**
 * Compiled dispatch: all families' handlers grouped by node type, so a walk calls only the
 * handlers that care about each node. Built once, reused for every file.
 */
export class Dispatcher {
  private readonly enterByType = new Map<string, Handler[]>();
  private readonly exitByType = new Map<string, Handler[]>();
  private readonly plans = new Map<string, TypePlan>();

  constructor(families: readonly Family[]) {
    for (const family of families) {
      for (const [type, handler] of Object.entries(family.enter ?? {})) add(this.enterByType, type, handler);
      for (const [type, handler] of Object.entries(family.exit ?? {})) add(this.exitByType, type, handler);
    }
  }

  private plan(type: string): TypePlan {
    let plan = this.plans.get(type);
    if (!plan) {
      plan = {
        enter: this.enterByType.get(type),
        exit: this.exitByType.get(type),
        pushChildren: childPusher(type),
        marked: MARKED_TYPES.has(type),
        scope: SCOPE_TYPES.has(type),
      };
      this.plans.set(type, plan);
    }
    return plan;
  }

  /**
   * One iterative depth-first walk (no recursion: a hostile file nested 100k deep must not
   * overflow the stack). Function scopes open after a function's enter handlers and close before
   * its exit handlers, so handlers on a function node see the scope that contains it.
   */
  walk(root: AstNode, ctx: WalkContext): void {
    const nodes: AstNode[] = [root];
    // The plan of each node on the stack once entered (undefined: not entered yet).
    const plans: Array<TypePlan | undefined> = [undefined];
    while (nodes.length > 0) {
      const top = nodes.length - 1;
      const node = nodes[top]!;
      const entered = plans[top];
      if (entered === undefined) {
        const plan = this.plan(node.type);
        plans[top] = plan;
        if (plan.marked) ctx.enterMarked();
        if (plan.enter) for (const handler of plan.enter) handler(node, ctx);
        if (plan.scope) ctx.pushScope(node, functionName(node, ctx));
        ctx.ancestors.push(node);
        if (plan.pushChildren === undefined) continue;
        plan.pushChildren(node, nodes);
        while (plans.length < nodes.length) plans.push(undefined);
      } else {
        nodes.pop();
        plans.pop();
        ctx.ancestors.pop();
        if (entered.scope) ctx.popScope();
        if (entered.marked) ctx.leaveMarked();
        if (entered.exit) for (const handler of entered.exit) handler(node, ctx);
      }
    }
  }
}

function add(map: Map<string, Handler[]>, type: string, handler: Handler): void {
  const list = map.get(type);
  if (list) list.push(handler);
  else map.set(type, [handler]);
}

/** `function f(){}`, `const f = function(){}`, `f = function(){}`: the name a function is bound to. */
function functionName(node: AstNode, ctx: WalkContext): string | undefined {
  const own = identifierName(asNode(node.id));
  if (own) return own;
  const parent = ctx.ancestors[ctx.ancestors.length - 1];
  if (parent?.type === 'VariableDeclarator') return identifierName(asNode(parent.id));
  if (parent?.type === 'AssignmentExpression') return identifierName(asNode(parent.left));
  return undefined;
}
