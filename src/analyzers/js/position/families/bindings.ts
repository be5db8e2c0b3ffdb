import type { ModuleRef, SymbolInfo } from '../../context.js';
import { normalizeModule, processRoleOf } from '../../modules.js';
import { isFunctionDeclaration, type PositionFamily } from '../dispatch.js';
import { FIELDS, INLINE_TAGS, TAGS, VALUES, VEC_STRIDES } from '../layout.generated.js';
import { globalValue, type PositionState, processRole, resolveModule } from '../modules.js';
import { NO_EXPRESSION } from '../read.js';

const E = TAGS.Expression;
const A = TAGS.AssignmentTarget;
const NAME = FIELDS.IdentifierReference.name;

/** Every identifier is counted (minified and mangled shares); references and bindings can carry taint. */
function onIdentifier(pos: number, s: PositionState, canCarryTaint: boolean): void {
  const ctx = s.ctx;
  const r = s.r;
  ctx.identifiers++;
  const field = pos + NAME;
  // Names are read from the buffer only when they may matter: most never do.
  if (
    r.strBytes(field) > 4 &&
    r.strByte(field, 0) === 95 &&
    r.strByte(field, 1) === 48 &&
    r.strByte(field, 2) === 120
  ) {
    if (/^_0x[0-9a-f]{4,}$/i.test(r.str(field))) ctx.mangledIdentifiers++;
  }
  // Most files never taint a name: the scope lookup is only for names tainted somewhere. A
  // member's or key's name (`IdentifierName`) is no use of the variable.
  if (!canCarryTaint) return;
  const tainted = ctx.taintedNames;
  if (tainted.size === 0 || ctx.taintedNameBytes[Math.min(r.strBytes(field), 255)] === 0) return;
  const name = r.str(field);
  if (!tainted.has(name) || !ctx.lookup(name)?.isTainted) return;
  ctx.taintEvents++;
}

function onImport(pos: number, s: PositionState): void {
  const r = s.r;
  const module = normalizeModule(r.jsStr(pos + FIELDS.ImportDeclaration.source + FIELDS.StringLiteral.value));
  const field = pos + FIELDS.ImportDeclaration.specifiers;
  if (r.isNone(field)) return;
  const first = r.vecStart(field);
  const count = r.vecLength(field);
  for (let i = 0; i < count; i++) {
    const slot = first + i * VEC_STRIDES.ImportDeclarationSpecifier;
    const specifier = r.int32[(slot + 8) >> 2]!;
    if (r.buffer[slot] === TAGS.ImportDeclarationSpecifier.ImportSpecifier) {
      const local = r.str(specifier + FIELDS.ImportSpecifier.local + FIELDS.BindingIdentifier.name);
      const imported = importedName(s, specifier + FIELDS.ImportSpecifier.imported);
      const info = s.ctx.declare(local);
      info.module =
        imported === undefined || imported === 'default' ? { module } : { module, member: imported };
      countProcessRole(info, s);
    } else {
      // Default and namespace specifiers keep their local name at the same offset.
      const info = s.ctx.declare(
        r.str(specifier + FIELDS.ImportDefaultSpecifier.local + FIELDS.BindingIdentifier.name),
      );
      info.module = { module };
      countProcessRole(info, s);
    }
  }
}

/** `import { a }`, `import { 'a-b' as c }`: the exported name (a `ModuleExportName`, held inline). */
function importedName(s: PositionState, slot: number): string | undefined {
  const tag = s.r.buffer[slot]!;
  const M = TAGS.ModuleExportName;
  if (!(INLINE_TAGS.ModuleExportName as readonly number[]).includes(tag)) return undefined;
  if (tag === M.IdentifierName || tag === M.IdentifierReference) return s.r.str(slot + 8 + NAME);
  if (tag === M.StringLiteral) return s.r.jsStr(slot + 8 + FIELDS.StringLiteral.value);
  return undefined;
}

