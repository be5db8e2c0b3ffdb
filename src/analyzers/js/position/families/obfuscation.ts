import { DECODER_PATHS, MANGLED } from '../../families/obfuscation.js';
import { GLOBAL_OBJECTS } from '../../modules.js';
import type { PositionFamily } from '../dispatch.js';
import { FIELDS, TAGS, VALUES, VEC_STRIDES } from '../layout.generated.js';
import { calleeName, calleeSymbol, constantString, type PositionState, span } from '../modules.js';
import { DIRECTIVES } from '../raw-data.js';
import { isMemberTag, NO_EXPRESSION } from '../read.js';

const E = TAGS.Expression;
const CALLEE = FIELDS.CallExpression.callee;
const OBJECT = FIELDS.StaticMemberExpression.object;

/** The names of a function's plain parameters (`function(p, a, c)`), '' for any other kind. */
function parameterNames(s: PositionState, fn: number): string[] {
  const r = s.r;
  const params = r.int32[(fn + FIELDS.Function.params) >> 2]!;
  const items = params + FIELDS.FormalParameters.items;
  const names: string[] = [];
  for (let i = 0; i < r.vecLength(items); i++) {
    const param = r.vecStart(items) + i * VEC_STRIDES.FormalParameter;
    // A parameter with a default is an AssignmentPattern in ESTree: no name of its own.
    const plain = r.isNone(param + FIELDS.FormalParameter.initializer);
    names.push((plain ? r.bindingName(param + FIELDS.FormalParameter.pattern) : undefined) ?? '');
  }
  return names;
}

/** javascript-obfuscator's names: a function named or parameterised `_0x1a2b3c`. */
function onFunction(fn: number, s: PositionState): void {
  const r = s.r;
  const kind = VALUES.FunctionType[r.buffer[fn + FIELDS.Function.type]!];
  if (kind !== 'FunctionDeclaration' && kind !== 'FunctionExpression') return;
  const id = fn + FIELDS.Function.id + FIELDS.BindingIdentifier.name;
  const own = r.isNone(id) ? undefined : r.str(id);
  if (own !== undefined && MANGLED.test(own)) {
    s.ctx.emit('obfuscation.mangled-identifier', span(s, fn), own);
    return;
  }
  for (const name of parameterNames(s, fn)) {
    if (name !== '' && MANGLED.test(name)) {
      s.ctx.emit('obfuscation.mangled-identifier', span(s, fn), name);
      return;
    }
  }
}

function unaryOperator(s: PositionState, unary: number): string | undefined {
  return VALUES.UnaryOperator[s.r.buffer[unary + FIELDS.UnaryExpression.operator]!];
}

/** `![]`, `+[]`, `+!!false`: coercions no person writes, the building blocks of obfuscators and JSFuck. */
function onUnary(unary: number, s: PositionState): void {
  const r = s.r;
  const operator = unaryOperator(s, unary);
  if (operator !== '!' && operator !== '+') return;
  const argument = r.unwrap(unary + FIELDS.UnaryExpression.argument);
  if (r.tag() === E.ArrayExpression && r.arrayLength(argument) === 0) {
    s.ctx.emitOncePerLine('obfuscation.boolean-trick', span(s, unary), `${operator}[]`);
    return;
  }
  if (operator === '+' && r.tag() === E.UnaryExpression && unaryOperator(s, argument) === '!') {
    const inner = r.unwrap(argument + FIELDS.UnaryExpression.argument);
    if (r.tag() === E.UnaryExpression && unaryOperator(s, inner) === '!') {
      r.unwrap(inner + FIELDS.UnaryExpression.argument);
      if (r.tag() === E.BooleanLiteral)
        s.ctx.emitOncePerLine('obfuscation.boolean-trick', span(s, unary), '+!!boolean');
    }
  }
}

function onCall(call: number, s: PositionState): void {
  const r = s.r;
  const ctx = s.ctx;
  const fn = r.unwrap(call + CALLEE);
  const fnTag = r.tag();
  const first = r.argument(call, 0);
  // The rotation loop of the string array: `arr.push(arr.shift())` (or `arr['push'](arr['shift']())`).
  if (isMemberTag(fnTag) && r.memberNameAt(fn, fnTag) === 'push' && first !== -1) {
    const argument = r.unwrap(first);
    if (r.tag() === E.CallExpression) {
      const inner = r.unwrap(argument + CALLEE);
      const innerTag = r.tag();
      const array = r.identifierName(fn + OBJECT);
      if (
        array !== undefined &&
        isMemberTag(innerTag) &&
        r.memberNameAt(inner, innerTag) === 'shift' &&
        r.identifierName(inner + OBJECT) === array
      )
        ctx.emitOncePerLine(
          'obfuscation.string-array',
          span(s, call),
          `${array}.push(${array}.shift()) rotation`,
        );
    }
  }
  const name = calleeName(s, call);
  // Dean Edwards' packer: eval(function(p,a,c,k,e,d){...}(...)).
  if (name === 'eval') {
    if (first === -1) return;
    const packed = r.unwrap(first);
    if (r.tag() !== E.CallExpression) return;
    const inner = r.unwrap(packed + CALLEE);
    if (r.tag() !== E.Function) return;
    const params = parameterNames(s, inner).join(',');
    if (params.startsWith('p,a,c,k')) ctx.emit('obfuscation.packer', span(s, call), `function(${params})`);
    return;
  }
  // A home-made char-code decoder applied to a constant: `g('72657175697265')`, `rot13(x)`.
  if (name !== undefined && calleeSymbol(s, call)?.isDecoder && first !== -1) {
    const value = constantString(s, first);
    if (value !== undefined && value.length >= 3)
      ctx.emit('obfuscation.decoder-call', span(s, call), `${name}('${value.slice(0, 24)}')`);
  }
}

