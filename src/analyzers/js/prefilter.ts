import { hasBlankRun } from './blank-runs.js';
import { HIDDEN_RUN } from './hidden-code.js';

/**
 * Whether a file can yield any fact that needs the syntax tree. Most files in node_modules are
 * small modules that only require relative files and compute: for them the parse (and, on Node 20,
 * the JSON deserialisation of oxc's tree, which dominates the cost) buys nothing, and a lexical
 * scan of their string literals finds every string signal.
 *
 * The pattern lists every token an AST-level fact depends on: modules by name (quoted), computed
 * require/import, browser and runtime globals, decoders, obfuscator shapes, dates and library file
 * names. Long blank runs (hidden code) are looked for apart, by probing, which costs far less than
 * one more alternative tried at every offset. `eval/js-prefilter-check.ts` is the equivalence
 * check over real packages.
 */
const NEEDS_TREE = new RegExp(
  [
    // modules whose calls are capabilities, as quoted specifiers
    String.raw`(['"\x60])(node:)?(child_process|https?|http2|net|tls|dgram|dns|fs|fs-extra|graceful-fs|original-fs|os|vm|crypto|zlib|rimraf|del|trash|axios|node-fetch|cross-fetch|isomorphic-fetch|got|request|superagent|undici|needle|phin|ky|firebase|ws|socket\.io-client|bent|make-fetch-happen|minipass-fetch|ftp|ssh2|nodemailer|execa|cross-spawn|shelljs|zx|node-pty|child-process-promise|spawn-sync|[\w@/.-]*steg[\w.-]*|octokit|@octokit\/[\w.-]+)(\/promises)?\1`,
    String.raw`\b(require|import)\s*\(\s*([^'"\x60\s)]|\x60[^\x60]*\$\{)`,
    String.raw`\b(fetch|XMLHttpRequest|WebSocket|EventSource|ethereum|defineProperty|eval|atob|Buffer|fromCharCode|fromCodePoint|createDecipheriv?|_compile|Reflect|getOwnPropertyDescriptor|WriteProcessMemory|CreateRemoteThread|LoadLibraryA|VirtualAllocEx|NtCreateThreadEx|setTimeout|setInterval|spawn|spawnSync|execSync|execFile|execFileSync)\b`,
    String.raw`\bprocess\s*(\.\s*(env|binding|_linkedBinding)\b|\[)`,
    String.raw`\bFunction\s*\(|\bnew\s+Function\b`,
    String.raw`\b_0x[0-9a-f]{3}`,
    String.raw`[!+]\s*\[\s*\]|\+\s*!\s*!`,
    String.raw`\b(window|self|global|globalThis)\s*(\[|\.\s*(fetch|eval|Function|ethereum|XMLHttpRequest|atob|process))`,
    String.raw`\bDate\b`,
    String.raw`=\s*function\s*\(\s*\)\s*\{\s*return\s+[\w$]+\s*;?\s*\}`,
    String.raw`\.(dll|so|exe)\b`,
    String.raw`\.push\s*\(\s*[\w$]+\s*\.\s*shift\b`,
  ].join('|'),
);

export function needsSyntaxTree(source: string): boolean {
  return NEEDS_TREE.test(source) || hasBlankRun(source, HIDDEN_RUN);
}
