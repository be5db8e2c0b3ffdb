import { REFLECTIVE_LISTS, SENSITIVE_MODULES } from '../../families/api-obfuscation.js';
import type { PositionFamily } from '../dispatch.js';
import { FIELDS, TAGS } from '../layout.generated.js';
import { calleePath, constantString, type PositionState, perFile, span } from '../modules.js';

const E = TAGS.Expression;
const OBJECT = FIELDS.StaticMemberExpression.object;

/** `Object.keys(cp)` calls whose result is searched (`.find`, `.filter`) rather than copied. */
const searched = perFile(() => new Map<number, string>());

/** The sensitive module a name is bound to (`cp` for `require('child_process')`), if any. */
function sensitiveModule(s: PositionState, slot: number): string | undefined {
  const name = s.r.identifierName(slot);
  if (name === undefined) return undefined;
  const module = s.ctx.lookup(name)?.module;
  if (!module || module.member !== undefined || !SENSITIVE_MODULES.has(module.module)) return undefined;
  return module.module;
}

/** The ESTree type name the evidence used to give for a computed property that is no constant. */
const ESTREE_TYPES: Partial<Record<number, string>> = {
  [E.CallExpression]: 'CallExpression',
  [E.BinaryExpression]: 'BinaryExpression',
  [E.TemplateLiteral]: 'TemplateLiteral',
  [E.StaticMemberExpression]: 'MemberExpression',
  [E.ComputedMemberExpression]: 'MemberExpression',
  [E.PrivateFieldExpression]: 'MemberExpression',
  [E.ConditionalExpression]: 'ConditionalExpression',
  [E.LogicalExpression]: 'LogicalExpression',
  [E.SequenceExpression]: 'SequenceExpression',
  [E.AssignmentExpression]: 'AssignmentExpression',
  [E.ArrayExpression]: 'ArrayExpression',
  [E.ObjectExpression]: 'ObjectExpression',
  [E.UnaryExpression]: 'UnaryExpression',
  [E.UpdateExpression]: 'UpdateExpression',
  [E.NewExpression]: 'NewExpression',
  [E.TaggedTemplateExpression]: 'TaggedTemplateExpression',
  [E.ThisExpression]: 'ThisExpression',
  [E.Function]: 'FunctionExpression',
  [E.ArrowFunctionExpression]: 'ArrowFunctionExpression',
  [E.BooleanLiteral]: 'Literal',
  [E.NullLiteral]: 'Literal',
  [E.RegExpLiteral]: 'Literal',
  [E.BigIntLiteral]: 'Literal',
  [E.AwaitExpression]: 'AwaitExpression',
  [E.YieldExpression]: 'YieldExpression',
  [E.ImportExpression]: 'ImportExpression',
  [E.Class]: 'ClassExpression',
};

/**
 * `cp['spawn']`, `cp['sp' + 'awn']`, `cp[decode(...)]`, `cp[str]` with `str = 'spawn'`: a function of a
 * sensitive module reached by a computed name. A name held in an unknown variable (a loop over
 * method names, as fs wrappers do) is not flagged.
 */
function onComputedMember(member: number, s: PositionState): void {
  const r = s.r;
  const module = sensitiveModule(s, member + OBJECT);
  if (module === undefined) return;
  const propertySlot = member + FIELDS.ComputedMemberExpression.property;
  const property = r.unwrap(propertySlot);
  const tag = r.tag();
  if (tag === E.NumericLiteral) return;
  const constant = constantString(s, propertySlot);
  if (tag === E.IdentifierReference && constant === undefined) return;
  // Private slots (`fs['___graceful-fs.queue']`, `fs[Symbol.for(...)]`) are state, not hidden functions.
  if (constant !== undefined && !/^[A-Za-z_$][\w$]*$/.test(constant)) return;
  if (
    tag === E.CallExpression &&
    /^Symbol(\.for)?$/.test(r.dottedPath(property + FIELDS.CallExpression.callee) ?? '')
  )
    return;
  const kind = constant === undefined ? (ESTREE_TYPES[tag] ?? 'Expression') : `'${constant}'`;
  s.ctx.emit('obfuscation.api', span(s, member), `${module}[${kind}]`);
}

/** `Object.keys(cp).find(...)`: the member read on the call's result is seen before the call itself. */
function onStaticMember(member: number, s: PositionState): void {
  const r = s.r;
  if (r.buffer[member + OBJECT] !== E.CallExpression) return;
  const method = r.memberNameAt(member, E.StaticMemberExpression);
  if (method === 'find' || method === 'filter') searched(s).set(r.int32[(member + OBJECT + 8) >> 2]!, method);
}

function onComputedOrSearch(member: number, s: PositionState): void {
  const r = s.r;
  if (r.buffer[member + OBJECT] === E.CallExpression) {
    const method = r.memberNameAt(member, E.ComputedMemberExpression);
    if (method === 'find' || method === 'filter')
      searched(s).set(r.int32[(member + OBJECT + 8) >> 2]!, method);
  }
  onComputedMember(member, s);
}

/** By character code: whether some reflective listing (`Object.keys`, `Reflect.ownKeys`...) starts with it. */
const REFLECTIVE_FIRST_CHARS: readonly boolean[] = (() => {
  const table: boolean[] = [];
  for (const path of REFLECTIVE_LISTS) table[path.charCodeAt(0)] = true;
  return table;
})();

/** `Reflect.get(cp, 'spawn')`, `Object.getOwnPropertyDescriptor(os, 'hostname').value`, `Object.entries(cp).find(...)`. */
function onCall(call: number, s: PositionState): void {
  const path = calleePath(s, call);
  if (path === undefined) return;
  const first = s.r.argument(call, 0);
  if (path === 'Reflect.get' || path === 'Reflect.apply' || path === 'Object.getOwnPropertyDescriptor') {
    const module = first === -1 ? undefined : sensitiveModule(s, first);
    if (module !== undefined) s.ctx.emit('obfuscation.api', span(s, call), `${path}(${module})`);
    return;
  }
  // Most paths start with a letter no listing starts with: no Set lookup (and no hash) for them.
  if (REFLECTIVE_FIRST_CHARS[path.charCodeAt(0)] !== true || !REFLECTIVE_LISTS.has(path)) return;
  const module = first === -1 ? undefined : sensitiveModule(s, first);
  if (module === undefined) return;
  // Only a search for one name is obfuscation; copying every method (fs wrappers) is not.
  const method = searched(s).get(call);
  if (method !== undefined) s.ctx.emit('obfuscation.api', span(s, call), `${path}(${module}).${method}`);
}

/** Calls of sensitive modules' functions through computed or reflective names. */
export const apiObfuscationFamily: PositionFamily = {
  name: 'api-obfuscation',
  enter: {
    StaticMemberExpression: onStaticMember,
    ComputedMemberExpression: onComputedOrSearch,
    CallExpression: onCall,
  },
};
