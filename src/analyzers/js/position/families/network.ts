import {
  BROWSER_NETWORK,
  browserSend,
  CLIENT_LIBRARIES,
  CLIENT_SENDS,
  CORE_NETWORK,
  DNS,
  NON_CONNECTING,
} from '../../families/network.js';
import { GLOBAL_OBJECTS } from '../../modules.js';
import type { PositionFamily } from '../dispatch.js';
import { FIELDS, TAGS } from '../layout.generated.js';
import { aliasedGlobal, calleeModule, calleeName, calleePath, type PositionState, span } from '../modules.js';

const E = TAGS.Expression;
const CALLEE = FIELDS.CallExpression.callee;

/** `fetch`, `window.fetch`, `new XMLHttpRequest`, `new WebSocket`: the platform's own network APIs. */
function browserApi(call: number, s: PositionState): string | undefined {
  const name = calleeName(s, call);
  if (name !== undefined) {
    if (BROWSER_NETWORK.has(name) && s.ctx.lookup(name)?.module === undefined) return name;
    const alias = aliasedGlobal(s, call + CALLEE);
    return alias !== undefined && BROWSER_NETWORK.has(alias) ? alias : undefined;
  }
  const path = calleePath(s, call);
  if (path === undefined) return undefined;
  const first = s.r.argument(call, 0);
  const send = browserSend(path, first === -1 ? undefined : s.r.stringValue(first));
  if (send !== undefined) return send;
  const dot = path.indexOf('.');
  if (dot === -1 || path.indexOf('.', dot + 1) !== -1) return undefined;
  const member = path.slice(dot + 1);
  return GLOBAL_OBJECTS.has(path.slice(0, dot)) && BROWSER_NETWORK.has(member) ? member : undefined;
}

function onCall(call: number, s: PositionState, isNew: boolean): void {
  const ctx = s.ctx;
  const browser = browserApi(call, s);
  if (browser) {
    ctx.emit('network.outbound', span(s, call), browser);
    return;
  }
  const ref = calleeModule(s, call);
  if (ref && (ref.module === 'octokit' || ref.module.startsWith('@octokit/'))) {
    ctx.emit('network.github-api', span(s, call), ref.member ? `${ref.module}.${ref.member}` : ref.module);
    return;
  }
  if (ref) {
    if (CORE_NETWORK.has(ref.module) && ref.member !== undefined && !NON_CONNECTING.has(ref.member)) {
      ctx.emit('network.outbound', span(s, call), `${ref.module}.${ref.member}`);
    } else if (DNS.has(ref.module) && ref.member !== undefined) {
      ctx.emit('network.dns', span(s, call), `dns.${ref.member}`);
    } else if (CLIENT_LIBRARIES.has(ref.module) && !(ref.member && NON_CONNECTING.has(ref.member))) {
      ctx.emit('network.outbound', span(s, call), ref.member ? `${ref.module}.${ref.member}` : ref.module);
    }
    return;
  }
  if (isNew) return;
  const r = s.r;
  const fn = r.unwrap(call + CALLEE);
  if (r.tag() !== E.StaticMemberExpression && r.tag() !== E.ComputedMemberExpression) return;
  const method = r.memberName(call + CALLEE);
  const owner = r.identifierName(fn + FIELDS.StaticMemberExpression.object);
  if (method && owner && CLIENT_SENDS.has(method) && ctx.lookup(owner)?.isNetworkClient) {
    ctx.emit('network.outbound', span(s, call), `client.${method}`);
  }
}

/** Outbound network and DNS: Node's modules, browser APIs, common clients and the objects they return. */
export const networkFamily: PositionFamily = {
  name: 'network',
  enter: {
    CallExpression: (pos, s) => onCall(pos, s, false),
    NewExpression: (pos, s) => onCall(pos, s, true),
  },
};
