import {
  type AstNode,
  asNode,
  children,
  dottedPath,
  FUNCTION_TYPES,
  identifierName,
  memberName,
  stringValue,
  unwrap,
} from '../ast.js';
import type { ModuleRef, SymbolInfo, WalkContext } from '../context.js';
import { globalValue, normalizeModule, processRole, processRoleOf, resolveModule } from '../modules.js';
import type { Family } from '../walker.js';

/**
 * Learns names as the walk meets them: module aliases (`const cp = require('child_process')`,
 * destructuring, imports), string constants, functions made by `new Function`, network clients,
 * decoders and names holding decoded data. Other families read these through `ctx.lookup`.
 */
export const bindingsFamily: Family = {
  name: 'bindings',
  enter: {
    ImportDeclaration(node, ctx) {
      const spec = stringValue(asNode(node.source));
      if (spec === undefined) return;
      const module = normalizeModule(spec);
      for (const specifier of children(node, 'specifiers')) {
        const local = identifierName(asNode(specifier.local));
        if (!local) continue;
        if (specifier.type === 'ImportSpecifier') {
          const imported = asNode(specifier.imported);
          const name = identifierName(imported) ?? stringValue(imported);
          const info = ctx.declare(local);
          info.module = name === undefined || name === 'default' ? { module } : { module, member: name };
          countProcessRole(info, ctx);
        } else {
          const info = ctx.declare(local);
          info.module = { module };
          countProcessRole(info, ctx);
        }
      }
    },
    Identifier(node, ctx) {
      ctx.identifiers++;
      const name = node.name as string;
      if (
        name.length > 4 &&
        name.charCodeAt(0) === 95 &&
        name.charCodeAt(1) === 48 &&
        name.charCodeAt(2) === 120
      ) {
        if (/^_0x[0-9a-f]{4,}$/i.test(name)) ctx.mangledIdentifiers++;
      }
      // Most files never taint a name: the scope lookup is only for names tainted somewhere.
      const tainted = ctx.taintedNames;
      if (tainted.size === 0 || !tainted.has(name) || !ctx.lookup(name)?.isTainted) return;
      const parent = ctx.parent();
      if (parent?.type === 'MemberExpression' && !parent.computed && parent.property === node) return;
      if (parent?.type === 'Property' && !parent.computed && parent.key === node && !parent.shorthand) return;
      ctx.taintEvents++;
    },
    CallExpression: learnModuleParameters,
  },
  exit: {
    VariableDeclarator(node, ctx) {
      bind(asNode(node.id), asNode(node.init), ctx, true);
    },
    AssignmentExpression(node, ctx) {
      if (node.operator !== '=' && node.operator !== '+=') return;
      bind(asNode(node.left), asNode(node.right), ctx, false);
    },
    PropertyDefinition(node, ctx) {
      const key = asNode(node.key);
      const name = node.computed ? stringValue(key) : (identifierName(key) ?? stringValue(key));
      const module = node.static || name === undefined ? undefined : resolveModule(asNode(node.value), ctx);
      if (module !== undefined) ctx.thisModules.set(name!, module);
    },
    FunctionDeclaration(node, ctx) {
      const name = identifierName(asNode(node.id));
      if (name && ctx.mark && ctx.charCodeEvents > ctx.mark.charCode) ctx.declare(name).isDecoder = true;
    },
  },
};

/**
 * `import('child_process').then((cp) => cp.exec(c))`, `.then(({ exec }) => exec(c))`: the
 * callback's first parameter is the module (or its members), declared when its scope opens.
 */
function learnModuleParameters(call: AstNode, ctx: WalkContext): void {
  const callee = unwrap(asNode(call.callee));
  if (callee?.type !== 'MemberExpression' || memberName(callee) !== 'then') return;
  const promise = unwrap(asNode(callee.object));
  if (promise?.type !== 'ImportExpression') return;
  const base = resolveModule(promise, ctx);
  const callback = unwrap(children(call, 'arguments')[0]);
  if (base === undefined || callback === undefined || !FUNCTION_TYPES.has(callback.type)) return;
  let parameter = children(callback, 'params')[0];
  if (parameter?.type === 'AssignmentPattern') parameter = asNode(parameter.left);
  const name = identifierName(parameter);
  if (name !== undefined) {
    ctx.moduleParameters.set(callback, [{ name, module: base }]);
    return;
  }
  if (parameter?.type !== 'ObjectPattern') return;
  const members: Array<{ name: string; module: ModuleRef }> = [];
  for (const [key, local] of patternProperties(parameter))
    members.push({ name: local, module: { module: base.module, member: key } });
  ctx.moduleParameters.set(callback, members);
}

