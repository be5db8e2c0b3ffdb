import { globalName, XHR_METHODS } from '../../families/browser.js';
import { GLOBAL_OBJECTS } from '../../modules.js';
import type { PositionFamily } from '../dispatch.js';
import { FIELDS, TAGS } from '../layout.generated.js';
import { calleePath, type PositionState, span } from '../modules.js';

const E = TAGS.Expression;

function onAssignment(assignment: number, s: PositionState): void {
  const path = s.r.assignmentTargetPath(assignment + FIELDS.AssignmentExpression.left);
  if (path === undefined) return;
  const ctx = s.ctx;
  const name = globalName(path);
  if (name === 'fetch' && (path !== 'fetch' || ctx.lookup('fetch') === undefined)) {
    ctx.emit('browser.fetch-override', span(s, assignment), `${path} =`);
  } else if (
    name === 'XMLHttpRequest' ||
    (name.startsWith('XMLHttpRequest.prototype.') &&
      XHR_METHODS.has(name.slice('XMLHttpRequest.prototype.'.length)))
  ) {
    ctx.emit('browser.xhr-hook', span(s, assignment), `${path} =`);
  } else if (name === 'ethereum' || name.startsWith('ethereum.')) {
    ctx.emit('browser.ethereum', span(s, assignment), `${path} =`);
  }
}

/** `window.ethereum`, `globalThis['ethereum']`. */
function onMember(member: number, s: PositionState, tag: number): void {
  const r = s.r;
  const object = r.identifierName(member + FIELDS.StaticMemberExpression.object);
  if (object === undefined || !GLOBAL_OBJECTS.has(object)) return;
  const name = r.memberNameAt(member, tag);
  if (name !== undefined && globalName(`${object}.${name}`) === 'ethereum')
    s.ctx.emit('browser.ethereum', span(s, member), `${object}.${name}`);
}

/** `Object.defineProperty(window, 'fetch' | 'ethereum', ...)`: the same hooks, spelled reflectively. */
function onCall(call: number, s: PositionState): void {
  if (calleePath(s, call) !== 'Object.defineProperty') return;
  const r = s.r;
  const target = r.argument(call, 0);
  const key = r.argument(call, 1);
  if (target === -1 || key === -1) return;
  const base = r.identifierName(target) ?? r.dottedPath(target);
  const name = r.stringValue(key);
  if (base === undefined || name === undefined) return;
  const ctx = s.ctx;
  if (GLOBAL_OBJECTS.has(base) && name === 'fetch')
    ctx.emit('browser.fetch-override', span(s, call), `defineProperty(${base}, 'fetch')`);
  if (GLOBAL_OBJECTS.has(base) && name === 'ethereum')
    ctx.emit('browser.ethereum', span(s, call), `defineProperty(${base}, 'ethereum')`);
  if (base === 'XMLHttpRequest.prototype' && XHR_METHODS.has(name))
    ctx.emit('browser.xhr-hook', span(s, call), `defineProperty(XMLHttpRequest.prototype, '${name}')`);
}

/** Browser hooks: replacing fetch, patching XMLHttpRequest, reaching for the injected wallet provider. */
export const browserFamily: PositionFamily = {
  name: 'browser',
  enter: {
    AssignmentExpression: onAssignment,
    StaticMemberExpression: (pos, s) => onMember(pos, s, E.StaticMemberExpression),
    ComputedMemberExpression: (pos, s) => onMember(pos, s, E.ComputedMemberExpression),
    CallExpression: onCall,
  },
};