/** Learns what a declared or assigned name holds: a module, a constant, a code function, taint... */
function bind(
  s: PositionState,
  targetKind: 'pattern' | 'assignment',
  targetSlot: number,
  valueSlot: number,
): void {
  const r = s.r;
  const ctx = s.ctx;
  if (r.buffer[valueSlot] === NO_EXPRESSION) return; // `let a;`
  const init = r.unwrap(valueSlot);
  const initTag = r.tag();
  const targetTag = r.buffer[targetSlot]!;
  const target = r.int32[(targetSlot + 8) >> 2]!;
  const isDeclaration = targetKind === 'pattern';
  if (
    isDeclaration ? targetTag === TAGS.BindingPattern.ObjectPattern : targetTag === A.ObjectAssignmentTarget
  ) {
    bindDestructured(s, isDeclaration, target, valueSlot);
    return;
  }
  const name = isDeclaration ? r.bindingName(targetSlot) : r.assignmentTargetName(targetSlot);
  if (!name) {
    if (!isDeclaration) keepOnThis(s, r.assignmentTargetPath(targetSlot), valueSlot);
    return;
  }
  // Read before the name is bound: `const process = ...` would hide what the value is.
  const role = processRole(s, valueSlot);
  const global = globalValue(s, valueSlot);
  const info = symbol(s, name, isDeclaration);
  if (global !== undefined) {
    info.global = global;
    ctx.globalAliases++;
  }
  const module = resolveModule(s, valueSlot);
  if (module) info.module = module;
  if (role === 'process') info.isProcess = true;
  else if (role === 'env') info.isProcessEnv = true;
  countProcessRole(info, s);
  const constant = r.stringValue(valueSlot);
  if (constant !== undefined) info.constant = constant;
  if (initTag === E.NewExpression || initTag === E.CallExpression) {
    const callee = init + FIELDS.CallExpression.callee;
    const fn = r.unwrap(callee);
    if (
      r.identifierName(callee) === 'Function' ||
      (r.tag() === E.StaticMemberExpression &&
        r.str(fn + FIELDS.StaticMemberExpression.property + FIELDS.IdentifierName.name) === 'Function')
    )
      info.isCodeFunction = true;
  }
  const mark = ctx.mark;
  const isFunction = initTag === E.Function || initTag === E.ArrowFunctionExpression;
  if (mark) {
    if (ctx.networkEvents > mark.network && (initTag === E.CallExpression || initTag === E.NewExpression))
      info.isNetworkClient = true;
    if (ctx.taintEvents > mark.taint && !isFunction) {
      info.isTainted = true;
      ctx.addTaintedName(name);
    }
    if (ctx.charCodeEvents > mark.charCode && isFunction) info.isDecoder = true;
  }
  if (initTag === E.ArrayExpression) {
    const elements = init + FIELDS.ArrayExpression.elements;
    const count = r.vecLength(elements);
    const first = r.vecStart(elements);
    let strings = r.arrayLength(init) >= 3;
    for (let i = 0; strings && i < count; i++) {
      const element = first + i * VEC_STRIDES.ArrayExpressionElement;
      if (r.buffer[element] !== TAGS.ArrayExpressionElement.Elision)
        strings = r.stringValue(element) !== undefined;
    }
    if (strings) info.stringArray = { start: r.start(target), end: r.end(init) };
  }
}

/** `const { exec, spawn: run } = require('child_process')`, and the same as an assignment. */
function bindDestructured(
  s: PositionState,
  isDeclaration: boolean,
  pattern: number,
  valueSlot: number,
): void {
  const r = s.r;
  const base = resolveModule(s, valueSlot);
  const fromModule = base !== undefined && base.member === undefined;
  // `const { env } = process`
  const fromProcess = processRole(s, valueSlot) === 'process';
  if (!fromModule && !fromProcess) return;
  const properties =
    pattern + (isDeclaration ? FIELDS.ObjectPattern.properties : FIELDS.ObjectAssignmentTarget.properties);
  const count = r.vecLength(properties);
  const first = r.vecStart(properties);
  for (let i = 0; i < count; i++) {
    let key: string | undefined;
    let local: string | undefined;
    if (isDeclaration) {
      [key, local] = bindingProperty(s, first + i * VEC_STRIDES.BindingProperty);
    } else {
      const slot = first + i * VEC_STRIDES.AssignmentTargetProperty;
      const property = r.int32[(slot + 8) >> 2]!;
      if (r.buffer[slot] === TAGS.AssignmentTargetProperty.AssignmentTargetPropertyIdentifier) {
        // `({ exec } = cp)`, `({ exec = x } = cp)`
        key = local = r.str(property + FIELDS.AssignmentTargetPropertyIdentifier.key + NAME);
      } else {
        key = r.propertyKeyName(
          property + FIELDS.AssignmentTargetPropertyProperty.key,
          r.buffer[property + FIELDS.AssignmentTargetPropertyProperty.computed] === 1,
        );
        let value = property + FIELDS.AssignmentTargetPropertyProperty.value;
        if (r.buffer[value] === TAGS.AssignmentTargetMaybeDefault.AssignmentTargetWithDefault)
          value = r.int32[(value + 8) >> 2]! + FIELDS.AssignmentTargetWithDefault.left;
        local = r.assignmentTargetName(value);
      }
    }
    if (key === undefined || !local) continue;
    const info = symbol(s, local, isDeclaration);
    if (fromModule) info.module = { module: base.module, member: key };
    if (fromProcess && key === 'env') info.isProcessEnv = true;
    countProcessRole(info, s);
  }
}