/** `global[Buffer.from([66, 117, ...])]`, `self[k(i)]`: a global reached by a computed, decoded name. */
function onComputedMember(member: number, s: PositionState): void {
  const r = s.r;
  const base = r.identifierName(member + OBJECT);
  if (base === undefined || !GLOBAL_OBJECTS.has(base) || s.ctx.lookup(base) !== undefined) return;
  if (looksDecoded(s, member + FIELDS.ComputedMemberExpression.property, 0))
    s.ctx.emit('obfuscation.global-lookup', span(s, member), `${base}[decoded name]`);
}

/** A call that decodes: a known decoder, a home-made one, or `.toString()`/`.join()` over one. */
function looksDecoded(s: PositionState, slot: number, depth: number): boolean {
  const r = s.r;
  const call = r.unwrap(slot);
  if (r.tag() !== E.CallExpression || depth > 4) return false;
  const fn = r.unwrap(call + CALLEE);
  const fnTag = r.tag();
  const name = r.identifierName(call + CALLEE);
  if (name !== undefined) return s.ctx.lookup(name)?.isDecoder === true || DECODER_PATHS.has(name);
  const path = r.dottedPath(call + CALLEE);
  if (path !== undefined && DECODER_PATHS.has(path)) return true;
  if (isMemberTag(fnTag)) return looksDecoded(s, fn + OBJECT, depth + 1);
  return false;
}

/** What a function's body returns when it is a single `return x` (or an arrow's expression `() => x`). */
function returnedSlot(s: PositionState, fn: number, tag: number): number {
  const r = s.r;
  let body: number;
  if (tag === E.ArrowFunctionExpression) {
    const slot = fn + FIELDS.ArrowFunctionExpression.body;
    if (r.buffer[slot] !== TAGS.ArrowFunctionBody.FunctionBody) return slot;
    body = r.int32[(slot + 8) >> 2]!;
  } else {
    if (r.isNone(fn + FIELDS.Function.body)) return -1;
    body = r.int32[(fn + FIELDS.Function.body) >> 2]!;
  }
  // ESTree's block holds the directives too.
  const statements = body + FIELDS.FunctionBody.body;
  if (r.vecLength(statements) !== 1 || r.vecLength(body + DIRECTIVES.FunctionBody) !== 0) return -1;
  const statement = r.vecStart(statements);
  if (r.buffer[statement] !== TAGS.Statement.ReturnStatement) return -1;
  return r.int32[(statement + 8) >> 2]! + FIELDS.ReturnStatement.argument;
}

/**
 * The string-array function of javascript-obfuscator: `function a(){ var s = [...]; a = function(){ return s; };
 * return a(); }`: a function that replaces itself with a getter of its own string array.
 */
function onAssignment(assignment: number, s: PositionState): void {
  const r = s.r;
  const ctx = s.ctx;
  const target = r.assignmentTargetName(assignment + FIELDS.AssignmentExpression.left);
  if (target === undefined || target !== ctx.scope.name) return;
  const right = r.unwrap(assignment + FIELDS.AssignmentExpression.right);
  const tag = r.tag();
  if (tag === E.Function) {
    if (VALUES.FunctionType[r.buffer[right + FIELDS.Function.type]!] !== 'FunctionExpression') return;
  } else if (tag !== E.ArrowFunctionExpression) return;
  const returned = returnedSlot(s, right, tag);
  if (returned === -1 || r.buffer[returned] === NO_EXPRESSION) return;
  const name = r.identifierName(returned);
  if (name === undefined) return;
  // Only with its string array: a function that memoises itself (`f = () => data`, prom-client's
  // lazy `require('cluster')`) has the same shape and is ordinary code.
  const array = ctx.lookup(name)?.stringArray;
  if (!array) return;
  ctx.emit('obfuscation.string-array', span(s, assignment), `${target} returns ${name}`);
  ctx.emit('obfuscation.string-array', array, `${name}: string array`);
}

/** Obfuscator signatures; entropy and hidden code are measured over literals and lines elsewhere. */
export const obfuscationFamily: PositionFamily = {
  name: 'obfuscation',
  enter: {
    Function: onFunction,
    UnaryExpression: onUnary,
    CallExpression: onCall,
    ComputedMemberExpression: onComputedMember,
  },
  exit: {
    AssignmentExpression: onAssignment,
  },
};
