import { type ShellCommand, tokenizeCommandLine } from './command-line.js';
import { moduleRefsOf } from './module-refs.js';

/**
 * What an npm lifecycle script runs, read from its command line without running it: the programs,
 * downloads, encoded shells, pipes into interpreters, the JavaScript files that `node` is asked to
 * run (install-time code, to be analysed like any other file), and well-known build tools
 * (`node-gyp rebuild`, `prebuild-install`...) recognised by name. Neutral data: rules decide what
 * of it is a threat.
 */

/** The npm hooks that run when a package is installed, uninstalled or packed from git. */
export const LIFECYCLE_HOOKS = [
  'preinstall',
  'install',
  'postinstall',
  'prepublish',
  'preprepare',
  'prepare',
  'postprepare',
  'preuninstall',
  'uninstall',
  'postuninstall',
] as const;
export type LifecycleHook = (typeof LIFECYCLE_HOOKS)[number];

/** Tools that packages commonly run at install time for ordinary reasons (native builds, git hooks). */
export const KNOWN_INSTALL_TOOLS = [
  'node-gyp', // compiles a native addon from binding.gyp
  'node-gyp-build', // loads a prebuilt addon or compiles one
  'prebuild-install', // downloads a prebuilt addon from the project's GitHub releases
  'node-pre-gyp', // the same, @mapbox's flavour
  'cmake-js', // compiles a native addon with CMake
  'husky', // installs git hooks in the developer's clone
  'patch-package', // applies the project's own patches to node_modules
  'esbuild-install', // esbuild's `node install.js`: checks its platform binary package
  'sharp-install', // sharp's `node install/check`: checks for libvips, may build from source
  'opencollective', // prints a funding message
  'is-ci', // guards the next command to CI
] as const;
export type KnownInstallTool = (typeof KNOWN_INSTALL_TOOLS)[number];

export interface ScriptDownload {
  /** `curl`, `wget`, `certutil`, `bitsadmin`, `powershell:Invoke-WebRequest`... */
  readonly tool: string;
  readonly url?: string;
}

export interface ScriptEncodedShell {
  /** `powershell -enc` or `base64 | sh`. */
  readonly form: 'powershell-encoded' | 'base64-to-interpreter';
  /** The encoded payload's length in characters, when it is on the line. */
  readonly payloadChars?: number;
}

export interface ScriptPipeToInterpreter {
  /** The program writing into the pipe (`curl`, `echo`, `base64`). */
  readonly from: string;
  /** The interpreter reading it (`sh`, `bash`, `node`, `python`, `iex`). */
  readonly interpreter: string;
}

export interface LifecycleAnalysis {
  /** Program names in order of appearance (basename, lower case, `.exe` dropped), capped. */
  readonly programs: readonly string[];
  readonly downloads: readonly ScriptDownload[];
  readonly encodedShells: readonly ScriptEncodedShell[];
  readonly pipesToInterpreter: readonly ScriptPipeToInterpreter[];
  /** Files given to `node` (relative to the package root, `./` dropped): install-time code. */
  readonly nodeScripts: readonly string[];
  /** `node -e` / `node -p` code written on the line itself, capped. */
  readonly inlineCode: readonly string[];
  readonly knownTools: readonly KnownInstallTool[];
  /** `http(s)://` and `ftp://` URLs anywhere on the line. */
  readonly urls: readonly string[];
  /** A quote or substitution was left open: the analysis saw what it could. */
  readonly isUnterminated: boolean;
}

const MAX_ITEMS = 32;
const MAX_INLINE_CHARS = 400;

const SHELLS = new Set(['sh', 'bash', 'zsh', 'dash', 'ksh', 'fish', 'ash', 'busybox']);
const INTERPRETERS = new Set([
  ...SHELLS,
  'node',
  'nodejs',
  'python',
  'python3',
  'perl',
  'ruby',
  'php',
  'powershell',
  'pwsh',
  'iex',
  'invoke-expression',
  'cmd',
]);
const POWERSHELLS = new Set(['powershell', 'pwsh']);
/** PowerShell cmdlets and .NET calls that fetch from the network. */
const POWERSHELL_DOWNLOADS =
  /\b(invoke-webrequest|iwr|invoke-restmethod|irm|start-bitstransfer|downloadstring|downloadfile|downloaddata|net\.webclient)\b/i;
