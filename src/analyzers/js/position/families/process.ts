import { CHILD_PROCESS_RUNS, SPAWN_LIBRARIES, UNRESOLVED_RUNNERS } from '../../families/process.js';
import { inspectPieces } from '../../families/strings.js';
import type { PositionFamily } from '../dispatch.js';
import { FIELDS, TAGS, VEC_STRIDES } from '../layout.generated.js';
import { calleeModule, calleeName, calleePath, type PositionState, span } from '../modules.js';

const E = TAGS.Expression;

/** Whether an options object asks for a detached process with every output discarded. */
function isSilentOptions(s: PositionState, slot: number): boolean {
  const r = s.r;
  const object = r.unwrap(slot);
  if (r.tag() !== E.ObjectExpression) return false;
  let detached = false;
  let ignored = false;
  const properties = object + FIELDS.ObjectExpression.properties;
  const count = r.vecLength(properties);
  const first = r.vecStart(properties);
  for (let i = 0; i < count; i++) {
    const kind = first + i * VEC_STRIDES.ObjectPropertyKind;
    if (r.buffer[kind] !== TAGS.ObjectPropertyKind.ObjectProperty) continue;
    const property = r.int32[(kind + 8) >> 2]!;
    // ESTree's `identifierName(key) ?? stringValue(key)`, computed or not.
    const keySlot = property + FIELDS.ObjectProperty.key;
    const key =
      r.buffer[keySlot] === TAGS.PropertyKey.IdentifierName
        ? r.str(r.int32[(keySlot + 8) >> 2]! + FIELDS.IdentifierName.name)
        : (r.identifierName(keySlot) ?? r.stringValue(keySlot));
    const valueSlot = property + FIELDS.ObjectProperty.value;
    const value = r.unwrap(valueSlot);
    const tag = r.tag();
    if (key === 'detached' && tag === E.BooleanLiteral && r.buffer[value + FIELDS.BooleanLiteral.value] === 1)
      detached = true;
    if (key === 'stdio') {
      if (r.stringValue(valueSlot) === 'ignore') ignored = true;
      if (tag === E.ArrayExpression) {
        const elements = value + FIELDS.ArrayExpression.elements;
        const items = r.vecLength(elements);
        let all = items >= 3;
        for (let j = 0; all && j < items; j++)
          all = r.stringValue(r.vecStart(elements) + j * VEC_STRIDES.ArrayExpressionElement) === 'ignore';
        ignored = all;
      }
    }
  }
  return detached && ignored;
}

function onCall(call: number, s: PositionState): void {
  const r = s.r;
  const ctx = s.ctx;
  const ref = calleeModule(s, call);
  const first = r.argument(call, 0);
  let runs: string | undefined;
  if (ref?.module === 'child_process' && ref.member !== undefined && CHILD_PROCESS_RUNS.has(ref.member)) {
    runs = `child_process.${ref.member}`;
  } else if (ref && SPAWN_LIBRARIES.has(ref.module)) {
    runs = ref.member ? `${ref.module}.${ref.member}` : ref.module;
  } else {
    const bare = calleeName(s, call);
    if (
      bare !== undefined &&
      UNRESOLVED_RUNNERS.has(bare) &&
      first !== -1 &&
      r.stringValue(first) !== undefined
    ) {
      // `spawn('/usr/bin/x', ...)` where spawn's import is not visible (bundled, injected): still a process.
      runs = `${bare} (unresolved)`;
    } else {
      const path = calleePath(s, call);
      if (path === 'process.binding' || path === 'process._linkedBinding') {
        const binding = first === -1 ? undefined : r.stringValue(first);
        if (binding === 'spawn_sync' || binding === 'process_wrap') runs = `process.binding('${binding}')`;
      }
    }
  }
  if (runs === undefined) return;
  ctx.codeEvents++;
  const command = first === -1 ? undefined : r.stringValue(first);
  const where = span(s, call);
  ctx.emit('process.spawn', where, command === undefined ? runs : `${runs}: ${command.slice(0, 60)}`);
  const second = r.argument(call, 1);
  const commandArguments = command === undefined || second === -1 ? undefined : r.stringElements(second);
  if (commandArguments !== undefined) inspectPieces([command!, ...commandArguments], ' ', where, ctx);
  const count = r.vecLength(call + FIELDS.CallExpression.arguments);
  for (let i = 0; i < count; i++) {
    if (isSilentOptions(s, r.argument(call, i))) {
      // The `.unref()` that usually follows makes the parent exit without waiting: note it too.
      ctx.emit('process.silent', where, runs);
      break;
    }
  }
  if (ctx.taintedSinceMark()) ctx.emit('code.decode-then-execute', where, runs);
}

/** Process execution: child_process under any alias, spawn libraries, process.binding. */
export const processFamily: PositionFamily = {
  name: 'process',
  exit: { CallExpression: onCall },
};
