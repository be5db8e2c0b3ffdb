import { describe, expect, it } from 'vitest';
import { canonicalJson } from './canonical-json.js';
import { newId } from './ids.js';
import { parseStoreUrl } from './open-store.js';

describe('parseStoreUrl', () => {
  it('reads SQLite from sqlite: URLs and plain paths, PostgreSQL from postgres(ql):// URLs', () => {
    expect(parseStoreUrl('sqlite:/var/lib/cs/db.sqlite')).toEqual({
      kind: 'sqlite',
      file: '/var/lib/cs/db.sqlite',
    });
    expect(parseStoreUrl('sqlite:///var/lib/cs/db.sqlite')).toEqual({
      kind: 'sqlite',
      file: '/var/lib/cs/db.sqlite',
    });
    expect(parseStoreUrl('sqlite:data/db.sqlite')).toEqual({ kind: 'sqlite', file: 'data/db.sqlite' });
    expect(parseStoreUrl('sqlite::memory:')).toEqual({ kind: 'sqlite', file: ':memory:' });
    expect(parseStoreUrl('./countersign.db')).toEqual({ kind: 'sqlite', file: './countersign.db' });
    expect(parseStoreUrl('postgres://u@h/db')).toEqual({ kind: 'postgres', url: 'postgres://u@h/db' });
    expect(parseStoreUrl('postgresql://u@h/db')).toEqual({ kind: 'postgres', url: 'postgresql://u@h/db' });
  });

  it('refuses other schemes and empty locations with E_STORE_URL_INVALID', () => {
    for (const url of ['mysql://h/db', 'sqlite:', '']) {
      expect(() => parseStoreUrl(url)).toThrow(expect.objectContaining({ code: 'E_STORE_URL_INVALID' }));
    }
  });
});

describe('canonicalJson', () => {
  it('sorts keys at every depth and drops undefined members', () => {
    expect(canonicalJson({ b: 1, a: { d: [3, { z: 1, y: undefined }], c: null } })).toBe(
      '{"a":{"c":null,"d":[3,{"z":1}]},"b":1}',
    );
  });
});

describe('newId', () => {
  it('makes ids that sort in creation order, also within one millisecond', () => {
    const ids = Array.from({ length: 2000 }, () => newId());
    expect([...ids].sort()).toEqual(ids);
    expect(new Set(ids).size).toBe(ids.length);
  });
});
