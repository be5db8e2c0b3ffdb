import { COMPARISONS, DATE_GETTERS } from '../../families/time-bomb.js';
import type { PositionFamily } from '../dispatch.js';
import { FIELDS, TAGS, VALUES, VEC_STRIDES } from '../layout.generated.js';
import { type PositionState, span } from '../modules.js';
import { isMemberTag } from '../read.js';

const E = TAGS.Expression;
const CALLEE = FIELDS.CallExpression.callee;
const OBJECT = FIELDS.StaticMemberExpression.object;

/** `Date.now()`, `new Date()`, `new Date().getFullYear()`, `+new Date`: the current time. */
function isNow(s: PositionState, slot: number): boolean {
  const r = s.r;
  const node = r.unwrap(slot);
  const tag = r.tag();
  if (tag === E.CallExpression) {
    const path = r.dottedPath(node + CALLEE);
    if (path === 'Date.now' || path === 'performance.timeOrigin') return true;
    const fn = r.unwrap(node + CALLEE);
    const fnTag = r.tag();
    if (isMemberTag(fnTag) && DATE_GETTERS.has(r.memberNameAt(fn, fnTag) ?? '')) return isNow(s, fn + OBJECT);
    return false;
  }
  if (tag === E.NewExpression)
    return r.dottedPath(node + CALLEE) === 'Date' && r.vecLength(node + FIELDS.NewExpression.arguments) === 0;
  if (
    tag === E.UnaryExpression &&
    VALUES.UnaryOperator[r.buffer[node + FIELDS.UnaryExpression.operator]!] === '+'
  )
    return isNow(s, node + FIELDS.UnaryExpression.argument);
  return false;
}

/** A fixed moment: a millisecond or second timestamp, a year, or `new Date('2026-01-01')`. */
function isFixedDate(s: PositionState, slot: number): boolean {
  const r = s.r;
  const node = r.unwrap(slot);
  const tag = r.tag();
  if (tag === E.NumericLiteral) {
    const value = r.float64(node + FIELDS.NumericLiteral.value);
    return (
      (value >= 1e12 && value < 5e12) || (value >= 1.2e9 && value < 5e9) || (value >= 2000 && value <= 2100)
    );
  }
  if (tag === E.NewExpression || tag === E.CallExpression) {
    const path = r.dottedPath(node + CALLEE);
    const count = r.vecLength(node + FIELDS.CallExpression.arguments);
    if (path === 'Date.parse' || path === 'Date.UTC') return count > 0;
    if (path === 'Date' && tag === E.NewExpression) {
      if (count === 0) return false;
      const first = r.argument(node, 0);
      if (r.stringValue(first) !== undefined) return true;
      r.unwrap(first);
      const firstTag = r.tag();
      return (
        firstTag === E.StringLiteral ||
        firstTag === E.NumericLiteral ||
        firstTag === E.BooleanLiteral ||
        firstTag === E.NullLiteral ||
        firstTag === E.RegExpLiteral ||
        firstTag === E.BigIntLiteral
      );
    }
    const fn = r.unwrap(node + CALLEE);
    const fnTag = r.tag();
    if (isMemberTag(fnTag) && DATE_GETTERS.has(r.memberNameAt(fn, fnTag) ?? ''))
      return isFixedDate(s, fn + OBJECT);
  }
  return false;
}

function operatorOf(s: PositionState, node: number, tag: number): string | undefined {
  const byte = s.r.buffer[node + FIELDS.BinaryExpression.operator]!;
  return tag === E.BinaryExpression ? VALUES.BinaryOperator[byte] : VALUES.LogicalOperator[byte];
}

/** Looks for `now <op> fixed` inside a condition, bounded so a hostile condition cannot cost much. */
function hasDateComparison(s: PositionState, test: number): boolean {
  const r = s.r;
  const pending: number[] = [test];
  let budget = 64;
  while (pending.length > 0 && budget-- > 0) {
    const slot = pending.pop()!;
    const node = r.unwrap(slot);
    const tag = r.tag();
    if (tag === E.BinaryExpression && COMPARISONS.has(operatorOf(s, node, tag) ?? '')) {
      const left = node + FIELDS.BinaryExpression.left;
      const right = node + FIELDS.BinaryExpression.right;
      if ((isNow(s, left) && isFixedDate(s, right)) || (isNow(s, right) && isFixedDate(s, left))) return true;
      // now - fixed > span
      for (const side of [left, right]) {
        const inner = r.unwrap(side);
        if (r.tag() === E.BinaryExpression && operatorOf(s, inner, E.BinaryExpression) === '-') {
          const a = inner + FIELDS.BinaryExpression.left;
          const b = inner + FIELDS.BinaryExpression.right;
          if ((isNow(s, a) && isFixedDate(s, b)) || (isNow(s, b) && isFixedDate(s, a))) return true;
        }
      }
    }
    if (tag === E.LogicalExpression || tag === E.BinaryExpression) {
      pending.push(node + FIELDS.BinaryExpression.left, node + FIELDS.BinaryExpression.right);
    } else if (tag === E.UnaryExpression) {
      pending.push(node + FIELDS.UnaryExpression.argument);
    } else if (tag === E.SequenceExpression) {
      const expressions = node + FIELDS.SequenceExpression.expressions;
      for (let i = 0; i < r.vecLength(expressions); i++)
        pending.push(r.vecStart(expressions) + i * VEC_STRIDES.Expression);
    }
  }
  return false;
}

function onConditional(node: number, s: PositionState): void {
  // Both keep their test at the same offset.
  if (hasDateComparison(s, node + FIELDS.IfStatement.test))
    s.ctx.emit('time.date-gate', span(s, node), 'compares the current date with a fixed date');
}

/** Time bombs: code gated on the current date compared with a fixed one. The fact spans the gated code. */
export const timeBombFamily: PositionFamily = {
  name: 'time-bomb',
  enter: {
    IfStatement: onConditional,
    ConditionalExpression: onConditional,
  },
};
