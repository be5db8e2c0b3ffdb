import { CHILD_PROCESS_RUNS, SPAWN_LIBRARIES, UNRESOLVED_RUNNERS } from '../../families/process.js';
import { inspectPieces } from '../../families/strings.js';
import type { PositionFamily } from '../dispatch.js';
import { FIELDS } from '../layout.generated.js';
import { calleeModule, calleeName, calleePath, type PositionState, span } from '../modules.js';

/** Whether an options object asks for a detached process with every output discarded. */
function isSilentOptions(s: PositionState, slot: number): boolean {
  const r = s.r;
  if (!r.isTrueLiteral(r.propertyValueSlot(slot, 'detached'))) return false;
  const stdio = r.propertyValueSlot(slot, 'stdio');
  if (stdio === -1) return false;
  if (r.stringValue(stdio) === 'ignore') return true;
  const items = r.stringElements(stdio);
  return items !== undefined && items.length >= 3 && items.every((item) => item === 'ignore');
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
