/**
 * What module a name or expression denotes, over the buffer: the position-walk counterparts of
 * `../modules.ts` (`requiredModule`, `constantString`, `resolveModule`, `calleePath`,
 * `calleeModule`), with the same answers. Arguments are slots of `Expression`-numbered fields.
 */
import type { ModuleRef, Span, SymbolInfo, WalkContext } from '../context.js';
import {
  ALIASED_GLOBALS,
  GLOBAL_OBJECTS,
  isCreateRequire,
  MAX_WRAPPING_DEPTH,
  normalizeModule,
  PROMISE_MEMBERS,
  processRoleOf,
} from '../modules.js';
import { FIELDS, TAGS } from './layout.generated.js';
import type { PositionReader } from './read.js';

const E = TAGS.Expression;
const CALLEE = FIELDS.CallExpression.callee;

/** What a position family's handlers work with: the reader over this file's tree, and the walk's state. */
export interface PositionState {
  readonly r: PositionReader;
  ctx: WalkContext;
}

/**
 * State a family keeps about one file (what it saw on the way down, for a node below to use),
 * made anew for each file: keyed by the walk's context, which is new for each file.
 */
export function perFile<T>(make: () => T): (s: PositionState) => T {
  let owner: WalkContext | undefined;
  let state: T | undefined;
  return (s) => {
    if (owner !== s.ctx || state === undefined) {
      owner = s.ctx;
      state = make();
    }
    return state;
  };
}

/** A node's span, for `ctx.emit`. */
export function span(s: PositionState, pos: number): Span {
  return { start: s.r.start(pos), end: s.r.end(pos) };
}

/** A string literal, or a name bound to one. */
export function constantString(s: PositionState, slot: number): string | undefined {
  const literal = s.r.stringValue(slot);
  if (literal !== undefined) return literal;
  const name = s.r.identifierName(slot);
  return name === undefined ? undefined : s.ctx.lookup(name)?.constant;
}

/** The module of `require('x')`, `import('x')` or `await import('x')` with a constant specifier. */
export function requiredModule(s: PositionState, slot: number): string | undefined {
  const pos = s.r.unwrap(slot);
  const tag = s.r.tag();
  if (tag === E.ImportExpression) {
    const spec = constantString(s, pos + FIELDS.ImportExpression.source);
    return spec === undefined ? undefined : normalizeModule(spec);
  }
  return tag === E.CallExpression ? requiredModuleOfCall(s, pos) : undefined;
}

/** The module a call requires, when it is `require('x')` or `module.require('x')`. */
export function requiredModuleOfCall(s: PositionState, call: number): string | undefined {
  const r = s.r;
  const fnSlot = r.calledFunctionSlot(call);
  const fn = r.unwrap(fnSlot);
  const tag = r.tag();
  const member =
    tag === E.StaticMemberExpression || tag === E.ComputedMemberExpression
      ? r.memberNameAt(fn, tag)
      : undefined;
  // `require.call(null, 'x')`, `require.apply(null, ['x'])` (see `../modules.ts`).
  if (
    (member === 'call' || member === 'apply') &&
    isRequireFunction(s, fn + FIELDS.StaticMemberExpression.object)
  ) {
    const second = r.argument(call, 1);
    const spec =
      second === -1
        ? undefined
        : member === 'call'
          ? constantString(s, second)
          : r.stringElements(second)?.[0];
    return spec === undefined ? undefined : normalizeModule(spec);
  }
  const isRequire = isRequireFunction(s, fnSlot) || (member !== undefined && isLoaderMember(s, fn, member));
  if (!isRequire) return undefined;
  const first = r.argument(call, 0);
  const spec = first === -1 ? undefined : constantString(s, first);
  return spec === undefined ? undefined : normalizeModule(spec);
}

/** `../modules.ts`'s `isRequireFunction`: `require`, or a name bound to it. */
function isRequireFunction(s: PositionState, slot: number): boolean {
  const r = s.r;
  const pos = r.unwrap(slot);
  if (r.tag() === E.IdentifierReference && r.str(pos + FIELDS.IdentifierReference.name) === 'require')
    return true;
  return aliasedGlobal(s, slot) === 'require';
}

