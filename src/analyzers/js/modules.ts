import {
  type AstNode,
  asNode,
  callArguments,
  calledFunction,
  callee,
  dottedPath,
  identifierName,
  memberName,
  stringElements,
  stringValue,
  unwrap,
} from './ast.js';
import type { ModuleRef, SymbolInfo, WalkContext } from './context.js';

/** `node:fs/promises` -> `fs`, `fs-extra` and `graceful-fs` -> `fs`: one name per capability. */
export function normalizeModule(specifier: string): string {
  let name = specifier.startsWith('node:') ? specifier.slice(5) : specifier;
  if (name.endsWith('/promises')) name = name.slice(0, -9);
  if (name === 'fs-extra' || name === 'graceful-fs' || name === 'original-fs') return 'fs';
  return name;
}

/** The module of `require('x')`, `import('x')` or `await import('x')` with a constant specifier. */
export function requiredModule(node: AstNode | undefined, ctx: WalkContext): string | undefined {
  const inner = unwrap(node);
  if (!inner) return undefined;
  if (inner.type === 'ImportExpression') {
    const spec = constantString(asNode(inner.source), ctx);
    return spec === undefined ? undefined : normalizeModule(spec);
  }
  if (inner.type !== 'CallExpression') return undefined;
  const fn = calledFunction(inner);
  const args = callArguments(inner);
  // `require.call(null, 'x')`, `require.apply(null, ['x'])`: the same load, its specifier one place on.
  const through = fn?.type === 'MemberExpression' ? memberName(fn) : undefined;
  if ((through === 'call' || through === 'apply') && isRequireFunction(asNode(fn!.object), ctx)) {
    const spec = through === 'call' ? constantString(args[1], ctx) : stringElements(args[1])?.[0];
    return spec === undefined ? undefined : normalizeModule(spec);
  }
  const isRequire =
    isRequireFunction(fn, ctx) || (fn?.type === 'MemberExpression' && isLoaderMember(fn, ctx));
  if (!isRequire) return undefined;
  const spec = constantString(args[0], ctx);
  return spec === undefined ? undefined : normalizeModule(spec);
}

/** `require`, or a name bound to it (`const r = require`, `createRequire(...)`). */
function isRequireFunction(node: AstNode | undefined, ctx: WalkContext): boolean {
  return identifierName(node) === 'require' || aliasedGlobal(node, ctx) === 'require';
}

/** A string literal, or a name bound to one. */
export function constantString(node: AstNode | undefined, ctx: WalkContext): string | undefined {
  const literal = stringValue(node);
  if (literal !== undefined) return literal;
  const name = identifierName(node);
  return name === undefined ? undefined : ctx.lookup(name)?.constant;
}

/**
 * A member that loads a module like `require`: `module.require`, `process.mainModule.require`,
 * `require.main.require`, and Node's internal `Module._load` (`module.constructor._load`,
 * `require('module')._load`).
 */
function isLoaderMember(fn: AstNode, ctx: WalkContext): boolean {
  const member = memberName(fn);
  if (member === 'require') return true;
  if (member !== '_load') return false;
  const object = asNode(fn.object);
  return dottedPath(object) === 'module.constructor' || resolveModule(object, ctx)?.module === 'module';
}

/**
 * What module (and member) an expression denotes: `cp`, `require('child_process')`,
 * `require('child_process').exec`, `fs.promises.writeFile`, `cp['exec']`.
 */
