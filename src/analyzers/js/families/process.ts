import {
  type AstNode,
  callArguments,
  callee,
  isTrueLiteral,
  propertyValue,
  stringElements,
  stringValue,
} from '../ast.js';
import type { WalkContext } from '../context.js';
import { calleeModule, calleePath } from '../modules.js';
import type { Family } from '../walker.js';
import { inspectPieces } from './strings.js';

export const CHILD_PROCESS_RUNS = new Set([
  'exec',
  'execSync',
  'execFile',
  'execFileSync',
  'spawn',
  'spawnSync',
  'fork',
]);
/** Names that, called bare with a command string, almost always are child_process's. */
export const UNRESOLVED_RUNNERS = new Set(['spawn', 'spawnSync', 'execSync', 'execFileSync', 'execFile']);
/** Libraries whose only job is running commands. */
export const SPAWN_LIBRARIES = new Set([
  'execa',
  'cross-spawn',
  'shelljs',
  'zx',
  'node-pty',
  'child-process-promise',
  'spawn-sync',
]);

/** Whether an options object asks for a detached process with every output discarded. */
function isSilentOptions(options: AstNode | undefined): boolean {
  if (!isTrueLiteral(propertyValue(options, 'detached'))) return false;
  const stdio = propertyValue(options, 'stdio');
  if (stringValue(stdio) === 'ignore') return true;
  const items = stringElements(stdio);
  return items !== undefined && items.length >= 3 && items.every((item) => item === 'ignore');
}

function onCall(node: AstNode, ctx: WalkContext): void {
  const fn = callee(node);
  const ref = calleeModule(node, ctx);
  let runs: string | undefined;
  if (ref?.module === 'child_process' && ref.member !== undefined && CHILD_PROCESS_RUNS.has(ref.member)) {
    runs = `child_process.${ref.member}`;
  } else if (ref && SPAWN_LIBRARIES.has(ref.module)) {
    runs = ref.member ? `${ref.module}.${ref.member}` : ref.module;
  } else if (
    fn?.type === 'Identifier' &&
    UNRESOLVED_RUNNERS.has(fn.name as string) &&
    stringValue(callArguments(node)[0]) !== undefined
  ) {
    // `spawn('/usr/bin/x', ...)` where spawn's import is not visible (bundled, injected): still a process.
    runs = `${fn.name as string} (unresolved)`;
  } else {
    const path = calleePath(node, ctx);
    if (path === 'process.binding' || path === 'process._linkedBinding') {
      const binding = stringValue(callArguments(node)[0]);
      if (binding === 'spawn_sync' || binding === 'process_wrap') runs = `process.binding('${binding}')`;
    }
  }
  if (runs === undefined) return;
  ctx.codeEvents++;
  const args = callArguments(node);
  const command = stringValue(args[0]);
  ctx.emit('process.spawn', node, command === undefined ? runs : `${runs}: ${command.slice(0, 60)}`);
  const commandArguments = command === undefined ? undefined : stringElements(args[1]);
  if (commandArguments !== undefined) inspectPieces([command!, ...commandArguments], ' ', node, ctx);
  if (args.some((arg) => isSilentOptions(arg))) {
    // The `.unref()` that usually follows makes the parent exit without waiting: note it too.
    ctx.emit('process.silent', node, runs);
  }
  if (ctx.taintedSinceMark()) ctx.emit('code.decode-then-execute', node, runs);
}

/** Process execution: child_process under any alias, spawn libraries, process.binding. */
export const processFamily: Family = {
  name: 'process',
  exit: {
    CallExpression(node, ctx) {
      onCall(node, ctx);
    },
  },
};
