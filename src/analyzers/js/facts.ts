/**
 * The facts `analyzer/js-capabilities` extracts from one JavaScript or TypeScript file.
 *
 * A capability is what the code can do (open a socket, spawn a process, evaluate a string), with
 * no judgement attached: rules in `src/rules/js/` decide which capabilities, alone or combined,
 * are threats. Each fact points at a line and column and carries a short escaped snippet.
 */
export const JS_CAPABILITIES = [
  // network
  'network.outbound', // http/https/net/tls/dgram/http2, fetch, XMLHttpRequest, WebSocket, clients such as axios
  'network.dns', // dns lookups and resolvers
  'network.geolocation', // IP geolocation services (ip-api, ipinfo...)
  'network.github-api', // api.github.com, Octokit
  // processes
  'process.spawn', // child_process and aliases, process.binding('spawn_sync')
  'process.shell-command', // a shell download/exec command line inside a string (curl | sh, powershell -enc)
  'process.silent', // a detached process with all output ignored
  'process.dll-load', // DLL side-loading, LD_PRELOAD, rundll32 and other system-binary proxies
  'process.ai-cli-bypass', // a local AI CLI with its permission checks switched off
  // file system
  'filesystem.write',
  'filesystem.delete',
  'filesystem.chmod',
  'filesystem.sensitive-path', // .npmrc, .ssh, .aws, .config/gh, wallets, browser profiles, /etc/passwd
  'filesystem.workflow-path', // .github/workflows
  'filesystem.persistence-path', // what runs at login, boot or on a schedule: shell startup files, cron, systemd, LaunchAgents, Run keys
  // environment and host
  'environment.bulk-read', // process.env enumerated or passed as a whole
  'environment.serialize', // JSON.stringify(process.env)
  'environment.token', // registry and CI tokens by name (NPM_TOKEN, _authToken, GITHUB_TOKEN)
  'system.info', // hostname, user name, home directory, network interfaces
  // dynamic code
  'code.eval',
  'code.function-constructor',
  'code.vm',
  'code.module-compile',
  'code.dynamic-require',
  'code.dynamic-import',
  'code.decode', // base64/hex/char codes/decipher/inflate/steganography decoders
  'code.decode-then-execute', // decoded data reaches eval/Function/vm/exec in the same function
  // obfuscation
  'obfuscation.mangled-identifier', // javascript-obfuscator's `_0x1a2b3c` names
  'obfuscation.boolean-trick', // `!![]`, `+!!false`, JSFuck-style coercions
  'obfuscation.string-array', // the rotated string-array function of javascript-obfuscator
  'obfuscation.packer', // Dean Edwards' `eval(function(p,a,c,k,e,d){...})`
  'obfuscation.global-lookup', // `global[decode(...)]`: a global reached through a computed name
  'obfuscation.decoder-call', // a home-made char-code decoder applied to a constant string
  'obfuscation.hidden-code', // code pushed off-screen by a long run of blanks
  'obfuscation.high-entropy-string', // a long string literal with near-random content
  'obfuscation.api', // a sensitive module's function reached through a computed or reflective name
  // browser
  'browser.fetch-override',
  'browser.xhr-hook',
  'browser.ethereum',
  // crypto-currency
  'crypto.wallet-address', // wallet address regexes or literal addresses (ETH/BTC/SOL)
  // registries and self-propagation
  'npm.publish',
  // time
  'time.date-gate', // code gated on a comparison with a fixed date
] as const;

export type JsCapability = (typeof JS_CAPABILITIES)[number];

export interface JsCapabilityFact {
  readonly capability: JsCapability;
  /** 1-based line and column (UTF-16 code units) of the construct. */
  readonly line: number;
  readonly column: number;
  /** UTF-16 offset and length of the construct in the decoded source. */
  readonly offset: number;
  readonly length: number;
  /** Short, escaped, secrets redacted. */
  readonly snippet: string;
  /** What exactly: `child_process.exec`, `https.request`, `.ssh`, `base64`... */
  readonly detail?: string;
  /** The enclosing function (arrows included), 0 for top-level code: rules pair facts within one scope. */
  readonly scope: number;
  /** Found by the fallback string scan (the file did not parse), not from the syntax tree. */
  readonly fallback?: boolean;
}

/** One per analysed file: how it was read and the measures that tell bundles from obfuscation. */
export interface JsFileFact {
  readonly bytes: number;
  readonly lines: number;
  readonly longestLine: number;
  /** Long lines with ordinary identifiers: the shape of a bundler's or minifier's output. */
  readonly minified: boolean;
  /**
   * `full`/`partial` (recoverable errors): walked; `strings-only`: nothing needed the tree, string
   * literals scanned; `fallback`: did not parse (or too deep to parse safely), lexical scan;
   * `skipped`: over the size limit, lexical scan of its head.
   */
  readonly parsed: 'full' | 'partial' | 'strings-only' | 'fallback' | 'skipped';
  readonly syntaxErrors: number;
  readonly identifiers: number;
  readonly mangledIdentifiers: number;
  readonly stringLiterals: number;
  readonly highEntropyStrings: number;
  /** Facts dropped because the per-file cap was reached. */
  readonly factsDropped: number;
}

declare module '../../core/facts.js' {
  interface FactRegistry {
    'js.capability': JsCapabilityFact;
    'js.file': JsFileFact;
  }
}