export function resolveModule(node: AstNode | undefined, ctx: WalkContext, depth = 0): ModuleRef | undefined {
  const inner = unwrap(node);
  if (!inner) return undefined;
  if (inner.type === 'Identifier') return ctx.lookup(inner.name as string)?.module;
  if (inner.type === 'ConditionalExpression' || inner.type === 'LogicalExpression') {
    // `cond ? require('x') : null`, `cached || require('x')`: the module a branch holds (the first).
    if (depth >= MAX_WRAPPING_DEPTH) return undefined;
    const conditional = inner.type === 'ConditionalExpression';
    return (
      resolveModule(asNode(conditional ? inner.consequent : inner.left), ctx, depth + 1) ??
      resolveModule(asNode(conditional ? inner.alternate : inner.right), ctx, depth + 1)
    );
  }
  if (inner.type === 'CallExpression' && depth < MAX_WRAPPING_DEPTH) {
    const wrapped = wrappedFunction(inner, ctx);
    if (wrapped !== undefined) return resolveModule(wrapped, ctx, depth + 1);
  }
  if (inner.type === 'MemberExpression') {
    // `this.cp`, where the file kept a module on `this`.
    if (ctx.thisModules.size > 0 && unwrap(asNode(inner.object))?.type === 'ThisExpression') {
      const name = memberName(inner);
      return name === undefined ? undefined : ctx.thisModules.get(name);
    }
    const base = resolveModule(asNode(inner.object), ctx);
    if (!base) return undefined;
    const name =
      memberName(inner) ?? (inner.computed ? constantString(asNode(inner.property), ctx) : undefined);
    if (name === undefined || isPromiseMember(name, asNode(inner.object))) return undefined;
    if (base.member === undefined) return { module: base.module, member: name };
    // fs.promises.writeFile, fs.default.writeFile
    if (base.member === 'promises' || base.member === 'default') return { module: base.module, member: name };
    return undefined;
  }
  const required = requiredModule(inner, ctx);
  return required === undefined ? undefined : { module: required };
}

/** How many branches and wrappers deep a module is looked for: `a || b || c` nests one per operator. */
export const MAX_WRAPPING_DEPTH = 8;

/**
 * `util.promisify(cp.exec)`, `cp.exec.bind(cp)`: the function a call wraps, which the result
 * calls as it would.
 */
function wrappedFunction(call: AstNode, ctx: WalkContext): AstNode | undefined {
  const fn = callee(call);
  const member = memberName(fn);
  if (member === 'bind') return asNode(fn!.object);
  if ((member ?? identifierName(fn)) !== 'promisify') return undefined;
  const ref = resolveModule(fn, ctx);
  return ref?.module === 'util' && ref.member === 'promisify' ? callArguments(call)[0] : undefined;
}

/**
 * `import('https').then(...)`: a dynamic import is a promise, and its `then`, `catch` and
 * `finally` are the promise's, not the module's (`https.then` is no network call).
 */
export const PROMISE_MEMBERS: ReadonlySet<string> = new Set(['then', 'catch', 'finally']);

function isPromiseMember(name: string, object: AstNode | undefined): boolean {
  return PROMISE_MEMBERS.has(name) && unwrap(object)?.type === 'ImportExpression';
}

function memo(node: AstNode, ctx: WalkContext): void {
  if (ctx.memoNode === node) return;
  ctx.memoNode = node;
  ctx.memoPath = dottedPath(callee(node));
  ctx.memoHasModule = false;
  ctx.memoModule = undefined;
}

/** `dottedPath(callee(node))`, computed once per call node however many handlers ask. */
export function calleePath(node: AstNode, ctx: WalkContext): string | undefined {
  memo(node, ctx);
  return ctx.memoPath;
}

/** `resolveModule(callee(node))`, computed once per call node however many handlers ask. */
export function calleeModule(node: AstNode, ctx: WalkContext): ModuleRef | undefined {
  memo(node, ctx);
  if (!ctx.memoHasModule) {
    ctx.memoModule = resolveModule(callee(node), ctx);
    ctx.memoHasModule = true;
  }
  return ctx.memoModule;
}

/** What a symbol stands for among `process` and `process.env`, by binding or by module. */
export function processRoleOf(info: SymbolInfo | undefined): 'process' | 'env' | undefined {
  if (info === undefined) return undefined;
  if (info.isProcessEnv) return 'env';
  if (info.isProcess) return 'process';
  if (info.module?.module !== 'process') return undefined;
  if (info.module.member === undefined || info.module.member === 'default') return 'process';
  return info.module.member === 'env' ? 'env' : undefined;
}

/**
 * Whether an expression is the `process` object or `process.env`: `process` (unless a local name
 * hides it), `globalThis.process`, `require('process')`, `process['env']`, or a name bound to
 * either (`const p = process`, `const { env } = process`, `import { env } from 'node:process'`).
 */
