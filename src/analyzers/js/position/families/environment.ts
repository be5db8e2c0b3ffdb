import { ENUMERATORS, SYSTEM_INFO, TOKEN_VARIABLES } from '../../families/environment.js';
import { processRoleOf } from '../../modules.js';
import type { PositionFamily } from '../dispatch.js';
import { FIELDS, TAGS, VEC_STRIDES } from '../layout.generated.js';
import { calleeModule, type PositionState, perFile, processRole, span } from '../modules.js';
import { NO_EXPRESSION } from '../read.js';

const E = TAGS.Expression;
const OBJECT = FIELDS.StaticMemberExpression.object;

interface FileState {
  /** Object literals by position: the key or the variable they are the value of. */
  readonly holders: Map<number, { readonly key?: string; readonly variable?: string }>;
  /** `os.userInfo()` calls whose result is only read for `.uid`, `.gid` or `.shell`. */
  readonly harmlessSystemInfo: Set<number>;
}
const fileState = perFile<FileState>(() => ({ holders: new Map(), harmlessSystemInfo: new Set() }));

/**
 * Whether a slot holds `process.env` itself (`process.env`, `globalThis.process.env`, a name bound
 * to it), not wrapped in anything.
 */
function isProcessEnvSlot(s: PositionState, slot: number): boolean {
  const r = s.r;
  const tag = r.buffer[slot]!;
  if (tag === E.IdentifierReference) {
    if (s.ctx.processAliases === 0) return false;
    const name = r.str(r.int32[(slot + 8) >> 2]! + FIELDS.IdentifierReference.name);
    return processRoleOf(s.ctx.lookup(name)) === 'env';
  }
  if (tag !== E.StaticMemberExpression && tag !== E.ComputedMemberExpression) return false;
  const member = r.int32[(slot + 8) >> 2]!;
  if (r.memberNameAt(member, tag) !== 'env') return false;
  return processRole(s, member + OBJECT) === 'process';
}

/** `process.env.NPM_TOKEN`; and `os.userInfo().uid`, which is no identity read. */
function onMember(pos: number, s: PositionState, tag: number): void {
  const r = s.r;
  const objectSlot = pos + OBJECT;
  if (isProcessEnvSlot(s, objectSlot)) {
    const name = r.memberNameAt(pos, tag);
    if (name !== undefined && TOKEN_VARIABLES.test(name)) s.ctx.emit('environment.token', span(s, pos), name);
    return;
  }
  if (r.buffer[objectSlot] === E.CallExpression) {
    const field = r.memberNameAt(pos, tag);
    if (field === 'uid' || field === 'gid' || field === 'shell')
      fileState(s).harmlessSystemInfo.add(r.int32[(objectSlot + 8) >> 2]!);
  }
}

/** `JSON.stringify(process.env)`, `Object.keys(process.env)`, `f(process.env)`; `os.hostname()`. */
function onCall(call: number, s: PositionState): void {
  const r = s.r;
  const ctx = s.ctx;
  const ref = calleeModule(s, call);
  if (ref?.module === 'os' && ref.member !== undefined && SYSTEM_INFO.has(ref.member)) {
    if (!fileState(s).harmlessSystemInfo.has(call))
      ctx.emit('system.info', span(s, call), `os.${ref.member}`);
  }
  const count = r.vecLength(call + FIELDS.CallExpression.arguments);
  for (let i = 0; i < count; i++) {
    if (!isProcessEnvSlot(s, r.argument(call, i))) continue;
    const path = r.dottedPath(call + FIELDS.CallExpression.callee);
    if (path === 'JSON.stringify')
      ctx.emit('environment.serialize', span(s, call), 'JSON.stringify(process.env)');
    else if (path !== undefined && ENUMERATORS.has(path))
      ctx.emit('environment.bulk-read', span(s, call), `${path}(process.env)`);
    else ctx.emit('environment.bulk-read', span(s, call), 'process.env passed whole');
  }
}

/** `for (k in process.env)`. */
function onForIn(pos: number, s: PositionState): void {
  if (isProcessEnvSlot(s, pos + FIELDS.ForInStatement.right))
    s.ctx.emit('environment.bulk-read', span(s, pos), 'for-in over process.env');
}

