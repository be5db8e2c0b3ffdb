import { type AstNode, asNode, callArguments, dottedPath, identifierName, stringValue } from '../ast.js';
import type { WalkContext } from '../context.js';
import { calleePath, GLOBAL_OBJECTS } from '../modules.js';
import type { Family } from '../walker.js';

export const XHR_METHODS = new Set(['open', 'send', 'setRequestHeader']);

/** `window.fetch` -> `fetch`; a bare global name stays as is; anything deeper is returned whole. */
export function globalName(path: string): string {
  const dot = path.indexOf('.');
  if (dot !== -1 && GLOBAL_OBJECTS.has(path.slice(0, dot))) return path.slice(dot + 1);
  return path;
}

function onAssignment(node: AstNode, ctx: WalkContext): void {
  const left = asNode(node.left);
  const path = dottedPath(left);
  if (path === undefined) return;
  const name = globalName(path);
  if (name === 'fetch' && (path !== 'fetch' || ctx.lookup('fetch') === undefined)) {
    ctx.emit('browser.fetch-override', node, `${path} =`);
  } else if (
    name === 'XMLHttpRequest' ||
    (name.startsWith('XMLHttpRequest.prototype.') &&
      XHR_METHODS.has(name.slice('XMLHttpRequest.prototype.'.length)))
  ) {
    ctx.emit('browser.xhr-hook', node, `${path} =`);
  } else if (name === 'ethereum' || name.startsWith('ethereum.')) {
    ctx.emit('browser.ethereum', node, `${path} =`);
  }
}

function onMember(node: AstNode, ctx: WalkContext): void {
  const object = identifierName(asNode(node.object));
  if (object === undefined || !GLOBAL_OBJECTS.has(object)) return;
  const path = dottedPath(node);
  if (path !== undefined && globalName(path) === 'ethereum') ctx.emit('browser.ethereum', node, path);
}

/** `Object.defineProperty(window, 'fetch' | 'ethereum', ...)`: the same hooks, spelled reflectively. */
function onCall(node: AstNode, ctx: WalkContext): void {
  if (calleePath(node, ctx) !== 'Object.defineProperty') return;
  const [target, key] = callArguments(node);
  const base = identifierName(target) ?? dottedPath(target);
  const name = stringValue(key);
  if (base === undefined || name === undefined) return;
  if (GLOBAL_OBJECTS.has(base) && name === 'fetch')
    ctx.emit('browser.fetch-override', node, `defineProperty(${base}, 'fetch')`);
  if (GLOBAL_OBJECTS.has(base) && name === 'ethereum')
    ctx.emit('browser.ethereum', node, `defineProperty(${base}, 'ethereum')`);
  if (base === 'XMLHttpRequest.prototype' && XHR_METHODS.has(name))
    ctx.emit('browser.xhr-hook', node, `defineProperty(XMLHttpRequest.prototype, '${name}')`);
}

/** Browser hooks: replacing fetch, patching XMLHttpRequest, reaching for the injected wallet provider. */
export const browserFamily: Family = {
  name: 'browser',
  enter: {
    AssignmentExpression: onAssignment,
    MemberExpression: onMember,
    CallExpression: onCall,
  },
};