/** `../modules.ts`'s `isLoaderMember`: a member node that loads a module like `require`. */
function isLoaderMember(s: PositionState, fn: number, member: string): boolean {
  if (member === 'require') return true;
  if (member !== '_load') return false;
  const object = fn + FIELDS.StaticMemberExpression.object;
  return s.r.dottedPath(object) === 'module.constructor' || resolveModule(s, object)?.module === 'module';
}

/**
 * What module (and member) an expression denotes: `cp`, `require('child_process')`,
 * `require('child_process').exec`, `fs.promises.writeFile`, `cp['exec']`.
 */
export function resolveModule(s: PositionState, slot: number, depth = 0): ModuleRef | undefined {
  const r = s.r;
  const pos = r.unwrap(slot);
  const tag = r.tag();
  if (tag === E.IdentifierReference)
    return s.ctx.lookup(r.str(pos + FIELDS.IdentifierReference.name))?.module;
  if (tag === E.ConditionalExpression || tag === E.LogicalExpression) {
    // `cond ? require('x') : null`, `cached || require('x')` (see `../modules.ts`).
    if (depth >= MAX_WRAPPING_DEPTH) return undefined;
    const conditional = tag === E.ConditionalExpression;
    return (
      resolveModule(
        s,
        pos + (conditional ? FIELDS.ConditionalExpression.consequent : FIELDS.LogicalExpression.left),
        depth + 1,
      ) ??
      resolveModule(
        s,
        pos + (conditional ? FIELDS.ConditionalExpression.alternate : FIELDS.LogicalExpression.right),
        depth + 1,
      )
    );
  }
  if (tag === E.StaticMemberExpression || tag === E.ComputedMemberExpression) {
    // `this.cp`, where the file kept a module on `this` (see `../modules.ts`).
    if (s.ctx.thisModules.size > 0) {
      r.unwrap(pos + FIELDS.StaticMemberExpression.object);
      if (r.tag() === E.ThisExpression) {
        const name = r.memberNameAt(pos, tag);
        return name === undefined ? undefined : s.ctx.thisModules.get(name);
      }
    }
    const base = resolveModule(s, pos + FIELDS.StaticMemberExpression.object);
    if (!base) return undefined;
    const name =
      r.memberName(slot) ??
      (tag === E.ComputedMemberExpression
        ? constantString(s, pos + FIELDS.ComputedMemberExpression.property)
        : undefined);
    if (name === undefined) return undefined;
    if (PROMISE_MEMBERS.has(name)) {
      // `import('https').then(...)`: the promise's member, not the module's (see `../modules.ts`).
      r.unwrap(pos + FIELDS.StaticMemberExpression.object);
      if (r.tag() === E.ImportExpression) return undefined;
    }
    if (base.member === undefined) return { module: base.module, member: name };
    // fs.promises.writeFile, fs.default.writeFile
    if (base.member === 'promises' || base.member === 'default') return { module: base.module, member: name };
    return undefined;
  }
  if (tag === E.ImportExpression) {
    const spec = constantString(s, pos + FIELDS.ImportExpression.source);
    return spec === undefined ? undefined : { module: normalizeModule(spec) };
  }
  if (tag !== E.CallExpression) return undefined;
  if (depth < MAX_WRAPPING_DEPTH) {
    const wrapped = wrappedFunction(s, pos);
    if (wrapped !== -1) return resolveModule(s, wrapped, depth + 1);
  }
  const required = requiredModuleOfCall(s, pos);
  return required === undefined ? undefined : { module: required };
}