/** `{ vars: process.env }` (but `{ env: process.env }` hands it to a child process: ordinary). */
function onProperty(pos: number, s: PositionState): void {
  const r = s.r;
  const valueSlot = pos + FIELDS.ObjectProperty.value;
  const valueTag = r.buffer[valueSlot];
  if (
    valueTag !== E.StaticMemberExpression &&
    valueTag !== E.ComputedMemberExpression &&
    valueTag !== E.ObjectExpression &&
    valueTag !== E.IdentifierReference
  )
    return;
  const keySlot = pos + FIELDS.ObjectProperty.key;
  const key =
    r.buffer[keySlot] === TAGS.PropertyKey.IdentifierName
      ? r.str(r.int32[(keySlot + 8) >> 2]! + FIELDS.IdentifierName.name)
      : (r.identifierName(keySlot) ?? r.stringValue(keySlot));
  if (valueTag === E.ObjectExpression) {
    fileState(s).holders.set(r.int32[(valueSlot + 8) >> 2]!, { key });
    return;
  }
  if (isProcessEnvSlot(s, valueSlot) && key !== 'env') {
    const value = r.int32[(valueSlot + 8) >> 2]!;
    s.ctx.emit('environment.bulk-read', span(s, value), `process.env as '${key ?? '?'}'`);
  }
}

/**
 * Remembers the variable an object literal initialises, for the spread check below; and reads
 * `const { NPM_TOKEN } = process.env` as each credential variable read.
 */
function onDeclarator(pos: number, s: PositionState): void {
  const initSlot = pos + FIELDS.VariableDeclarator.init;
  const idSlot = pos + FIELDS.VariableDeclarator.id;
  if (s.r.buffer[idSlot] === TAGS.BindingPattern.ObjectPattern && s.r.buffer[initSlot] !== NO_EXPRESSION)
    destructuredTokens(s, s.r.int32[(idSlot + 8) >> 2]!, initSlot);
  if (s.r.buffer[initSlot] !== E.ObjectExpression) return;
  fileState(s).holders.set(s.r.int32[(initSlot + 8) >> 2]!, {
    variable: s.r.bindingName(pos + FIELDS.VariableDeclarator.id),
  });
}

function destructuredTokens(s: PositionState, pattern: number, initSlot: number): void {
  if (processRole(s, initSlot) !== 'env') return;
  const r = s.r;
  const properties = pattern + FIELDS.ObjectPattern.properties;
  const count = r.vecLength(properties);
  const first = r.vecStart(properties);
  for (let i = 0; i < count; i++) {
    const property = first + i * VEC_STRIDES.BindingProperty;
    const name = r.propertyKeyName(
      property + FIELDS.BindingProperty.key,
      r.buffer[property + FIELDS.BindingProperty.computed] === 1,
    );
    if (name !== undefined && TOKEN_VARIABLES.test(name))
      s.ctx.emit('environment.token', span(s, property), name);
  }
}

/** `{ ...process.env }`, unless it builds a child's environment (`env: {...}`, `const env = {...}`). */
function onObject(pos: number, s: PositionState): void {
  const r = s.r;
  const properties = pos + FIELDS.ObjectExpression.properties;
  const count = r.vecLength(properties);
  const first = r.vecStart(properties);
  for (let i = 0; i < count; i++) {
    const kind = first + i * VEC_STRIDES.ObjectPropertyKind;
    if (r.buffer[kind] !== TAGS.ObjectPropertyKind.SpreadElement) continue;
    const spread = r.int32[(kind + 8) >> 2]!;
    const argument = spread + FIELDS.SpreadElement.argument;
    if (!isProcessEnvSlot(s, argument)) continue;
    const holder = fileState(s).holders.get(pos);
    if (holder?.key !== 'env' && !/env/i.test(holder?.variable ?? ''))
      s.ctx.emit('environment.bulk-read', span(s, r.int32[(argument + 8) >> 2]!), 'spread of process.env');
  }
}

/** Bulk environment reads, serialisation, credential variables by name, and host identity. */
export const environmentFamily: PositionFamily = {
  name: 'environment',
  enter: {
    StaticMemberExpression: (pos, s) => onMember(pos, s, E.StaticMemberExpression),
    ComputedMemberExpression: (pos, s) => onMember(pos, s, E.ComputedMemberExpression),
    CallExpression: onCall,
    ForInStatement: onForIn,
    ObjectProperty: onProperty,
    VariableDeclarator: onDeclarator,
    ObjectExpression: onObject,
  },
};