export function processRole(node: AstNode | undefined, ctx: WalkContext): 'process' | 'env' | undefined {
  const inner = unwrap(node);
  if (!inner) return undefined;
  if (inner.type === 'Identifier') {
    const name = inner.name as string;
    if (name === 'process') {
      const info = ctx.lookup(name);
      return info?.module === undefined ? 'process' : processRoleOf(info);
    }
    return ctx.processAliases === 0 ? undefined : processRoleOf(ctx.lookup(name));
  }
  if (inner.type === 'CallExpression')
    return requiredModule(inner, ctx) === 'process' ? 'process' : undefined;
  if (inner.type !== 'MemberExpression') return undefined;
  const name = memberName(inner);
  const object = asNode(inner.object);
  if (name === 'env') return processRole(object, ctx) === 'process' ? 'env' : undefined;
  if (name !== 'process') return undefined;
  const path = dottedPath(object);
  return path === 'globalThis' || path === 'global' ? 'process' : undefined;
}

/**
 * The global functions a name can stand for (`const e = eval; e(code)`), so that calling it
 * through the name is calling them: code, network and module loading.
 */
export const ALIASED_GLOBALS: ReadonlySet<string> = new Set([
  'eval',
  'Function',
  'require',
  'fetch',
  'XMLHttpRequest',
  'WebSocket',
  'EventSource',
]);
/** The objects that hold the globals (`window.fetch`, `globalThis.eval`): one set for every family. */
export const GLOBAL_OBJECTS: ReadonlySet<string> = new Set(['window', 'self', 'globalThis', 'global']);

/**
 * Which of `ALIASED_GLOBALS` an expression is, as a value to bind: `eval` (not hidden by a local
 * name), `window.fetch`, or a name already bound to one.
 */
export function globalValue(node: AstNode | undefined, ctx: WalkContext): string | undefined {
  const inner = unwrap(node);
  if (!inner) return undefined;
  if (inner.type === 'Identifier') {
    const name = inner.name as string;
    const info = ctx.lookup(name);
    if (info === undefined) return ALIASED_GLOBALS.has(name) ? name : undefined;
    return info.global;
  }
  if (inner.type === 'CallExpression') return isCreateRequire(resolveModule(asNode(inner.callee), ctx));
  if (inner.type !== 'MemberExpression') return undefined;
  if (reachesFunctionConstructor(inner)) return 'Function';
  const name = memberName(inner);
  const base = identifierName(asNode(inner.object));
  return name !== undefined && base !== undefined && GLOBAL_OBJECTS.has(base) && ALIASED_GLOBALS.has(name)
    ? name
    : undefined;
}

/**
 * `createRequire(import.meta.url)` (from `module`) makes a `require`: ES modules load CommonJS,
 * and `child_process`, through it. 'require' when the callee is that function.
 */
export function isCreateRequire(callee: ModuleRef | undefined): 'require' | undefined {
  return callee?.module === 'module' && callee.member === 'createRequire' ? 'require' : undefined;
}

/** The global function a callee named otherwise stands for (`e` after `const e = eval`). */
export function aliasedGlobal(node: AstNode | undefined, ctx: WalkContext): string | undefined {
  if (ctx.globalAliases === 0) return undefined;
  const name = identifierName(node);
  return name === undefined ? undefined : ctx.lookup(name)?.global;
}

/**
 * Whether an expression is the Function constructor reached through `.constructor`: of a function
 * (`(function(){}).constructor`, `(async () => {}).constructor`), of a constructor
 * (`''.constructor.constructor`), of an array literal's method (`[].filter.constructor`), or of
 * `Function.prototype`.
 */
export function reachesFunctionConstructor(node: AstNode | undefined): boolean {
  const inner = unwrap(node);
  if (inner?.type !== 'MemberExpression' || memberName(inner) !== 'constructor') return false;
  const object = unwrap(asNode(inner.object));
  if (object?.type === 'FunctionExpression' || object?.type === 'ArrowFunctionExpression') return true;
  if (object?.type !== 'MemberExpression') return false;
  const objectName = memberName(object);
  // `Function.prototype.constructor` is `Function` itself.
  if (objectName === 'prototype') return identifierName(asNode(object.object)) === 'Function';
  return objectName === 'constructor' || unwrap(asNode(object.object))?.type === 'ArrayExpression';
}