/** A property of an object pattern (`exec`, `spawn: run`, `x = 1`): its key and the local name it binds. */
function bindingProperty(
  s: PositionState,
  property: number,
): [key: string | undefined, local: string | undefined] {
  const r = s.r;
  const key = r.propertyKeyName(
    property + FIELDS.BindingProperty.key,
    r.buffer[property + FIELDS.BindingProperty.computed] === 1,
  );
  let value = property + FIELDS.BindingProperty.value;
  if (r.buffer[value] === TAGS.BindingPattern.AssignmentPattern)
    value = r.int32[(value + 8) >> 2]! + FIELDS.AssignmentPattern.left;
  return [key, r.bindingName(value)];
}

/**
 * `import('child_process').then((cp) => cp.exec(c))`, `.then(({ exec }) => exec(c))`: the
 * callback's first parameter is the module (or its members), declared when its scope opens.
 * `../../families/bindings.ts`'s `learnModuleParameters` over the buffer.
 */
function learnModuleParameters(call: number, s: PositionState): void {
  const r = s.r;
  const fn = r.unwrap(call + FIELDS.CallExpression.callee);
  const fnTag = r.tag();
  if (fnTag !== E.StaticMemberExpression && fnTag !== E.ComputedMemberExpression) return;
  // `then` is 4 bytes: a static member of any other length is not read.
  if (
    fnTag === E.StaticMemberExpression &&
    r.strBytes(fn + FIELDS.StaticMemberExpression.property + FIELDS.IdentifierName.name) !== 4
  )
    return;
  if (r.memberNameAt(fn, fnTag) !== 'then') return;
  const promise = fn + FIELDS.StaticMemberExpression.object;
  r.unwrap(promise);
  if (r.tag() !== E.ImportExpression) return;
  const base = resolveModule(s, promise);
  const first = r.argument(call, 0);
  if (base === undefined || first === -1) return;
  const callback = r.unwrap(first);
  const callbackTag = r.tag();
  if (callbackTag !== E.Function && callbackTag !== E.ArrowFunctionExpression) return;
  const params =
    r.int32[
      (callback +
        (callbackTag === E.Function ? FIELDS.Function.params : FIELDS.ArrowFunctionExpression.params)) >>
        2
    ]!;
  const items = params + FIELDS.FormalParameters.items;
  if (r.vecLength(items) === 0) return;
  const pattern = r.vecStart(items) + FIELDS.FormalParameter.pattern;
  const name = r.bindingName(pattern);
  if (name !== undefined) {
    s.ctx.moduleParameters.set(callback, [{ name, module: base }]);
    return;
  }
  if (r.buffer[pattern] !== TAGS.BindingPattern.ObjectPattern) return;
  const object = r.int32[(pattern + 8) >> 2]!;
  const properties = object + FIELDS.ObjectPattern.properties;
  const members: Array<{ name: string; module: ModuleRef }> = [];
  for (let i = 0; i < r.vecLength(properties); i++) {
    const [key, local] = bindingProperty(s, r.vecStart(properties) + i * VEC_STRIDES.BindingProperty);
    if (key !== undefined && local)
      members.push({ name: local, module: { module: base.module, member: key } });
  }
  s.ctx.moduleParameters.set(callback, members);
}