/** `../modules.ts`'s `wrappedFunction`: the slot of the function `util.promisify(f)` or `f.bind(x)` wraps, or -1. */
function wrappedFunction(s: PositionState, call: number): number {
  const r = s.r;
  const fn = r.unwrap(call + CALLEE);
  const tag = r.tag();
  let name: string | undefined;
  if (tag === E.StaticMemberExpression) {
    // `bind` is 4 bytes, `promisify` 9: other names are not read.
    const bytes = r.strBytes(fn + FIELDS.StaticMemberExpression.property + FIELDS.IdentifierName.name);
    if (bytes !== 4 && bytes !== 9) return -1;
    name = r.memberNameAt(fn, tag);
    if (name === 'bind') return fn + FIELDS.StaticMemberExpression.object;
  } else if (tag === E.IdentifierReference) {
    if (r.strBytes(fn + FIELDS.IdentifierReference.name) !== 9) return -1;
    name = r.str(fn + FIELDS.IdentifierReference.name);
  } else if (tag === E.ComputedMemberExpression) {
    name = r.memberNameAt(fn, tag);
    if (name === 'bind') return fn + FIELDS.StaticMemberExpression.object;
  }
  if (name !== 'promisify') return -1;
  const ref = resolveModule(s, call + CALLEE);
  return ref?.module === 'util' && ref.member === 'promisify' ? r.argument(call, 0) : -1;
}

function memo(s: PositionState, call: number): void {
  const ctx = s.ctx;
  if (ctx.memoNode === call) return;
  ctx.memoNode = call;
  ctx.memoPath = s.r.dottedPath(call + CALLEE);
  ctx.memoHasModule = false;
  ctx.memoModule = undefined;
}

/** Per-call memo of the callee's identifier name and what the scopes know of it. */
let nameCall = -1;
let nameCtx: WalkContext | undefined;
let memoName: string | undefined;
let memoSymbol: SymbolInfo | undefined;
let memoHasSymbol = false;
let memoSymbolsVersion = -1;
let memoScopeDepth = -1;

function memoCalleeName(s: PositionState, call: number): void {
  if (nameCall === call && nameCtx === s.ctx) return;
  nameCall = call;
  nameCtx = s.ctx;
  memoName = s.r.identifierName(call + CALLEE);
  memoHasSymbol = false;
  memoSymbol = undefined;
}

/** The callee's name when it is a plain identifier (`eval(...)`, `f(...)`), computed once per call. */
export function calleeName(s: PositionState, call: number): string | undefined {
  memoCalleeName(s, call);
  return memoName;
}

/** `ctx.lookup(calleeName(...))`, computed once per call however many handlers ask. */
export function calleeSymbol(s: PositionState, call: number): SymbolInfo | undefined {
  memoCalleeName(s, call);
  // Scopes close and names are declared inside a call's arguments: its exit handlers look again.
  if (!memoHasSymbol || memoSymbolsVersion !== s.ctx.symbolsVersion || memoScopeDepth !== s.ctx.scopeDepth) {
    memoSymbol = memoName === undefined ? undefined : s.ctx.lookup(memoName);
    memoHasSymbol = true;
    memoSymbolsVersion = s.ctx.symbolsVersion;
    memoScopeDepth = s.ctx.scopeDepth;
  }
  return memoSymbol;
}

/** The callee's dotted path of a call or `new`, computed once however many handlers ask. */
export function calleePath(s: PositionState, call: number): string | undefined {
  memo(s, call);
  return s.ctx.memoPath;
}

/** The module the callee of a call or `new` denotes, computed once however many handlers ask. */
export function calleeModule(s: PositionState, call: number): ModuleRef | undefined {
  memo(s, call);
  const ctx = s.ctx;
  if (!ctx.memoHasModule) {
    ctx.memoModule = resolveModule(s, call + CALLEE);
    ctx.memoHasModule = true;
  }
  return ctx.memoModule;
}