/** `{ exec, spawn: run, x = 1 }`: each property's key and the local name it binds. */
function patternProperties(pattern: AstNode): Array<[key: string, local: string]> {
  const entries: Array<[string, string]> = [];
  for (const property of children(pattern, 'properties')) {
    if (property.type !== 'Property') continue;
    const key = asNode(property.key);
    const name = property.computed ? stringValue(key) : (identifierName(key) ?? stringValue(key));
    let local = asNode(property.value);
    if (local?.type === 'AssignmentPattern') local = asNode(local.left);
    const localName = identifierName(local);
    if (name !== undefined && localName) entries.push([name, localName]);
  }
  return entries;
}

function bind(
  target: AstNode | undefined,
  value: AstNode | undefined,
  ctx: WalkContext,
  isDeclaration: boolean,
): void {
  if (!target || !value) return;
  const init = unwrap(value);
  if (!init) return;
  if (target.type === 'ObjectPattern') {
    const base = resolveModule(init, ctx);
    const fromModule = base !== undefined && base.member === undefined;
    // `const { env } = process`
    const fromProcess = processRole(init, ctx) === 'process';
    if (!fromModule && !fromProcess) return;
    for (const [name, localName] of patternProperties(target)) {
      const info = symbol(localName, ctx, isDeclaration);
      if (fromModule) info.module = { module: base.module, member: name };
      if (fromProcess && name === 'env') info.isProcessEnv = true;
      countProcessRole(info, ctx);
    }
    return;
  }
  const name = identifierName(target);
  if (!name) {
    if (!isDeclaration) keepOnThis(target, init, ctx);
    return;
  }
  // Read before the name is bound: `const process = ...` would hide what the value is.
  const role = processRole(init, ctx);
  const global = globalValue(init, ctx);
  const info = symbol(name, ctx, isDeclaration);
  if (global !== undefined) {
    info.global = global;
    ctx.globalAliases++;
  }
  const module = resolveModule(init, ctx);
  if (module) info.module = module;
  if (role === 'process') info.isProcess = true;
  else if (role === 'env') info.isProcessEnv = true;
  countProcessRole(info, ctx);
  const constant = stringValue(init);
  if (constant !== undefined) info.constant = constant;
  if (init.type === 'NewExpression' || init.type === 'CallExpression') {
    const fn = unwrap(asNode(init.callee));
    if (
      identifierName(fn) === 'Function' ||
      (fn?.type === 'MemberExpression' && identifierName(asNode(fn.property)) === 'Function' && !fn.computed)
    ) {
      info.isCodeFunction = true;
    }
  }
  const mark = ctx.mark;
  if (mark) {
    if (ctx.networkEvents > mark.network && (init.type === 'CallExpression' || init.type === 'NewExpression'))
      info.isNetworkClient = true;
    if (ctx.taintEvents > mark.taint && !FUNCTION_TYPES.has(init.type)) {
      info.isTainted = true;
      ctx.addTaintedName(name);
    }
    if (ctx.charCodeEvents > mark.charCode && FUNCTION_TYPES.has(init.type)) info.isDecoder = true;
  }
  if (init.type === 'ArrayExpression') {
    const elements = children(init, 'elements');
    if (elements.length >= 3 && elements.every((element) => stringValue(element) !== undefined))
      info.stringArray = node(init, target);
  }
}

/** `this.cp = require('child_process')`, and a class field `cp = require(...)`: see `ctx.thisModules`. */
function keepOnThis(target: AstNode, value: AstNode, ctx: WalkContext): void {
  const path = dottedPath(target);
  if (path === undefined || !path.startsWith('this.') || path.indexOf('.', 5) !== -1) return;
  const module = resolveModule(value, ctx);
  if (module !== undefined) ctx.thisModules.set(path.slice(5), module);
}

/** The declarator or target that best points at a string array for evidence. */
function node(init: AstNode, target: AstNode): AstNode {
  return { type: 'Span', start: target.start, end: init.end };
}

/** Counts a name that stands for `process` or `process.env`, so that lookups for them start. */
function countProcessRole(info: SymbolInfo, ctx: WalkContext): void {
  if (processRoleOf(info) !== undefined) ctx.processAliases++;
}

function symbol(name: string, ctx: WalkContext, isDeclaration: boolean): SymbolInfo {
  return isDeclaration ? ctx.declare(name) : ctx.assign(name);
}
