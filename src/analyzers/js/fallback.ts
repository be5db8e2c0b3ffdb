import type { WalkContext } from './context.js';
import { decodeJsEscapes } from './escapes.js';
import type { JsCapability } from './facts.js';
import { inspectString } from './families/strings.js';

interface TokenSignal {
  readonly capability: JsCapability;
  readonly detail: string;
}

/** Code constructs the fallback recognises by spelling alone, in one combined pass. */
const TOKENS: ReadonlyArray<readonly [RegExp, TokenSignal]> = [
  [/\beval\s*\(/y, { capability: 'code.eval', detail: 'eval' }],
  [/\bnew\s+Function\s*\(/y, { capability: 'code.function-constructor', detail: 'Function' }],
  [/\bchild_process\b/y, { capability: 'process.spawn', detail: 'child_process' }],
  [/\b(execSync|spawnSync|execFileSync)\s*\(/y, { capability: 'process.spawn', detail: 'exec/spawn' }],
  [/\batob\s*\(/y, { capability: 'code.decode', detail: 'base64' }],
  [
    /\bBuffer\.from\s*\([^)\n]{0,200}?['"](base64|hex)['"]/y,
    { capability: 'code.decode', detail: 'base64/hex' },
  ],
  [/\bString\.fromCharCode\b/y, { capability: 'code.decode', detail: 'char codes' }],
  [/\bcreateDecipheriv?\b/y, { capability: 'code.decode', detail: 'decipher' }],
  [/\b_0x[0-9a-f]{4,}\b/iy, { capability: 'obfuscation.mangled-identifier', detail: '_0x name' }],
  [/!!\[\]/y, { capability: 'obfuscation.boolean-trick', detail: '!![]' }],
  [
    /\bJSON\.stringify\s*\(\s*process\.env\b/y,
    { capability: 'environment.serialize', detail: 'JSON.stringify(process.env)' },
  ],
  [/\bfetch\s*\(/y, { capability: 'network.outbound', detail: 'fetch' }],
  [/\bXMLHttpRequest\b/y, { capability: 'network.outbound', detail: 'XMLHttpRequest' }],
  [/\bWebSocket\s*\(/y, { capability: 'network.outbound', detail: 'WebSocket' }],
  [
    /\brequire\s*\(\s*['"](node:)?(https?|http2|net|tls|dgram)['"]\s*\)/y,
    { capability: 'network.outbound', detail: 'network module' },
  ],
  [/\bvm\.run\w*\s*\(/y, { capability: 'code.vm', detail: 'vm' }],
  [/\._compile\s*\(/y, { capability: 'code.module-compile', detail: '_compile' }],
];
const TOKEN_START =
  /\beval\s*\(|\bnew\s+Function|\bchild_process\b|\b(execSync|spawnSync|execFileSync)\s*\(|\batob\s*\(|\bBuffer\.from\s*\(|\bString\.fromCharCode|\bcreateDecipher|\b_0x[0-9a-f]{4,}|!!\[\]|\bJSON\.stringify\s*\(\s*process\.env|\bfetch\s*\(|\bXMLHttpRequest\b|\bWebSocket\s*\(|\brequire\s*\(\s*['"]|\bvm\.run|\._compile\s*\(/gi;

/**
 * For files the parser cannot read: a linear scan of quoted strings (through the same string
 * signals as the AST walk) and of a few unmistakable tokens. Coarser than the walk, but a file
 * that does not parse still yields facts. A decoder and an eval on one line count as a chain.
 */
export function fallbackScan(ctx: WalkContext): void {
  scanStrings(ctx);
  const source = ctx.source;
  const decodeLines = new Set<number>();
  const execLines = new Map<number, { start: number; end: number }>();
  TOKEN_START.lastIndex = 0;
  for (let match = TOKEN_START.exec(source); match !== null; match = TOKEN_START.exec(source)) {
    const at = match.index;
    for (const [pattern, signal] of TOKENS) {
      pattern.lastIndex = at;
      const hit = pattern.exec(source);
      if (!hit) continue;
      const span = { start: at, end: at + hit[0].length };
      ctx.emit(signal.capability, span, signal.detail);
      const line = ctx.lines.position(at).line;
      if (signal.capability === 'code.decode') decodeLines.add(line);
      if (signal.capability === 'code.eval' || signal.capability === 'code.function-constructor')
        execLines.set(line, span);
      break;
    }
  }
  for (const [line, span] of execLines)
    if (decodeLines.has(line)) ctx.emit('code.decode-then-execute', span, 'decoder and eval on one line');
}

/**
 * Quoted strings (on one line unless a template), with escapes, however long: as the parser sees
 * them. Linear: a closed string is skipped whole, and a scan that does not close met no quote of
 * its kind before the line's end, so two such scans of one kind never cover the same text.
 */
export function scanStrings(ctx: WalkContext): void {
  const source = ctx.source;
  const length = source.length;
  for (let i = 0; i < length; i++) {
    const quote = source.charCodeAt(i);
    if (quote !== 34 && quote !== 39 && quote !== 96) continue;
    let j = i + 1;
    let escaped = false;
    let closed = false;
    while (j < length) {
      const code = source.charCodeAt(j);
      if (code === quote) {
        closed = true;
        break;
      }
      if (code === 10 && quote !== 96) break;
      if (code === 92) {
        escaped = true;
        // `\` CR LF continues the line as one escape.
        j += source.charCodeAt(j + 1) === 13 && source.charCodeAt(j + 2) === 10 ? 3 : 2;
        continue;
      }
      j++;
    }
    if (!closed) continue;
    // The string as the parser reads it: `'~/\x2enpmrc'` is `~/.npmrc`.
    const raw = source.slice(i + 1, j);
    const text = escaped ? decodeJsEscapes(raw) : raw;
    if (text.length >= 3) inspectString(text, { start: i, end: j + 1 }, ctx);
    i = j;
  }
}