/** `../modules.ts`'s `processRole` over the buffer: whether a slot holds `process` or `process.env`. */
export function processRole(s: PositionState, slot: number): 'process' | 'env' | undefined {
  const r = s.r;
  const pos = r.unwrap(slot);
  const tag = r.tag();
  if (tag === E.IdentifierReference) {
    const ctx = s.ctx;
    const field = pos + FIELDS.IdentifierReference.name;
    // `process` is 7 bytes: other names are read only once some name stands for it.
    if (r.strBytes(field) === 7 && r.str(field) === 'process') {
      const info = ctx.lookup('process');
      return info?.module === undefined ? 'process' : processRoleOf(info);
    }
    return ctx.processAliases === 0 ? undefined : processRoleOf(ctx.lookup(r.str(field)));
  }
  if (tag === E.CallExpression) return requiredModuleOfCall(s, pos) === 'process' ? 'process' : undefined;
  if (tag !== E.StaticMemberExpression && tag !== E.ComputedMemberExpression) return undefined;
  // `a.b` names neither `env` nor `process` unless the name has 3 or 7 bytes: most are not read.
  if (tag === E.StaticMemberExpression) {
    const bytes = r.strBytes(pos + FIELDS.StaticMemberExpression.property + FIELDS.IdentifierName.name);
    if (bytes !== 3 && bytes !== 7) return undefined;
  }
  const name = r.memberNameAt(pos, tag);
  const object = pos + FIELDS.StaticMemberExpression.object;
  if (name === 'env') return processRole(s, object) === 'process' ? 'env' : undefined;
  if (name !== 'process') return undefined;
  const path = r.dottedPath(object);
  return path === 'globalThis' || path === 'global' ? 'process' : undefined;
}

/** `../modules.ts`'s `globalValue` over the buffer: which aliasable global a value slot holds. */
export function globalValue(s: PositionState, slot: number): string | undefined {
  const r = s.r;
  const pos = r.unwrap(slot);
  const tag = r.tag();
  if (tag === E.IdentifierReference) {
    const name = r.str(pos + FIELDS.IdentifierReference.name);
    // Only an aliasable global's own name, or a name some binding made an alias, can answer.
    if (!ALIASED_GLOBALS.has(name) && s.ctx.globalAliases === 0) return undefined;
    const info = s.ctx.lookup(name);
    if (info === undefined) return ALIASED_GLOBALS.has(name) ? name : undefined;
    return info.global;
  }
  if (tag === E.CallExpression) return isCreateRequire(resolveModule(s, pos + CALLEE));
  if (tag !== E.StaticMemberExpression && tag !== E.ComputedMemberExpression) return undefined;
  const name = r.memberNameAt(pos, tag);
  if (name === 'constructor') return reachesFunctionConstructor(s, slot) ? 'Function' : undefined;
  if (name === undefined || !ALIASED_GLOBALS.has(name)) return undefined;
  const base = r.identifierName(pos + FIELDS.StaticMemberExpression.object);
  return base !== undefined && GLOBAL_OBJECTS.has(base) ? name : undefined;
}

/** `../modules.ts`'s `aliasedGlobal`: the global function a slot's name stands for. */
export function aliasedGlobal(s: PositionState, slot: number): string | undefined {
  if (s.ctx.globalAliases === 0) return undefined;
  const name = s.r.identifierName(slot);
  return name === undefined ? undefined : s.ctx.lookup(name)?.global;
}

/** `../modules.ts`'s `reachesFunctionConstructor` over the buffer. */
export function reachesFunctionConstructor(s: PositionState, slot: number): boolean {
  const r = s.r;
  const pos = r.unwrap(slot);
  const tag = r.tag();
  if (tag !== E.StaticMemberExpression && tag !== E.ComputedMemberExpression) return false;
  if (r.memberNameAt(pos, tag) !== 'constructor') return false;
  const object = r.unwrap(pos + FIELDS.StaticMemberExpression.object);
  const objectTag = r.tag();
  if (objectTag === E.Function || objectTag === E.ArrowFunctionExpression) return true;
  if (objectTag !== E.StaticMemberExpression && objectTag !== E.ComputedMemberExpression) return false;
  const objectName = r.memberNameAt(object, objectTag);
  // `Function.prototype.constructor` is `Function` itself.
  if (objectName === 'prototype')
    return r.identifierName(object + FIELDS.StaticMemberExpression.object) === 'Function';
  if (objectName === 'constructor') return true;
  r.unwrap(object + FIELDS.StaticMemberExpression.object);
  return r.tag() === E.ArrayExpression;
}