/** Modules through which inline `node -e` code reaches the network. */
const NETWORK_MODULES = new Set([
  'http',
  'https',
  'net',
  'tls',
  'dgram',
  'http2',
  'undici',
  'axios',
  'node-fetch',
  'got',
]);
const URL_PATTERN = /\b(?:https?|ftp):\/\/[^\s'"`<>|;)]+/gi;

/** `C:\x\Node.EXE` -> `node`; `./node_modules/.bin/husky` -> `husky`. */
export function programName(word: string): string {
  const base = word.replace(/\\/g, '/').split('/').pop() ?? word;
  return base.toLowerCase().replace(/\.(exe|cmd|bat|ps1)$/, '');
}

/** PowerShell accepts any prefix of `-EncodedCommand` down to `-e` (`-enc`, `-ec` is its alias). */
function isEncodedCommandFlag(word: string): boolean {
  if (!/^-{1,2}[a-z]/i.test(word)) return false;
  const flag = word.toLowerCase().replace(/^-{1,2}/, '');
  return 'encodedcommand'.startsWith(flag) || flag === 'ec';
}

function commandText(command: ShellCommand): string {
  return command.words.join(' ');
}

function urlsIn(text: string): string[] {
  return [...text.matchAll(URL_PATTERN)].map((match) => match[0]);
}

interface Collector {
  programs: string[];
  downloads: ScriptDownload[];
  encodedShells: ScriptEncodedShell[];
  pipes: ScriptPipeToInterpreter[];
  nodeScripts: string[];
  inlineCode: string[];
  knownTools: Set<KnownInstallTool>;
}

/** The script file and the inline code of a `node` command line (options skipped). */
function readNodeCommand(words: readonly string[], into: Collector): void {
  for (let index = 1; index < words.length; index++) {
    const word = words[index]!;
    if (word === '-e' || word === '--eval' || word === '-p' || word === '--print') {
      const code = words[index + 1];
      if (code !== undefined) into.inlineCode.push(code.slice(0, MAX_INLINE_CHARS));
      return;
    }
    if (/^(-r|--require|--import|--loader|--experimental-loader|-C|--conditions)$/.test(word)) {
      index++;
      continue;
    }
    if (word.startsWith('-')) continue;
    into.nodeScripts.push(word.replace(/^\.\//, '').replace(/\\/g, '/'));
    return;
  }
}

function recognise(program: string, words: readonly string[], packageName: string | undefined) {
  const args = words.slice(1).map((word) => word.toLowerCase());
  switch (program) {
    case 'node-gyp':
    case 'node-gyp-build':
    case 'prebuild-install':
    case 'node-pre-gyp':
    case 'cmake-js':
    case 'husky':
    case 'patch-package':
    case 'opencollective':
    case 'is-ci':
      return program;
    case 'opencollective-postinstall':
      return 'opencollective';
    case 'node': {
      const file = args.find((arg) => !arg.startsWith('-'));
      if (
        file !== undefined &&
        /^(\.\/)?install\.js$/.test(file) &&
        (packageName === 'esbuild' || packageName?.startsWith('@esbuild/'))
      )
        return 'esbuild-install';
      if (file !== undefined && /^(\.\/)?install\/check(\.js)?$/.test(file) && packageName === 'sharp')
        return 'sharp-install';
      return undefined;
    }
    default:
      return undefined;
  }
}

function analyseCommand(
  command: ShellCommand,
  packageName: string | undefined,
  into: Collector,
): string | undefined {
  const [first, ...rest] = command.words;
  if (first === undefined) return undefined;
  let program = programName(first);
  let words = command.words;
  // `npx husky install`, `sudo curl ...`, `env X=1 node y.js`: look through the launcher.
  if (
    (program === 'npx' || program === 'sudo' || program === 'env' || program === 'exec') &&
    rest.length > 0
  ) {
    const inner = rest.findIndex((word) => !word.startsWith('-') && !/^[A-Za-z_][A-Za-z0-9_]*=/.test(word));
    if (inner >= 0) {
      words = rest.slice(inner);
      program = programName(words[0]!);
    }
  }
  if (into.programs.length < MAX_ITEMS) into.programs.push(program);
  const text = commandText({ words, assignments: [] });
  const lower = text.toLowerCase();
  const url = urlsIn(text)[0];
  const download = (tool: string) => into.downloads.push({ tool, ...(url ? { url } : {}) });

  if (program === 'curl' || program === 'wget' || program === 'aria2c' || program === 'fetch')
    download(program);
  else if (program === 'certutil' && /[-/]urlcache\b|[-/]verifyctl\b/i.test(lower)) download('certutil');
  else if (program === 'bitsadmin' && /\/transfer\b|\/addfile\b/i.test(lower)) download('bitsadmin');
  else if (POWERSHELLS.has(program) || program === 'invoke-webrequest' || program === 'iwr') {
    const cmdlet = POWERSHELL_DOWNLOADS.exec(text);
    if (cmdlet) download(`powershell:${cmdlet[1]!.toLowerCase()}`);
  }
  if (POWERSHELLS.has(program)) {
    const flagAt = words.findIndex((word, index) => index > 0 && isEncodedCommandFlag(word));
    if (flagAt > 0) {
      const payload = words[flagAt + 1];
      into.encodedShells.push({
        form: 'powershell-encoded',
        ...(payload !== undefined ? { payloadChars: payload.length } : {}),
      });
    }
  }
  if (program === 'node' || program === 'nodejs') {
    const before = into.inlineCode.length;
    readNodeCommand(words, into);
    // `node -e "require('https').get(…)"`: inline code that reaches the network is a download.
    for (const code of into.inlineCode.slice(before)) {
      const client =
        moduleRefsOf(code).find((name) => NETWORK_MODULES.has(name)) ??
        (/\bfetch\s*\(/.test(code) ? 'fetch' : undefined);
      if (client) {
        const inlineUrl = urlsIn(code)[0] ?? url;
        into.downloads.push({ tool: `node-inline:${client}`, ...(inlineUrl ? { url: inlineUrl } : {}) });
      }
    }
  }
  const known = recognise(program, words, packageName);
  if (known) into.knownTools.add(known);
  return program;
}

/** Analyses one lifecycle script's command line. `packageName` lets `node install.js` of esbuild be recognised. */
export function analyseLifecycleScript(script: string, packageName?: string): LifecycleAnalysis {
  const line = tokenizeCommandLine(script);
  const into: Collector = {
    programs: [],
    downloads: [],
    encodedShells: [],
    pipes: [],
    nodeScripts: [],
    inlineCode: [],
    knownTools: new Set(),
  };
  for (const pipeline of line.pipelines) {
    const programs = pipeline.commands.map((command) => analyseCommand(command, packageName, into));
    for (let index = 1; index < programs.length; index++) {
      const reader = programs[index];
      const command = pipeline.commands[index]!;
      if (reader === undefined || !INTERPRETERS.has(reader)) continue;
      // `| node script.js` hands data to a script; `| sh`, `| node`, `| bash -s` run the data itself.
      const args = command.words.slice(1).filter((word) => !word.startsWith('-'));
      const runsStdin = args.length === 0 || (reader === 'cmd' && /\/c/i.test(command.words.join(' ')));
      if (!runsStdin) continue;
      const writer =
        programs
          .slice(0, index)
          .reverse()
          .find((name) => name !== undefined) ?? 'unknown';
      into.pipes.push({ from: writer, interpreter: reader });
      if (
        programs.slice(0, index).some((name) => name === 'base64' || name === 'openssl' || name === 'xxd')
      ) {
        const decode = pipeline.commands
          .slice(0, index)
          .find((each) => /^(echo|printf)$/.test(programName(each.words[0] ?? '')));
        const payload = decode?.words.slice(1).sort((a, b) => b.length - a.length)[0];
        into.encodedShells.push({
          form: 'base64-to-interpreter',
          ...(payload !== undefined ? { payloadChars: payload.length } : {}),
        });
      }
    }
  }
  return {
    programs: into.programs,
    downloads: into.downloads.slice(0, MAX_ITEMS),
    encodedShells: into.encodedShells.slice(0, MAX_ITEMS),
    pipesToInterpreter: into.pipes.slice(0, MAX_ITEMS),
    nodeScripts: [...new Set(into.nodeScripts)].slice(0, MAX_ITEMS),
    inlineCode: into.inlineCode.slice(0, MAX_ITEMS),
    knownTools: [...into.knownTools],
    urls: [...new Set(urlsIn(script))].slice(0, MAX_ITEMS),
    isUnterminated: line.isUnterminated,
  };
}
