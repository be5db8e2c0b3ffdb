import {
  type AstNode,
  asNode,
  callArguments,
  callee,
  children,
  dottedPath,
  identifierName,
  memberName,
  unwrap,
} from '../ast.js';
import type { WalkContext } from '../context.js';
import { constantString, GLOBAL_OBJECTS } from '../modules.js';
import type { Family } from '../walker.js';

export const MANGLED = /^_0x[0-9a-f]{3,}$/i;

function isEmptyArray(node: AstNode | undefined): boolean {
  return node?.type === 'ArrayExpression' && children(node, 'elements').length === 0;
}

function isBooleanLiteral(node: AstNode | undefined): boolean {
  return node?.type === 'Literal' && typeof node.value === 'boolean';
}

/** javascript-obfuscator's names: a function named or parameterised `_0x1a2b3c`. */
function onFunction(node: AstNode, ctx: WalkContext): void {
  const own = identifierName(asNode(node.id));
  if (own !== undefined && MANGLED.test(own)) {
    ctx.emit('obfuscation.mangled-identifier', node, own);
    return;
  }
  for (const param of children(node, 'params')) {
    const name = identifierName(param);
    if (name !== undefined && MANGLED.test(name)) {
      ctx.emit('obfuscation.mangled-identifier', node, name);
      return;
    }
  }
}

/** `![]`, `+[]`, `+!!false`: coercions no person writes, the building blocks of obfuscators and JSFuck. */
function onUnary(node: AstNode, ctx: WalkContext): void {
  const operator = node.operator;
  if (operator !== '!' && operator !== '+') return;
  const argument = unwrap(asNode(node.argument));
  if (isEmptyArray(argument)) {
    ctx.emitOncePerLine('obfuscation.boolean-trick', node, `${operator as string}[]`);
    return;
  }
  if (operator === '+' && argument?.type === 'UnaryExpression' && argument.operator === '!') {
    const inner = unwrap(asNode(argument.argument));
    if (
      inner?.type === 'UnaryExpression' &&
      inner.operator === '!' &&
      isBooleanLiteral(unwrap(asNode(inner.argument)))
    ) {
      ctx.emitOncePerLine('obfuscation.boolean-trick', node, '+!!boolean');
    }
  }
}

function onCall(node: AstNode, ctx: WalkContext): void {
  const fn = callee(node);
  const name = identifierName(fn);
  // The rotation loop of the string array: `arr.push(arr.shift())` (or `arr['push'](arr['shift']())`).
  if (fn?.type === 'MemberExpression' && memberName(fn) === 'push') {
    const argument = unwrap(callArguments(node)[0]);
    const inner = argument?.type === 'CallExpression' ? callee(argument) : undefined;
    const array = identifierName(asNode(fn.object));
    if (
      array !== undefined &&
      inner?.type === 'MemberExpression' &&
      memberName(inner) === 'shift' &&
      identifierName(asNode(inner.object)) === array
    ) {
      ctx.emitOncePerLine('obfuscation.string-array', node, `${array}.push(${array}.shift()) rotation`);
    }
  }
  // Dean Edwards' packer: eval(function(p,a,c,k,e,d){...}(...)).
  if (name === 'eval') {
    const packed = unwrap(callArguments(node)[0]);
    const inner = packed?.type === 'CallExpression' ? callee(packed) : undefined;
    if (inner?.type === 'FunctionExpression') {
      const params = children(inner, 'params')
        .map((param) => identifierName(param) ?? '')
        .join(',');
      if (params.startsWith('p,a,c,k')) ctx.emit('obfuscation.packer', node, `function(${params})`);
    }
    return;
  }
  // A home-made char-code decoder applied to a constant: `g('72657175697265')`, `rot13(x)`.
  if (name !== undefined && ctx.lookup(name)?.isDecoder) {
    const value = constantString(callArguments(node)[0], ctx);
    if (value !== undefined && value.length >= 3)
      ctx.emit('obfuscation.decoder-call', node, `${name}('${value.slice(0, 24)}')`);
  }
}

/** `global[Buffer.from([66, 117, ...])]`, `self[k(i)]`: a global reached by a computed, decoded name. */
function onMember(node: AstNode, ctx: WalkContext): void {
  if (!node.computed) return;
  const base = identifierName(asNode(node.object));
  if (base === undefined || !GLOBAL_OBJECTS.has(base) || ctx.lookup(base) !== undefined) return;
  if (looksDecoded(unwrap(asNode(node.property)), ctx))
    ctx.emit('obfuscation.global-lookup', node, `${base}[decoded name]`);
}

export const DECODER_PATHS = new Set([
  'Buffer.from',
  'atob',
  'String.fromCharCode',
  'unescape',
  'decodeURIComponent',
]);

/** A call that decodes: a known decoder, a home-made one, or `.toString()`/`.join()` over one. */
function looksDecoded(node: AstNode | undefined, ctx: WalkContext, depth = 0): boolean {
  if (node?.type !== 'CallExpression' || depth > 4) return false;
  const fn = callee(node);
  const name = identifierName(fn);
  if (name !== undefined) return ctx.lookup(name)?.isDecoder === true || DECODER_PATHS.has(name);
  const path = dottedPath(fn);
  if (path !== undefined && DECODER_PATHS.has(path)) return true;
  if (fn?.type === 'MemberExpression') return looksDecoded(unwrap(asNode(fn.object)), ctx, depth + 1);
  return false;
}

/**
 * The string-array function of javascript-obfuscator: `function a(){ var s = [...]; a = function(){ return s; };
 * return a(); }`: a function that replaces itself with a getter of its own string array.
 */
function onAssignment(node: AstNode, ctx: WalkContext): void {
  const target = identifierName(asNode(node.left));
  if (target === undefined || target !== ctx.scope.name) return;
  const right = unwrap(asNode(node.right));
  if (right?.type !== 'FunctionExpression' && right?.type !== 'ArrowFunctionExpression') return;
  let body = asNode(right.body);
  if (body?.type === 'BlockStatement') {
    const statements = children(body, 'body');
    body =
      statements.length === 1 && statements[0]?.type === 'ReturnStatement'
        ? asNode(statements[0].argument)
        : undefined;
  }
  const returned = identifierName(body);
  if (returned === undefined) return;
  // Only with its string array: a function that memoises itself (`f = () => data`, prom-client's
  // lazy `require('cluster')`) has the same shape and is ordinary code.
  const array = ctx.lookup(returned)?.stringArray;
  if (!array) return;
  ctx.emit('obfuscation.string-array', node, `${target} returns ${returned}`);
  ctx.emit('obfuscation.string-array', array, `${returned}: string array`);
}

/** Obfuscator signatures; entropy and hidden code are measured over literals and lines elsewhere. */
export const obfuscationFamily: Family = {
  name: 'obfuscation',
  enter: {
    FunctionDeclaration: onFunction,
    FunctionExpression: onFunction,
    UnaryExpression: onUnary,
    CallExpression: onCall,
    MemberExpression: onMember,
  },
  exit: {
    AssignmentExpression: onAssignment,
  },
};
