import {
  type AstNode,
  asNode,
  callArguments,
  callee,
  identifierName,
  memberName,
  stringValue,
} from '../ast.js';
import type { WalkContext } from '../context.js';
import { aliasedGlobal, calleeModule, calleePath, GLOBAL_OBJECTS } from '../modules.js';
import type { Family } from '../walker.js';

/** Node's own network modules: any call of theirs may open a connection. */
export const CORE_NETWORK = new Set(['http', 'https', 'http2', 'net', 'tls', 'dgram']);
export const DNS = new Set(['dns']);
/** Popular client libraries: calling them (or a client made from them) sends a request. */
export const CLIENT_LIBRARIES = new Set([
  'axios',
  'node-fetch',
  'cross-fetch',
  'isomorphic-fetch',
  'got',
  'request',
  'superagent',
  'undici',
  'needle',
  'phin',
  'ky',
  'firebase',
  'ws',
  'socket.io-client',
  'bent',
  'make-fetch-happen',
  'minipass-fetch',
  'ftp',
  'ssh2',
  'nodemailer',
]);
/** Members that only build values or read state, not a connection. */
export const NON_CONNECTING = new Set([
  'Agent',
  'STATUS_CODES',
  'METHODS',
  'globalAgent',
  'isIP',
  'isIPv4',
  'isIPv6',
  'IncomingMessage',
  'OutgoingMessage',
  'ServerResponse',
  'validateHeaderName',
  'validateHeaderValue',
  'maxHeaderSize',
  'constants',
  'CancelToken',
  'isCancel',
  'isAxiosError',
  'default',
  // Byte helpers and settings of the network modules (ws takes `websocketMask` from http).
  'websocketMask',
  'websocketUnmask',
  'setMaxIdleHTTPParsers',
  'checkServerIdentity',
  'createSecureContext',
  'getCiphers',
  'BlockList',
  'SocketAddress',
  // Servers listen rather than connect out.
  'createServer',
  'createSecureServer',
  'Server',
  'WebSocketServer',
]);
/** What a network client or request object does that sends data. */
export const CLIENT_SENDS = new Set([
  'write',
  'end',
  'send',
  'push',
  'set',
  'update',
  'post',
  'put',
  'get',
  'request',
  'child',
  'connect',
  'emit',
]);
export const BROWSER_NETWORK = new Set([
  'fetch',
  'XMLHttpRequest',
  'WebSocket',
  'EventSource',
  'importScripts',
]);
/** The browser's other ways out: a beacon (sent even as the page unloads), a script element. */
export const BROWSER_SENDS: ReadonlyMap<string, string> = new Map([
  ['navigator.sendBeacon', 'navigator.sendBeacon'],
  ['window.navigator.sendBeacon', 'navigator.sendBeacon'],
  ['document.createElement', 'script element'],
  ['window.document.createElement', 'script element'],
]);

/** Whether a browser send's path and first argument are one: `createElement` sends only for a script. */
export function browserSend(path: string, first: string | undefined): string | undefined {
  const send = BROWSER_SENDS.get(path);
  if (send !== 'script element') return send;
  return first?.toLowerCase() === 'script' ? send : undefined;
}

/** `fetch`, `window.fetch`, `new XMLHttpRequest`, `new WebSocket`: the platform's own network APIs. */
function browserApi(call: AstNode, ctx: WalkContext): string | undefined {
  const fn = callee(call);
  const name = identifierName(fn);
  if (name !== undefined) {
    if (BROWSER_NETWORK.has(name) && ctx.lookup(name)?.module === undefined) return name;
    const alias = aliasedGlobal(fn, ctx);
    return alias !== undefined && BROWSER_NETWORK.has(alias) ? alias : undefined;
  }
  // The callee's path, shared with the other families' handlers of this call.
  const path = calleePath(call, ctx);
  if (path === undefined) return undefined;
  const send = browserSend(path, stringValue(callArguments(call)[0]));
  if (send !== undefined) return send;
  const dot = path.indexOf('.');
  if (dot === -1 || path.indexOf('.', dot + 1) !== -1) return undefined;
  const base = path.slice(0, dot);
  const member = path.slice(dot + 1);
  return GLOBAL_OBJECTS.has(base) && BROWSER_NETWORK.has(member) ? member : undefined;
}

function onCall(node: AstNode, ctx: WalkContext, isNew: boolean): void {
  const browser = browserApi(node, ctx);
  if (browser) {
    ctx.emit('network.outbound', node, browser);
    return;
  }
  const ref = calleeModule(node, ctx);
  if (ref && (ref.module === 'octokit' || ref.module.startsWith('@octokit/'))) {
    ctx.emit('network.github-api', node, ref.member ? `${ref.module}.${ref.member}` : ref.module);
    return;
  }
  if (ref) {
    if (CORE_NETWORK.has(ref.module) && ref.member !== undefined && !NON_CONNECTING.has(ref.member)) {
      ctx.emit('network.outbound', node, `${ref.module}.${ref.member}`);
    } else if (DNS.has(ref.module) && ref.member !== undefined) {
      ctx.emit('network.dns', node, `dns.${ref.member}`);
    } else if (CLIENT_LIBRARIES.has(ref.module) && !(ref.member && NON_CONNECTING.has(ref.member))) {
      ctx.emit('network.outbound', node, ref.member ? `${ref.module}.${ref.member}` : ref.module);
    }
    return;
  }
  const fn = callee(node);
  if (isNew || fn?.type !== 'MemberExpression') return;
  const method = memberName(fn);
  const owner = identifierName(asNode(fn.object));
  if (method && owner && CLIENT_SENDS.has(method) && ctx.lookup(owner)?.isNetworkClient) {
    ctx.emit('network.outbound', node, `client.${method}`);
  }
}

/** Outbound network and DNS: Node's modules, browser APIs, common clients and the objects they return. */
export const networkFamily: Family = {
  name: 'network',
  enter: {
    CallExpression(node, ctx) {
      onCall(node, ctx, false);
    },
    NewExpression(node, ctx) {
      onCall(node, ctx, true);
    },
  },
};
