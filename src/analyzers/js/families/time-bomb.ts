import {
  type AstNode,
  asNode,
  callArguments,
  callee,
  children,
  dottedPath,
  isNode,
  memberName,
  stringValue,
  unwrap,
} from '../ast.js';
import type { WalkContext } from '../context.js';
import type { Family } from '../walker.js';

export const COMPARISONS = new Set(['<', '<=', '>', '>=', '===', '==', '!==', '!=']);
export const DATE_GETTERS = new Set([
  'getTime',
  'getFullYear',
  'getUTCFullYear',
  'getMonth',
  'getUTCMonth',
  'getDate',
  'getUTCDate',
  'valueOf',
]);

/** `Date.now()`, `new Date()`, `new Date().getFullYear()`, `+new Date`: the current time. */
function isNow(node: AstNode | undefined): boolean {
  const inner = unwrap(node);
  if (!inner) return false;
  if (inner.type === 'CallExpression') {
    const fn = callee(inner);
    if (dottedPath(fn) === 'Date.now' || dottedPath(fn) === 'performance.timeOrigin') return true;
    if (fn?.type === 'MemberExpression' && DATE_GETTERS.has(memberName(fn) ?? ''))
      return isNow(asNode(fn.object));
    return false;
  }
  if (inner.type === 'NewExpression')
    return dottedPath(callee(inner)) === 'Date' && callArguments(inner).length === 0;
  if (inner.type === 'UnaryExpression' && inner.operator === '+') return isNow(asNode(inner.argument));
  return false;
}

/** A fixed moment: a millisecond or second timestamp, a year, or `new Date('2026-01-01')`. */
function isFixedDate(node: AstNode | undefined): boolean {
  const inner = unwrap(node);
  if (!inner) return false;
  if (inner.type === 'Literal' && typeof inner.value === 'number') {
    const value = inner.value;
    return (
      (value >= 1e12 && value < 5e12) || (value >= 1.2e9 && value < 5e9) || (value >= 2000 && value <= 2100)
    );
  }
  if (inner.type === 'NewExpression' || inner.type === 'CallExpression') {
    const path = dottedPath(callee(inner));
    const args = callArguments(inner);
    if (path === 'Date.parse' || path === 'Date.UTC') return args.length > 0;
    if (path === 'Date' && inner.type === 'NewExpression') {
      return args.length > 0 && (stringValue(args[0]) !== undefined || unwrap(args[0])?.type === 'Literal');
    }
    const fn = callee(inner);
    if (fn?.type === 'MemberExpression' && DATE_GETTERS.has(memberName(fn) ?? ''))
      return isFixedDate(asNode(fn.object));
  }
  return false;
}

/** Looks for `now <op> fixed` inside a condition, bounded so a hostile condition cannot cost much. */
function hasDateComparison(test: AstNode | undefined): boolean {
  const pending: AstNode[] = test ? [test] : [];
  let budget = 64;
  while (pending.length > 0 && budget-- > 0) {
    const node = unwrap(pending.pop());
    if (!node) continue;
    if (node.type === 'BinaryExpression' && COMPARISONS.has(node.operator as string)) {
      const left = asNode(node.left);
      const right = asNode(node.right);
      if ((isNow(left) && isFixedDate(right)) || (isNow(right) && isFixedDate(left))) return true;
      // now - fixed > span
      for (const side of [left, right]) {
        const inner = unwrap(side);
        if (inner?.type === 'BinaryExpression' && inner.operator === '-') {
          if (
            (isNow(asNode(inner.left)) && isFixedDate(asNode(inner.right))) ||
            (isNow(asNode(inner.right)) && isFixedDate(asNode(inner.left)))
          )
            return true;
        }
      }
    }
    if (node.type === 'LogicalExpression' || node.type === 'BinaryExpression') {
      const left = asNode(node.left);
      const right = asNode(node.right);
      if (isNode(left)) pending.push(left);
      if (isNode(right)) pending.push(right);
    } else if (node.type === 'UnaryExpression') {
      const argument = asNode(node.argument);
      if (argument) pending.push(argument);
    } else if (node.type === 'SequenceExpression') {
      pending.push(...children(node, 'expressions'));
    }
  }
  return false;
}

function onConditional(node: AstNode, ctx: WalkContext): void {
  if (hasDateComparison(asNode(node.test)))
    ctx.emit('time.date-gate', node, 'compares the current date with a fixed date');
}

/** Time bombs: code gated on the current date compared with a fixed one. The fact spans the gated code. */
export const timeBombFamily: Family = {
  name: 'time-bomb',
  enter: {
    IfStatement: onConditional,
    ConditionalExpression: onConditional,
  },
};
