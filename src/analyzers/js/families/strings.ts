import { type AstNode, callArguments, stringValue } from '../ast.js';
import type { Span, WalkContext } from '../context.js';
import { calleeModule, constantString } from '../modules.js';
import { shannonEntropy, signalsOf, WALLET_REGEX_SOURCE } from '../string-signals.js';
import type { Family } from '../walker.js';

/** Strings longer than this are only read up to it for signals: payloads hide in the first bytes too. */
export const SIGNAL_WINDOW = 8 * 1024;
/** A literal is "long" (tracked for hidden-code checks, measured for entropy) from this length. */
export const LONG_LITERAL = 150;
const ENTROPY_MIN_LENGTH = 200;
const ENTROPY_THRESHOLD = 5.2;
const HEX_BLOB = /^[0-9a-fA-F]+$/;
/** Win32 functions for injecting code into another process. */
export const INJECTION_APIS = new Set([
  'WriteProcessMemory',
  'CreateRemoteThread',
  'LoadLibraryA',
  'VirtualAllocEx',
  'NtCreateThreadEx',
]);

export function inspectString(value: string, node: Span, ctx: WalkContext): void {
  ctx.stringLiterals++;
  if (value.length < 3) return;
  if (value.length >= LONG_LITERAL) ctx.longLiteralSpans.push([node.start, node.end]);
  const window = value.length > SIGNAL_WINDOW ? value.slice(0, SIGNAL_WINDOW) : value;
  emitSignals(window, node, ctx);
  if (window.includes('{40}') || window.includes('bc1[') || window.includes('{32,44}')) {
    if (WALLET_REGEX_SOURCE.test(window)) ctx.emit('crypto.wallet-address', node, 'wallet address pattern');
  }
  if (value.length >= ENTROPY_MIN_LENGTH && !value.startsWith('data:')) {
    // Hex tops out at 4 bits per character, so a long pure-hex run is judged by its alphabet.
    const kind = HEX_BLOB.test(window) ? 'hex' : isHighEntropy(window) ? 'near-random' : undefined;
    if (kind !== undefined) {
      ctx.highEntropyStrings++;
      ctx.emit('obfuscation.high-entropy-string', node, `${value.length} chars, ${kind}`);
    }
  }
}

/** The string signals (shell commands, sensitive paths, hosts, publish...) a text carries. */
function emitSignals(window: string, node: Span, ctx: WalkContext): void {
  for (const signal of signalsOf(window)) ctx.emit(signal.capability, node, signal.detail);
}

/**
 * Pieces read as the text a program makes of them, for the same signals as a string:
 * `spawn('npm', ['publish'])` is the command line `npm publish`, `path.join(home, '.config', 'gh')`
 * a path ending in `.config/gh`. Not counted as a string literal.
 */
export function inspectPieces(
  pieces: readonly string[],
  separator: string,
  node: Span,
  ctx: WalkContext,
): void {
  const joined = pieces.join(separator);
  const text = joined.length > SIGNAL_WINDOW ? joined.slice(0, SIGNAL_WINDOW) : joined;
  for (const signal of signalsOf(text)) {
    // A signal one piece carries alone is the piece's own (its literal reports it).
    if (!pieces.some((piece) => signal.pattern.test(piece))) ctx.emit(signal.capability, node, signal.detail);
  }
}

/** `path.join`/`path.resolve`: the functions that put a path together from pieces. */
export const PATH_JOINS: ReadonlySet<string> = new Set(['join', 'resolve']);

/**
 * The pieces of a path put together by `path.join(...)`, a piece that is not constant as `*`;
 * undefined unless two pieces at least are constant (one alone is read as a literal already).
 */
export function pathPieces(constants: ReadonlyArray<string | undefined>): string[] | undefined {
  let known = 0;
  for (const piece of constants) if (piece !== undefined) known++;
  return known < 2 ? undefined : constants.map((piece) => piece ?? '*');
}

/** Near-random text without spaces: base64/hex blobs, encrypted payloads (data: URIs are excluded above). */
function isHighEntropy(text: string): boolean {
  let spaces = 0;
  for (let i = 0; i < text.length; i++) if (text.charCodeAt(i) === 32) spaces++;
  if (spaces / text.length > 0.02) return false;
  return shannonEntropy(text) >= ENTROPY_THRESHOLD;
}

/** A call with an executable as its first argument and a library later: `inject('app.exe ...', 'x.dll')`. */
/**
 * `'cu' + 'rl https://x | sh'`, `['cu', 'rl https://x | sh'].join('')`: constant strings joined
 * are read whole, once, at the top of the expression (the joins inside it are not read again).
 */
function inspectJoined(node: AstNode, ctx: WalkContext): void {
  if ((node.start as number) < ctx.joinedUntil) return;
  const text = stringValue(node);
  if (text === undefined) return;
  ctx.joinedUntil = node.end as number;
  inspectString(text, node, ctx);
}

function onCall(node: AstNode, ctx: WalkContext): void {
  inspectJoined(node, ctx);
  const args = callArguments(node);
  const ref = args.length >= 2 ? calleeModule(node, ctx) : undefined;
  if (ref?.module === 'path' && ref.member !== undefined && PATH_JOINS.has(ref.member)) {
    const pieces = pathPieces(args.map((arg) => constantString(arg, ctx)));
    if (pieces !== undefined) inspectPieces(pieces, '/', node, ctx);
  }
  if (args.length < 2) return;
  const first = constantString(args[0], ctx);
  if (first === undefined || !/\.exe\b|\/bin\//i.test(first)) return;
  for (let i = 1; i < args.length; i++) {
    const later = constantString(args[i], ctx);
    if (later !== undefined && /\.(dll|so)\b/i.test(later)) {
      ctx.emit('process.dll-load', node, 'executable started with a library argument');
      return;
    }
  }
}

/** Signals carried by string, template and regex literals, plus injection API names. */
export const stringsFamily: Family = {
  name: 'strings',
  enter: {
    Literal(node, ctx) {
      if (typeof node.value === 'string') {
        inspectString(node.value, node, ctx);
        return;
      }
      const regex = node.regex as { pattern?: string } | undefined;
      if (regex?.pattern && WALLET_REGEX_SOURCE.test(regex.pattern))
        ctx.emit('crypto.wallet-address', node, 'wallet address regex');
    },
    // `'cu' + 'rl http://x | sh'`: a chain of constant strings is read whole too, once, at its top.
    BinaryExpression: inspectJoined,
    TemplateLiteral(node, ctx) {
      const whole = stringValue(node);
      if (whole !== undefined) {
        inspectString(whole, node, ctx);
        return;
      }
      if (node.end - node.start >= LONG_LITERAL) ctx.longLiteralSpans.push([node.start, node.end]);
    },
    TemplateElement(node, ctx) {
      const parent = ctx.parent();
      // Whole constant templates were read as one string above.
      if (parent?.type === 'TemplateLiteral' && (parent.expressions as unknown[]).length === 0) return;
      const value = node.value as { cooked?: string | null; raw?: string } | undefined;
      const text = value?.cooked ?? value?.raw;
      if (text) inspectString(text, node, ctx);
    },
    Identifier(node, ctx) {
      const name = node.name as string;
      if (name.length > 10 && INJECTION_APIS.has(name))
        ctx.emit('process.dll-load', node, `${name} (process injection API)`);
    },
    CallExpression: onCall,
  },
};
