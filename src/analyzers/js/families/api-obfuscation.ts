import {
  type AstNode,
  asNode,
  callArguments,
  callee,
  dottedPath,
  identifierName,
  memberName,
  unwrap,
} from '../ast.js';
import type { WalkContext } from '../context.js';
import { calleePath, constantString } from '../modules.js';
import type { Family } from '../walker.js';

/** Modules whose functions malware hides behind computed names. */
export const SENSITIVE_MODULES = new Set([
  'child_process',
  'os',
  'http',
  'https',
  'net',
  'tls',
  'dgram',
  'dns',
  'fs',
  'vm',
  'crypto',
  'zlib',
]);
export const REFLECTIVE_LISTS = new Set([
  'Object.keys',
  'Object.getOwnPropertyNames',
  'Object.entries',
  'Reflect.ownKeys',
]);

/** The sensitive module a name is bound to (`cp` for `require('child_process')`), if any. */
function sensitiveModule(node: AstNode | undefined, ctx: WalkContext): string | undefined {
  const name = identifierName(node);
  if (name === undefined) return undefined;
  const module = ctx.lookup(name)?.module;
  if (!module || module.member !== undefined || !SENSITIVE_MODULES.has(module.module)) return undefined;
  return module.module;
}

/**
 * `cp['spawn']`, `cp['sp' + 'awn']`, `cp[decode(...)]`, `cp[str]` with `str = 'spawn'`: a function of a
 * sensitive module reached by a computed name. A name held in an unknown variable (a loop over
 * method names, as fs wrappers do) is not flagged.
 */
function onMember(node: AstNode, ctx: WalkContext): void {
  if (!node.computed) return;
  const module = sensitiveModule(asNode(node.object), ctx);
  if (module === undefined) return;
  const property = unwrap(asNode(node.property));
  if (!property) return;
  if (property.type === 'Literal' && typeof property.value === 'number') return;
  const constant = constantString(property, ctx);
  if (property.type === 'Identifier' && constant === undefined) return;
  // Private slots (`fs['___graceful-fs.queue']`, `fs[Symbol.for(...)]`) are state, not hidden functions.
  if (constant !== undefined && !/^[A-Za-z_$][\w$]*$/.test(constant)) return;
  if (property.type === 'CallExpression' && /^Symbol(\.for)?$/.test(dottedPath(callee(property)) ?? ''))
    return;
  ctx.emit('obfuscation.api', node, `${module}[${constant === undefined ? property.type : `'${constant}'`}]`);
}

/** `Reflect.get(cp, 'spawn')`, `Object.getOwnPropertyDescriptor(os, 'hostname').value`, `Object.entries(cp).find(...)`. */
function onCall(node: AstNode, ctx: WalkContext): void {
  const path = calleePath(node, ctx);
  if (path === undefined) return;
  const args = callArguments(node);
  if (path === 'Reflect.get' || path === 'Reflect.apply' || path === 'Object.getOwnPropertyDescriptor') {
    const module = sensitiveModule(args[0], ctx);
    if (module !== undefined) ctx.emit('obfuscation.api', node, `${path}(${module})`);
    return;
  }
  if (!REFLECTIVE_LISTS.has(path)) return;
  const module = sensitiveModule(args[0], ctx);
  if (module === undefined) return;
  // Only a search for one name is obfuscation; copying every method (fs wrappers) is not.
  const parent = ctx.parent();
  const method =
    parent?.type === 'MemberExpression' && parent.object === node ? memberName(parent) : undefined;
  if (method === 'find' || method === 'filter')
    ctx.emit('obfuscation.api', node, `${path}(${module}).${method}`);
}

/** Calls of sensitive modules' functions through computed or reflective names. */
export const apiObfuscationFamily: Family = {
  name: 'api-obfuscation',
  enter: {
    MemberExpression: onMember,
    CallExpression: onCall,
  },
};
