import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { KyselyStore } from './kysely-store.js';
import { openStore } from './open-store.js';

let dir: string;
let file: string;
let store: KyselyStore;

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'countersign-sqlite-'));
  file = join(dir, 'store.db');
  store = await openStore({ url: `sqlite:${file}` });
});
afterEach(async () => {
  await store.close();
  await rm(dir, { recursive: true, force: true });
});

describe('SQLite store settings', () => {
  it('opens in WAL mode with foreign keys on', () => {
    const raw = new Database(file, { readonly: true });
    try {
      expect(raw.pragma('journal_mode', { simple: true })).toBe('wal');
    } finally {
      raw.close();
    }
    // foreign_keys is per connection: the store's own connection must refuse an orphan.
    return expect(
      store.createProduct({ kind: 'system', id: 't' }, { supplierId: 'none', name: 'x' }),
    ).rejects.toMatchObject({
      code: 'E_STORE_NOT_FOUND',
    });
  });

  describe('when another connection holds the write lock', () => {
    it('waits for it without blocking the event loop, then writes', async () => {
      const other = new Database(file);
      other.exec('begin immediate');
      let ticks = 0;
      const timer = setInterval(() => {
        ticks += 1;
      }, 5);
      const release = new Promise<void>((resolve) =>
        setTimeout(() => {
          other.exec('commit');
          resolve();
        }, 300),
      );
      const supplier = await store.createSupplier({ kind: 'system', id: 't' }, { name: 'after the lock' });
      await release;
      clearInterval(timer);
      other.close();
      expect(supplier.name).toBe('after the lock');
      // The event loop ran the timer while the write waited (a blocking busy_timeout would not).
      expect(ticks).toBeGreaterThan(10);
      expect(await store.verifyAudit()).toMatchObject({ ok: true, entries: 1 });
    });

    it('still authenticates (the last-used touch is skipped, not an error)', async () => {
      const user = await store.createUser({ kind: 'system', id: 't' }, { name: 'u', role: 'viewer' });
      const { token } = await store.issueToken({ kind: 'system', id: 't' }, { userId: user.id, label: 'l' });
      const other = new Database(file);
      other.exec('begin immediate');
      try {
        expect((await store.authenticate(token))?.user.id).toBe(user.id);
        expect((await store.listTokens({ userId: user.id }))[0]?.lastUsedAt).toBeUndefined();
      } finally {
        other.exec('commit');
        other.close();
      }
      await store.authenticate(token);
      expect((await store.listTokens({ userId: user.id }))[0]?.lastUsedAt).toBeDefined();
    });
  });
});
