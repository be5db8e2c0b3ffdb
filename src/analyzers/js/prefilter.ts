import { hasBlankRun } from './blank-runs.js';
import { decodeJsEscapes, hasSignificantEscape } from './escapes.js';
import { HIDDEN_RUN } from './hidden-code.js';
import { WALLET_REGEX_SOURCE } from './string-signals.js';

/**
 * Tokens of code in a row, as a pattern. Between two tokens: blanks and closing parentheses
 * (`(process).env` is `process.env` to the parser), or the start of a comment, which a regular
 * expression cannot skip soundly (`/*` may sit in a string), so a comment there counts as a match
 * and the parse decides.
 */
function tokens(...parts: readonly string[]): string {
  return parts.reduceRight((rest, part) => String.raw`${part}\s*(?:\)\s*)*(?:\/[*/]|${rest})`);
}
/** `.` or `?.` between an object and its member. */
const DOT = String.raw`\??\.`;
/** `(` of a call, or `?.(`. */
const CALL = String.raw`(?:\?\.)?\(`;
/** A call, or a template's tag: Function`code` calls the Function constructor too. */
const CALL_OR_TAG = String.raw`(?:(?:\?\.)?\(|\x60)`;

/**
 * Whether a file can yield any fact that needs the syntax tree. Most files in node_modules are
 * small modules that only require relative files and compute: for them the parse (and, on Node 20,
 * the JSON deserialisation of oxc's tree, which dominates the cost) buys nothing, and a lexical
 * scan of their string literals finds every string signal.
 *
 * The pattern lists every token an AST-level fact depends on: modules by name (quoted), computed
 * require/import, browser and runtime globals, decoders, obfuscator shapes, dates and library file
 * names. Long blank runs (hidden code) are looked for apart, by probing, which costs far less than
 * one more alternative tried at every offset. Escapes can spell any token (`ev\u0061l`,
 * `'child\x5fprocess'`), so a file holding one is also tested as the parser will read it.
 * `eval/js-prefilter-check.ts` is the equivalence check over real packages, and the property test
 * in `extract.test.ts` the one over hostile spellings.
 */
const NEEDS_TREE = new RegExp(
  [
    // modules whose calls are capabilities, as quoted specifiers
    String.raw`(['"\x60])(node:)?(child_process|https?|http2|net|tls|dgram|dns|fs|fs-extra|graceful-fs|original-fs|os|vm|worker_threads|crypto|zlib|rimraf|del|trash|axios|node-fetch|cross-fetch|isomorphic-fetch|got|request|superagent|undici|needle|phin|ky|firebase|ws|socket\.io-client|bent|make-fetch-happen|minipass-fetch|ftp|ssh2|nodemailer|execa|cross-spawn|shelljs|zx|node-pty|child-process-promise|spawn-sync|[\w@/.-]*steg[\w.-]*|octokit|@octokit\/[\w.-]+)(\/promises)?\1`,
    // computed require/import: the argument starts with no quote, is a template with a hole, or
    // is a string with more after it (`require('./lib/' + name)`)
    tokens(String.raw`\b(require|import)`, CALL, String.raw`([^'"\x60\s)]|\x60[^\x60]*\$\{)`),
    tokens(String.raw`\b(require|import)`, CALL) +
      String.raw`\s*('[^'\n]*'|"[^"\n]*"|\x60[^\x60]*\x60)\s*(\/[*/]|[^\s),])`,
    String.raw`\b(fetch|XMLHttpRequest|WebSocket|EventSource|importScripts|sendBeacon|ethereum|defineProperty|eval|atob|Buffer|fromCharCode|fromCodePoint|createDecipheriv?|_compile|createRequire|Reflect|getOwnPropertyDescriptor|WriteProcessMemory|CreateRemoteThread|LoadLibraryA|VirtualAllocEx|NtCreateThreadEx|setTimeout|setInterval|spawn|spawnSync|execSync|execFile|execFileSync)\b`,
    // a script element, the browser's way to load code (`document.createElement('script')`)
    tokens(String.raw`\bcreateElement`, CALL, String.raw`['"\x60][sS][cC][rR][iI][pP][tT]\b`),
    tokens(String.raw`\bprocess`, String.raw`\[`),
    tokens(String.raw`\bprocess`, DOT, String.raw`(\[|(env|binding|_linkedBinding)\b)`),
    tokens(String.raw`\bFunction`, CALL_OR_TAG),
    tokens(String.raw`\bFunction`, DOT, String.raw`(call|apply)\b`),
    // `.constructor` read further or called: the Function constructor reached through an object
    // (`[].constructor.constructor(code)`, `(function(){}).constructor(code)`)
    tokens(String.raw`\bconstructor\b['"\x60]?\s*\]?`, String.raw`(\??\.|\[)`),
    // (a class's own `constructor(` is no call: a member's is, after `.`, `]` or a quote, with
    // blanks or comments between; the lookbehind follows the word so that V8 tries it only there)
    tokens(
      String.raw`constructor(?<=[.\]'"\x60](?:\s|\/\*(?:[^*]|\*(?!\/))*\*\/|\/\/[^\n]*\n)*constructor)\b['"\x60]?\s*\]?`,
      CALL_OR_TAG,
    ),
    // `const r = require`, `const F = Function`: a global function bound to another name
    tokens('=', String.raw`(require|Function)\b(?!\s*[(.])`),
    tokens(String.raw`\bnew`, String.raw`Function\b`),
    String.raw`\b_0x[0-9a-f]{3}`,
    tokens('[!+]', String.raw`\[`, String.raw`\]`),
    tokens(String.raw`\+`, '!', '!'),
    tokens(String.raw`\b(window|self|global|globalThis)`, String.raw`\[`),
    tokens(
      String.raw`\b(window|self|global|globalThis)`,
      DOT,
      String.raw`(\[|(fetch|eval|Function|ethereum|XMLHttpRequest|atob|process)\b)`,
    ),
    String.raw`\bDate\b`,
    // strings joined with `+`, which the analysis reads whole (`'cu' + 'rl x | sh'`), and arrays
    // of strings joined (`['ev', 'al'].join('')`)
    tokens(`['"\x60]`, String.raw`\+`, `['"\x60]`),
    tokens(`['"\x60]`, String.raw`\]`, DOT, String.raw`join\b`),
    // javascript-obfuscator's string-array accessor, `= function () { return _0xabc; }`
    tokens(
      '=',
      'function',
      String.raw`\(`,
      String.raw`\)`,
      String.raw`\{`,
      String.raw`return\b`,
      String.raw`[\w$]+`,
      ';?',
      String.raw`\}`,
    ),
    String.raw`\.(dll|so|exe)\b`,
    // a wallet address pattern written as a regex literal, which the string scan does not read
    WALLET_REGEX_SOURCE.source,
    // and its rotation loop, `arr.push(arr.shift())`
    tokens(String.raw`\.push`, String.raw`\(`, String.raw`[\w$]+`, DOT, String.raw`shift\b`),
  ].join('|'),
);

export function needsSyntaxTree(source: string): boolean {
  if (NEEDS_TREE.test(source) || hasBlankRun(source, HIDDEN_RUN)) return true;
  // `require('child\x5fprocess')`, `ev\u0061l(x)`: the tokens as the parser will read them.
  return hasSignificantEscape(source) && NEEDS_TREE.test(decodeJsEscapes(source));
}
