import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AnalyzerResult } from '../core/plugin.js';
import { openStore } from '../store/open-store.js';
import type { Store } from '../store/types.js';
import { factsKeyOf, StoreFactsCache } from './store-facts-cache.js';

let dir: string;
let store: Store;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'countersign-facts-cache-'));
  store = await openStore({ url: `sqlite:${join(dir, 'store.sqlite')}` });
});

afterAll(async () => {
  await store?.close();
  await rm(dir, { recursive: true, force: true });
});

const key = { sha256: 'a'.repeat(64), name: 'index.js', analyzer: 'analyzer/js@3:{"maxParseBytes":1}' };
const result: AnalyzerResult = {
  facts: [],
  gaps: [{ code: 'E_JS_SYNTAX', stage: 'analyze', message: 'unexpected token' }],
};

describe('StoreFactsCache', () => {
  it('keys by plugin id, with version, configuration and entry name in the version', () => {
    const base = factsKeyOf(key);
    expect(base.analyzer).toBe('analyzer/js');
    expect(base.analyzerVersion.startsWith('3+')).toBe(true);
    expect(factsKeyOf({ ...key, name: 'index.mjs' }).analyzerVersion).not.toBe(base.analyzerVersion);
    expect(factsKeyOf({ ...key, analyzer: 'analyzer/js@3:{"maxParseBytes":2}' }).analyzerVersion).not.toBe(
      base.analyzerVersion,
    );
  });

  it('serves what it holds before the flush, and from the store to another instance after it', async () => {
    const first = new StoreFactsCache(store);
    expect(await first.get(key)).toBeUndefined();
    first.put(key, result);
    expect(await first.get(key)).toEqual(result);
    expect(await new StoreFactsCache(store).get(key)).toBeUndefined();
    expect(await first.flush()).toBe(1);
    expect(await new StoreFactsCache(store).get(key)).toEqual(result);
  });

  it('keeps the first entry when the same key is flushed again', async () => {
    const again = new StoreFactsCache(store);
    again.put(key, { facts: [], gaps: [] });
    expect(await again.flush()).toBe(0);
    expect(await new StoreFactsCache(store).get(key)).toEqual(result);
  });

  it('answers lookups made together with one query to the store', async () => {
    let queries = 0;
    const counting = new Proxy(store, {
      get(target, property, receiver) {
        if (property === 'findFacts' || property === 'getFacts') queries++;
        return Reflect.get(target, property, receiver);
      },
    });
    const cache = new StoreFactsCache(counting);
    const keys = Array.from({ length: 50 }, (_, i) => ({ ...key, sha256: i.toString(16).padStart(64, '0') }));
    const results = await Promise.all([...keys, key].map((k) => cache.get(k)));
    expect(queries).toBe(1);
    expect(results.slice(0, 50).every((r) => r === undefined)).toBe(true);
    expect(results[50]).toEqual(result);
  });
});