/** `this.cp = require('child_process')` (`../../families/bindings.ts`'s `keepOnThis`). */
function keepOnThis(s: PositionState, path: string | undefined, valueSlot: number): void {
  if (path === undefined || !path.startsWith('this.') || path.indexOf('.', 5) !== -1) return;
  const module = resolveModule(s, valueSlot);
  if (module !== undefined) s.ctx.thisModules.set(path.slice(5), module);
}

/** A class field `cp = require('child_process')`: kept as `this.cp` is. */
function onPropertyDefinition(pos: number, s: PositionState): void {
  const r = s.r;
  if (r.buffer[pos + FIELDS.PropertyDefinition.static] === 1) return;
  const value = pos + FIELDS.PropertyDefinition.value;
  if (r.buffer[value] === NO_EXPRESSION) return;
  const name = r.propertyKeyName(
    pos + FIELDS.PropertyDefinition.key,
    r.buffer[pos + FIELDS.PropertyDefinition.computed] === 1,
  );
  const module = name === undefined ? undefined : resolveModule(s, value);
  if (module !== undefined) s.ctx.thisModules.set(name!, module);
}

/** Counts a name that stands for `process` or `process.env`, so that lookups for them start. */
function countProcessRole(info: SymbolInfo, s: PositionState): void {
  if (processRoleOf(info) !== undefined) s.ctx.processAliases++;
}

function symbol(s: PositionState, name: string, isDeclaration: boolean): SymbolInfo {
  return isDeclaration ? s.ctx.declare(name) : s.ctx.assign(name);
}

/**
 * Learns names as the walk meets them: module aliases (`const cp = require('child_process')`,
 * destructuring, imports), string constants, functions made by `new Function`, network clients,
 * decoders and names holding decoded data. Other families read these through `ctx.lookup`.
 */
export const bindingsFamily: PositionFamily = {
  name: 'bindings',
  enter: {
    ImportDeclaration: onImport,
    IdentifierReference: (pos, s) => onIdentifier(pos, s, true),
    BindingIdentifier: (pos, s) => onIdentifier(pos, s, true),
    LabelIdentifier: (pos, s) => onIdentifier(pos, s, true),
    IdentifierName: (pos, s) => onIdentifier(pos, s, false),
    // The ESTree spells `({ a } = b)`'s `a` twice (key and value), and `import.meta` and
    // `new.target` with two identifiers each.
    AssignmentTargetPropertyIdentifier: (_pos, s) => {
      s.ctx.identifiers++;
    },
    ImportMeta: (_pos, s) => {
      s.ctx.identifiers += 2;
    },
    NewTarget: (_pos, s) => {
      s.ctx.identifiers += 2;
    },
    // TypeScript: the ESTree gives an index signature's parameter (`[key: string]: T`) and
    // `declare global`'s name as identifiers.
    TSIndexSignatureName: (_pos, s) => {
      s.ctx.identifiers++;
    },
    TSGlobalDeclaration: (_pos, s) => {
      s.ctx.identifiers++;
    },
    CallExpression: learnModuleParameters,
  },
  exit: {
    PropertyDefinition: onPropertyDefinition,
    VariableDeclarator(pos, s) {
      bind(s, 'pattern', pos + FIELDS.VariableDeclarator.id, pos + FIELDS.VariableDeclarator.init);
    },
    AssignmentExpression(pos, s) {
      const operator = VALUES.AssignmentOperator[s.r.buffer[pos + FIELDS.AssignmentExpression.operator]!];
      if (operator !== '=' && operator !== '+=') return;
      bind(s, 'assignment', pos + FIELDS.AssignmentExpression.left, pos + FIELDS.AssignmentExpression.right);
    },
    Function(pos, s) {
      if (!isFunctionDeclaration(s, pos)) return;
      const id = pos + FIELDS.Function.id + FIELDS.BindingIdentifier.name;
      if (s.r.isNone(id)) return;
      const name = s.r.str(id);
      const ctx = s.ctx;
      if (name && ctx.mark && ctx.charCodeEvents > ctx.mark.charCode) ctx.declare(name).isDecoder = true;
    },
  },
};
