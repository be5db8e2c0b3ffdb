/**
 * The store contract: ONE set of tests, run against SQLite (a temp file) and PostgreSQL (a fresh
 * schema in the test database; see test/support/postgres-setup.ts for how the server is found).
 */
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { once } from 'node:events';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testPostgresSource, withPostgresSchema } from '../../test/support/postgres.js';
import { CountersignError } from '../core/errors.js';
import { auditHash } from './audit-chain.js';
import type { KyselyStore } from './kysely-store.js';
import { MIGRATIONS } from './migrations.js';
import { openStore } from './open-store.js';
import type { Actor, IndicatorRecord, SeenNode } from './types.js';

interface Backend {
  readonly name: 'sqlite' | 'postgres';
  /** A place for a new, empty store (not opened, not migrated). */
  freshLocation(): Promise<{ url: string; schema?: string; cleanup(): Promise<void> }>;
  /** Opens a store on a fresh database; `second()` opens another connection to the same one. */
  setup(): Promise<{
    store: KyselyStore;
    second(): Promise<KyselyStore>;
    cleanup(): Promise<void>;
    /** What another process needs to open the same store. */
    location: { url: string; schema?: string };
  }>;
}

const backends: Backend[] = [
  {
    name: 'sqlite',
    async freshLocation() {
      const dir = await mkdtemp(join(tmpdir(), 'countersign-store-'));
      return {
        url: `sqlite:${join(dir, 'store.db')}`,
        cleanup: () => rm(dir, { recursive: true, force: true }),
      };
    },
    async setup() {
      const dir = await mkdtemp(join(tmpdir(), 'countersign-store-'));
      const url = `sqlite:${join(dir, 'store.db')}`;
      const opened: KyselyStore[] = [];
      const open = async () => {
        const store = await openStore({ url });
        opened.push(store);
        return store;
      };
      const store = await open();
      return {
        store,
        second: open,
        location: { url },
        async cleanup() {
          for (const s of opened) await s.close();
          await rm(dir, { recursive: true, force: true });
        },
      };
    },
  },
  {
    name: 'postgres',
    async freshLocation() {
      const pg = await withPostgresSchema('fresh');
      return { url: pg.url, schema: pg.schema, cleanup: pg.drop };
    },
    async setup() {
      const pg = await withPostgresSchema('contract');
      const opened: KyselyStore[] = [];
      const open = async () => {
        const store = await openStore({ url: pg.url, schema: pg.schema });
        opened.push(store);
        return store;
      };
      const store = await open();
      return {
        store,
        second: open,
        location: { url: pg.url, schema: pg.schema },
        async cleanup() {
          for (const s of opened) await s.close();
          await pg.drop();
        },
      };
    },
  },
];

const CONCURRENT_WRITER = join(dirname(fileURLToPath(import.meta.url)), 'testing', 'concurrent-writer.ts');
const KILLED_WRITER = join(dirname(fileURLToPath(import.meta.url)), 'testing', 'killed-writer.ts');

const admin: Actor = { kind: 'user', id: 'u-admin' };
const system: Actor = { kind: 'system', id: 'test' };

function hex(text: string, algorithm: 'sha256' | 'sha1' | 'md5'): string {
  return createHash(algorithm).update(text).digest('hex');
}
function digestsOf(text: string) {
  return { sha256: hex(text, 'sha256'), sha1: hex(text, 'sha1'), md5: hex(text, 'md5') };
}

describe.each(backends)('store contract on $name', (backend) => {
  let store: KyselyStore;
  let second: () => Promise<KyselyStore>;
  let cleanup: () => Promise<void>;
  let location: { url: string; schema?: string };

  beforeAll(async () => {
    if (backend.name === 'postgres') console.log(`[store contract] PostgreSQL from: ${testPostgresSource()}`);
    ({ store, second, cleanup, location } = await backend.setup());
  });
  afterAll(async () => {
    await cleanup?.();
  });

  async function auditCount(): Promise<number> {
    return (await store.verifyAudit()).entries;
  }

  async function product(name: string) {
    const supplier = await store.createSupplier(system, { name: `${name} Supplier` });
    return store.createProduct(system, { supplierId: supplier.id, name, ecosystem: 'windows' });
  }

  describe('when it opens', () => {
    it('reports its dialect, answers ping, and migrates again without harm', async () => {
      expect(store.dialect).toBe(backend.name);
      await store.ping();
      await store.migrate();
      expect(await store.isEmpty()).toBe(true);
    });
  });

  describe('when several openers migrate a new database at once', () => {
    it('applies each migration once and every opener gets a working store', async () => {
      const fresh = await backend.freshLocation();
      const stores = await Promise.all(
        Array.from({ length: 4 }, () =>
          openStore({ url: fresh.url, ...(fresh.schema === undefined ? {} : { schema: fresh.schema }) }),
        ),
      );
      try {
        const applied = await sql<{ name: string }>`select name from kysely_migration`.execute(stores[0]!.db);
        expect(applied.rows.map((row) => row.name).sort()).toEqual(Object.keys(MIGRATIONS).sort());
        await Promise.all(stores.map((s, i) => s.createSupplier(system, { name: `opener ${i}` })));
        expect(await stores[3]!.verifyAudit()).toMatchObject({ ok: true, entries: 4 });
      } finally {
        for (const s of stores) await s.close();
        await fresh.cleanup();
      }
    });
  });

  describe('users and tokens', () => {
    it('issues a cs_ token shown once, stores only its sha256, and authenticates it', async () => {
      const user = await store.createUser(admin, { name: 'Ada', role: 'analyst' });
      expect(await store.isEmpty()).toBe(false);
      const issued = await store.issueToken(admin, { userId: user.id, label: 'ci' });
      expect(issued.token).toMatch(/^cs_[A-Za-z0-9_-]{43}$/);
      expect(issued.token.startsWith(issued.record.prefix)).toBe(true);
      expect(issued.record.prefix.length).toBeLessThan(12);

      const rows = await store.db.selectFrom('api_tokens').selectAll().execute();
      const stored = rows.find((row) => row.id === issued.record.id);
      expect(stored?.token_sha256).toBe(hex(issued.token, 'sha256'));
      expect(JSON.stringify(rows)).not.toContain(issued.token);

      const principal = await store.authenticate(issued.token);
      expect(principal).toEqual({ user, tokenId: issued.record.id });
      const [record] = await store.listTokens({ userId: user.id });
      expect(record?.lastUsedAt).toBeDefined();
    });

    it('rejects unknown, malformed and revoked tokens', async () => {
      const user = await store.createUser(admin, { name: 'Bob', role: 'viewer' });
      const issued = await store.issueToken(admin, { userId: user.id, label: 'laptop' });
      expect(await store.authenticate(`cs_${'A'.repeat(43)}`)).toBeUndefined();
      expect(await store.authenticate('not-a-token')).toBeUndefined();
      await store.revokeToken(admin, issued.record.id);
      await store.revokeToken(admin, issued.record.id); // a second revoke changes nothing
      expect(await store.authenticate(issued.token)).toBeUndefined();
      const actions = (await store.auditLog({ limit: 500 })).items.filter(
        (entry) => entry.action === 'token.revoke' && entry.entityId === issued.record.id,
      );
      expect(actions).toHaveLength(1);
    });

    it("lists every token with its user's name and role, revoked ones too, never the secret", async () => {
      const carol = await store.createUser(admin, { name: 'Carol', role: 'admin' });
      const dave = await store.createUser(admin, { name: 'Dave', role: 'viewer' });
      const first = await store.issueToken(admin, { userId: carol.id, label: 'laptop' });
      const second = await store.issueToken(admin, { userId: dave.id, label: 'dashboard' });
      const third = await store.issueToken(admin, { userId: carol.id, label: 'ci' });
      await store.revokeToken(admin, first.record.id);

      const all = await store.listTokens();
      const ours = all.filter((token) => [carol.id, dave.id].includes(token.userId));
      // Newest first.
      expect(ours.map((token) => token.id)).toEqual([third.record.id, second.record.id, first.record.id]);
      expect(ours[2]).toMatchObject({ label: 'laptop', userName: 'Carol', role: 'admin' });
      expect(ours[2]?.revokedAt).toBeDefined();
      expect(ours[1]).toEqual({
        ...second.record,
        userName: 'Dave',
        role: 'viewer',
      });
      // Tokens of users issued elsewhere in the suite are listed too.
      expect(all.length).toBeGreaterThan(ours.length);
      const listed = JSON.stringify(all);
      for (const issued of [first, second, third]) {
        expect(listed).not.toContain(issued.token);
        expect(listed).not.toContain(hex(issued.token, 'sha256'));
      }

      const carols = await store.listTokens({ userId: carol.id });
      expect(carols.map((token) => token.label)).toEqual(['ci', 'laptop']);
      expect(await store.listTokens({ userId: 'nobody' })).toEqual([]);
    });

    it('refuses a token for a user that does not exist, and writes no audit entry for it', async () => {
      const before = await auditCount();
      const error = await store.issueToken(admin, { userId: 'nobody', label: 'x' }).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(CountersignError);
      expect((error as CountersignError).code).toBe('E_STORE_NOT_FOUND');
      expect(await auditCount()).toBe(before);
    });

    it('refuses an unknown role', async () => {
      await expect(store.createUser(admin, { name: 'X', role: 'root' as never })).rejects.toMatchObject({
        code: 'E_USAGE',
      });
    });
  });

  describe('suppliers, products and releases', () => {
    it('finds suppliers by a case-insensitive part of the name, newest first, page by page', async () => {
      for (const name of ['Zeta Soft', 'zeta labs', 'Zeta_Works', 'Omega']) {
        await store.createSupplier(admin, { name, website: 'https://example.invalid' });
      }
      const first = await store.listSuppliers({ q: 'ZETA', limit: 2 });
      expect(first.items.map((s) => s.name)).toEqual(['Zeta_Works', 'zeta labs']);
      expect(first.next).toBeDefined();
      const rest = await store.listSuppliers({
        q: 'zeta',
        limit: 2,
        ...(first.next ? { cursor: first.next } : {}),
      });
      expect(rest.items.map((s) => s.name)).toEqual(['Zeta Soft']);
      expect(rest.next).toBeUndefined();
      // `_` is a literal here, not a LIKE wildcard.
      expect((await store.listSuppliers({ q: 'a_w' })).items.map((s) => s.name)).toEqual(['Zeta_Works']);
      await expect(store.listSuppliers({ cursor: 'garbage!' })).rejects.toMatchObject({ code: 'E_USAGE' });
    });

    it('keeps product names unique per supplier', async () => {
      const p = await product('DeskApp');
      expect(await store.getProduct(p.id)).toEqual(p);
      await expect(
        store.createProduct(admin, { supplierId: p.supplierId, name: 'DeskApp' }),
      ).rejects.toMatchObject({
        code: 'E_STORE_CONFLICT',
      });
      await expect(store.createProduct(admin, { supplierId: 'missing', name: 'X' })).rejects.toMatchObject({
        code: 'E_STORE_NOT_FOUND',
      });
      const listed = await store.listProducts({ supplierId: p.supplierId });
      expect(listed.items).toEqual([p]);
    });

    it('vets a new release against the trusted one unless another baseline is chosen', async () => {
      const p = await product('Phone');
      const r1 = await store.createRelease(admin, { productId: p.id, version: '18.12.402' });
      expect(r1).toMatchObject({ state: 'new', version: '18.12.402' });
      expect(r1.baselineReleaseId).toBeUndefined();
      const trusted = await store.setTrustedRelease(admin, p.id, r1.id);
      expect(trusted.trustedReleaseId).toBe(r1.id);
      const r2 = await store.createRelease(admin, { productId: p.id, version: '18.12.407' });
      expect(r2.baselineReleaseId).toBe(r1.id);
      const r3 = await store.createRelease(admin, {
        productId: p.id,
        version: '18.12.416',
        baselineReleaseId: r2.id,
      });
      expect((await store.getRelease(r3.id))?.baselineReleaseId).toBe(r2.id);
      // The trusted release itself has no baseline of its own.
      expect((await store.getRelease(r1.id))?.baselineReleaseId).toBeUndefined();

      await expect(
        store.createRelease(admin, { productId: p.id, version: '18.12.402' }),
      ).rejects.toMatchObject({
        code: 'E_STORE_CONFLICT',
      });
      const other = await product('Other');
      await expect(store.setTrustedRelease(admin, other.id, r1.id)).rejects.toMatchObject({
        code: 'E_USAGE',
      });

      const vetted = await store.setReleaseState(admin, r2.id, 'vetted', 'block');
      expect(vetted).toMatchObject({ state: 'vetted', verdict: 'block', baselineReleaseId: r1.id });
      const page = await store.listReleases({ productId: p.id, q: '.41' });
      expect(page.items.map((r) => r.version)).toEqual(['18.12.416']);

      const trustEntry = (await store.auditLog({ limit: 500 })).items.find(
        (entry) => entry.action === 'product.trust' && entry.entityId === p.id,
      );
      expect(trustEntry).toMatchObject({ afterId: r1.id, actor: admin });
    });
  });

  describe('artifacts and analyses', () => {
    it('records an artifact once, with big sizes read back as numbers', async () => {
      const d = digestsOf('installer');
      const before = await auditCount();
      const first = await store.putArtifact(admin, { ...d, size: 2 ** 40 + 5, name: 'setup.msi' });
      const again = await store.putArtifact(admin, { ...d, size: 2 ** 40 + 5, name: 'renamed.msi' });
      expect(again).toEqual(first);
      expect(first.size).toBe(2 ** 40 + 5);
      expect(typeof (await store.getArtifact(d.sha256))?.size).toBe('number');
      expect(await auditCount()).toBe(before + 1);
      const upper = { sha256: d.sha256.toUpperCase(), sha1: d.sha1.toUpperCase(), md5: d.md5.toUpperCase() };
      expect(await store.putArtifact(admin, { ...upper, size: 1, name: 'x' })).toEqual(first);
      expect(await store.getArtifact(upper.sha256)).toEqual(first);
      await expect(
        store.putArtifact(admin, { ...d, sha256: 'zz', size: 1, name: 'x' }),
      ).rejects.toMatchObject({
        code: 'E_USAGE',
      });
      await expect(
        store.putArtifact(admin, { ...digestsOf('neg'), size: -1, name: 'x' }),
      ).rejects.toMatchObject({
        code: 'E_USAGE',
      });
    });

    it('attaches artifacts to releases, idempotently, and refuses a different file under a taken name', async () => {
      const p = await product('Attach');
      const r = await store.createRelease(admin, { productId: p.id, version: '1.0' });
      const a = digestsOf('a');
      const b = digestsOf('b');
      await store.putArtifact(admin, { ...a, size: 1, name: 'a.zip' });
      await store.putArtifact(admin, { ...b, size: 1, name: 'b.zip' });
      await store.attachArtifact(admin, { releaseId: r.id, sha256: a.sha256, name: 'a.zip' });
      await store.attachArtifact(admin, { releaseId: r.id, sha256: a.sha256, name: 'a.zip' });
      await expect(
        store.attachArtifact(admin, { releaseId: r.id, sha256: b.sha256, name: 'a.zip' }),
      ).rejects.toMatchObject({ code: 'E_STORE_CONFLICT' });
      await expect(
        store.attachArtifact(admin, { releaseId: r.id, sha256: digestsOf('none').sha256, name: 'c.zip' }),
      ).rejects.toMatchObject({ code: 'E_STORE_NOT_FOUND' });
      expect(await store.releaseArtifacts(r.id)).toEqual([
        { releaseId: r.id, sha256: a.sha256, name: 'a.zip' },
      ]);
    });

    it('keeps one analysis per (artifact, analyzer version), even when saved concurrently', async () => {
      const p = await product('Analysed');
      const r = await store.createRelease(admin, { productId: p.id, version: '2.0' });
      const art = digestsOf('analysed artifact');
      await store.putArtifact(admin, { ...art, size: 10, name: 'app.zip' });
      await store.attachArtifact(admin, { releaseId: r.id, sha256: art.sha256, name: 'app.zip' });
      const dll = digestsOf('ffmpeg.dll bytes');
      const nodes: SeenNode[] = [
        { artifactSha256: art.sha256, path: 'app.zip', ...art, size: 10, type: 'zip' },
        { artifactSha256: art.sha256, path: 'app.zip!/ffmpeg.dll', ...dll, size: 4, type: 'pe' },
      ];
      const other = await second();
      const saves = Array.from({ length: 6 }, (_, i) =>
        (i % 2 === 0 ? store : other).saveAnalysis(system, {
          artifactSha256: art.sha256,
          analyzerVersion: 'cs-0.1/a1',
          result: { attempt: i, nodes: 2 },
          nodes,
        }),
      );
      const results = await Promise.all(saves);
      const ids = new Set(results.map((result) => result.id));
      expect(ids.size).toBe(1);
      const stored = await store.getAnalysis(art.sha256, 'cs-0.1/a1');
      expect(stored?.id).toBe(results[0]?.id);
      expect(stored?.result).toEqual(results[0]?.result);

      for (const digest of [dll.sha256, dll.sha1, dll.md5.toUpperCase()]) {
        const found = await store.findNodesByDigest(digest);
        expect(found.items).toEqual([{ ...nodes[1], releaseIds: [r.id] }]);
      }
      expect((await store.findNodesByDigest(digestsOf('never').sha256)).items).toEqual([]);
      await expect(store.findNodesByDigest('xyz')).rejects.toMatchObject({ code: 'E_USAGE' });

      const newVersion = await store.saveAnalysis(system, {
        artifactSha256: art.sha256,
        analyzerVersion: 'cs-0.2/a1',
        result: {},
        nodes: [nodes[1] as SeenNode],
      });
      expect(newVersion.id).not.toBe(stored?.id);
      expect((await store.findNodesByDigest(dll.sha1)).items).toHaveLength(2);
      const saved = (await store.auditLog({ limit: 500 })).items.filter(
        (entry) => entry.action === 'analysis.save' && entry.entityId === stored?.id,
      );
      expect(saved).toHaveLength(1);
    });

    it('refuses an analysis of an artifact it has no record of', async () => {
      await expect(
        store.saveAnalysis(system, {
          artifactSha256: digestsOf('unknown').sha256,
          analyzerVersion: 'v',
          result: {},
          nodes: [],
        }),
      ).rejects.toMatchObject({ code: 'E_STORE_NOT_FOUND' });
    });
  });

  describe('the facts cache', () => {
    it('keeps the first facts per (node digest, analyzer, version) and audits only new entries', async () => {
      const node = digestsOf('ffmpeg.dll');
      const before = await auditCount();
      const first = await store.saveFacts(system, [
        {
          nodeSha256: node.sha256.toUpperCase(),
          analyzer: 'analyzer/pe',
          analyzerVersion: '3',
          facts: [{ kind: 'pe.imports', n: 3 }],
        },
        { nodeSha256: node.sha256, analyzer: 'analyzer/entropy', analyzerVersion: '1', facts: { bits: 6.1 } },
      ]);
      expect(first).toBe(2);
      const again = await store.saveFacts(system, [
        { nodeSha256: node.sha256, analyzer: 'analyzer/pe', analyzerVersion: '3', facts: 'different' },
        { nodeSha256: node.sha256, analyzer: 'analyzer/pe', analyzerVersion: '4', facts: [] },
      ]);
      expect(again).toBe(1);
      expect(await store.saveFacts(system, [])).toBe(0);
      expect(await store.getFacts(node.sha256, 'analyzer/pe', '3')).toMatchObject({
        nodeSha256: node.sha256,
        facts: [{ kind: 'pe.imports', n: 3 }],
      });
      expect(await store.getFacts(node.sha256, 'analyzer/pe', '5')).toBeUndefined();
      const many = await store.findFacts([
        { nodeSha256: node.sha256.toUpperCase(), analyzer: 'analyzer/pe', analyzerVersion: '3' },
        { nodeSha256: node.sha256, analyzer: 'analyzer/pe', analyzerVersion: '4' },
        { nodeSha256: node.sha256, analyzer: 'analyzer/entropy', analyzerVersion: '9' },
        { nodeSha256: digestsOf('other').sha256, analyzer: 'analyzer/pe', analyzerVersion: '3' },
      ]);
      expect(many.map((r) => `${r.analyzer}@${r.analyzerVersion}`).sort()).toEqual([
        'analyzer/pe@3',
        'analyzer/pe@4',
      ]);
      expect(await store.findFacts([])).toEqual([]);
      expect(await auditCount()).toBe(before + 2);
      await store.saveFacts(system, [
        { nodeSha256: node.sha256, analyzer: 'analyzer/pe', analyzerVersion: '3', facts: 1 },
      ]);
      expect(await auditCount()).toBe(before + 2);
    });
  });

  describe('vets and findings', () => {
    function finding(i: number) {
      return {
        ruleId: `rule.${i}`,
        severity: 'high',
        confidence: 'medium',
        path: `app.zip!/f${i}.dll`,
        message: `finding ${i}`,
        fingerprint: `fp${i}`,
        origin: 'diff',
        evidence: [{ role: 'primary', node: `app.zip!/f${i}.dll`, range: { offset: i, length: 4 } }],
      };
    }

    it('stores a vet and its findings once per job key, even when the job is saved concurrently', async () => {
      const p = await product('Vetted');
      const base = await store.createRelease(admin, { productId: p.id, version: '1' });
      const r = await store.createRelease(admin, {
        productId: p.id,
        version: '2',
        baselineReleaseId: base.id,
      });
      const vetsBefore = await store.countVets();
      const other = await second();
      const input = {
        releaseId: r.id,
        baselineReleaseId: base.id,
        verdict: 'block' as const,
        score: 87.5,
        detail: { reasons: ['block: pe.authenticode.data-after-signature'] },
        jobKey: `vet-release:${r.id}:1`,
        findings: Array.from({ length: 7 }, (_, i) => finding(i)),
      };
      const results = await Promise.all(
        Array.from({ length: 8 }, (_, i) =>
          (i % 2 === 0 ? store : other).saveVet({ kind: 'system', id: 'worker' }, input),
        ),
      );
      expect(new Set(results.map((v) => v.id)).size).toBe(1);
      expect(await store.countVets()).toBe(vetsBefore + 1);
      const vet = results[0]!;
      expect(vet).toMatchObject({
        releaseId: r.id,
        baselineReleaseId: base.id,
        verdict: 'block',
        score: 87.5,
      });
      expect(await store.getVet(vet.id)).toEqual(vet);
      expect(await store.latestVet(r.id)).toEqual(vet);

      const page1 = await store.vetFindings(vet.id, { limit: 4 });
      expect(page1.items.map((f) => f.ruleId)).toEqual(['rule.0', 'rule.1', 'rule.2', 'rule.3']);
      const page2 = await store.vetFindings(vet.id, {
        limit: 4,
        ...(page1.next ? { cursor: page1.next } : {}),
      });
      expect(page2.items.map((f) => f.ruleId)).toEqual(['rule.4', 'rule.5', 'rule.6']);
      expect(page2.next).toBeUndefined();
      expect(page1.items[1]).toMatchObject({ vetId: vet.id, evidence: finding(1).evidence });

      const rows = await store.db.selectFrom('findings').select('id').where('vet_id', '=', vet.id).execute();
      expect(rows).toHaveLength(7);
      const entries = (await store.auditLog({ limit: 500 })).items.filter((e) => e.action === 'vet.save');
      expect(entries.filter((e) => e.entityId === vet.id)).toHaveLength(1);

      const later = await store.saveVet(system, {
        ...input,
        jobKey: `vet-release:${r.id}:2`,
        verdict: 'pass',
        findings: [],
      });
      expect(await store.latestVet(r.id)).toEqual(later);
    });

    it('writes neither the vet nor its findings when one part fails', async () => {
      const before = await store.countVets();
      const entries = await auditCount();
      await expect(
        store.saveVet(system, {
          releaseId: 'no-such-release',
          verdict: 'pass',
          score: 0,
          detail: {},
          jobKey: 'orphan',
          findings: [finding(1)],
        }),
      ).rejects.toMatchObject({ code: 'E_STORE_NOT_FOUND' });
      expect(await store.countVets()).toBe(before);
      expect(await auditCount()).toBe(entries);
    });
  });

  describe('intel, inventory, policy and alerts', () => {
    it('imports an intel source with its indicators and finds them by kind and value', async () => {
      const source = await store.saveIntelSource(
        admin,
        {
          name: '3CX IOCs',
          kind: 'ioc',
          origin: 'file:iocs.csv',
          fetchedAt: '2026-01-01T00:00:00.000Z',
          counts: { sha256: 2, domain: 1 },
        },
        [
          { kind: 'sha256', value: digestsOf('evil').sha256, tags: ['3cx'], confidence: 'high' },
          { kind: 'sha256', value: digestsOf('evil2').sha256, tags: [] },
          {
            kind: 'domain',
            value: 'c2.example.invalid',
            tags: ['c2'],
            reference: 'https://example.invalid/advisory',
          },
        ],
      );
      expect(await store.listIntelSources()).toContainEqual(source);
      const hits = await store.findIndicators('sha256', [
        digestsOf('evil').sha256,
        digestsOf('benign').sha256,
      ]);
      expect(hits).toEqual([
        {
          sourceId: source.id,
          kind: 'sha256',
          value: digestsOf('evil').sha256,
          tags: ['3cx'],
          confidence: 'high',
        },
      ]);
      expect(await store.findIndicators('sha256', ['c2.example.invalid'])).toEqual([]);
    });

    it('pages through the indicators only a pattern can match: URL and path patterns, CIDR blocks', async () => {
      const before = await allPatternIndicators();
      const source = await store.saveIntelSource(
        system,
        { name: 'patterns', kind: 'ioc', origin: 'test', fetchedAt: '2026-01-03T00:00:00.000Z', counts: {} },
        [
          { kind: 'url-pattern', value: 'cdn[.]evil[.]invalid/icon[0-9]+[.]ico', tags: [] },
          { kind: 'path-pattern', value: 'temp/[a-z]+[.]exe$', tags: [] },
          { kind: 'ip', value: '203.0.113.0/24', tags: [] },
          { kind: 'ip', value: '203.0.113.7', tags: [] },
          { kind: 'domain', value: 'pattern.example.invalid', tags: [] },
          { kind: 'url', value: 'https://pattern.example.invalid/x', tags: [] },
        ],
      );
      const ours = (await allPatternIndicators()).filter((item) => item.sourceId === source.id);
      expect(ours.map((item) => `${item.kind} ${item.value}`).sort()).toEqual([
        'ip 203.0.113.0/24',
        'path-pattern temp/[a-z]+[.]exe$',
        'url-pattern cdn[.]evil[.]invalid/icon[0-9]+[.]ico',
      ]);
      expect((await allPatternIndicators()).length).toBe(before.length + 3);
    });

    async function allPatternIndicators(): Promise<IndicatorRecord[]> {
      const items: IndicatorRecord[] = [];
      let cursor: string | undefined;
      let pages = 0;
      do {
        const page = await store.listPatternIndicators({ limit: 2, ...(cursor ? { cursor } : {}) });
        expect(page.items.length).toBeLessThanOrEqual(2);
        items.push(...page.items);
        cursor = page.next;
        pages += 1;
      } while (cursor);
      expect(pages).toBeGreaterThanOrEqual(Math.ceil(items.length / 2));
      return items;
    }

    it('stores an import once per import key, even when retried concurrently', async () => {
      const before = (await store.listIntelSources()).length;
      const other = await second();
      const input = {
        name: 'feed',
        kind: 'ioc',
        origin: 'blob:abc',
        fetchedAt: '2026-01-02T00:00:00.000Z',
        counts: { domain: 1 },
        importKey: 'import-intel:job-1',
      };
      const indicators = [{ kind: 'domain', value: 'retry.example.invalid', tags: [] }];
      const results = await Promise.all(
        Array.from({ length: 6 }, (_, i) =>
          (i % 2 ? store : other).saveIntelSource(system, input, indicators),
        ),
      );
      expect(new Set(results.map((source) => source.id)).size).toBe(1);
      expect(results[0]).toMatchObject({ importKey: 'import-intel:job-1' });
      expect((await store.listIntelSources()).length).toBe(before + 1);
      expect(await store.findIndicators('domain', ['retry.example.invalid'])).toHaveLength(1);
      // Without a key, every save is a new source (a feed fetched again is a new snapshot).
      const { importKey: _ignored, ...unkeyed } = input;
      await store.saveIntelSource(system, unkeyed, []);
      await store.saveIntelSource(system, unkeyed, []);
      expect((await store.listIntelSources()).length).toBe(before + 3);
    });

    describe('when an intel import is recorded before its job runs', () => {
      const request = (key: string, jobId: string) => ({
        importKey: key,
        name: `feed-${key}`,
        sha256: digestsOf(key).sha256,
        format: 'text',
        tags: ['campaign'],
        requestedBy: admin,
        jobId,
      });
      const source = (key: string) => ({
        name: `feed-${key}`,
        kind: 'ioc',
        origin: `upload:${key}`,
        fetchedAt: '2026-01-04T00:00:00.000Z',
        counts: { domain: 1 },
        importKey: key,
      });

      it('keeps it pending, once per key, until the source is stored, which marks it imported', async () => {
        const entries = await auditCount();
        const first = await store.requestIntelImport(admin, request('imp-1', 'job-1'));
        expect(first).toMatchObject({
          importKey: 'imp-1',
          state: 'pending',
          jobId: 'job-1',
          tags: ['campaign'],
          requestedBy: admin,
          format: 'text',
        });
        expect(first.sourceId).toBeUndefined();
        // Asked again (another upload, a restart): the same record and job, nothing written.
        const again = await (await second()).requestIntelImport(system, request('imp-1', 'job-2'));
        expect(again).toEqual(first);
        expect(await auditCount()).toBe(entries + 1);
        expect((await store.listIntelImports({ states: ['pending'] })).map((item) => item.id)).toContain(
          first.id,
        );
        expect(await store.findIntelImportByJob('job-1')).toEqual(first);
        expect(await store.findIntelImportByJob('job-2')).toBeUndefined();

        const stored = await store.saveIntelSource(system, source('imp-1'), [
          { kind: 'domain', value: 'imp-1.example.invalid', tags: [] },
        ]);
        const done = await store.findIntelImportByJob('job-1');
        expect(done).toMatchObject({ state: 'imported', sourceId: stored.id, jobId: 'job-1' });
        expect((await store.listIntelImports({ states: ['pending'] })).map((item) => item.id)).not.toContain(
          first.id,
        );
        // Done imports stay done: no new job, and a failure reported late changes nothing.
        expect(await store.requestIntelImport(admin, request('imp-1', 'job-3'))).toEqual(done);
        expect(await store.failIntelImport(system, 'imp-1', { error: 'late' })).toBeUndefined();
        expect(await store.findIntelImportByJob('job-1')).toEqual(done);
      });

      it('records one import when the same file and name are requested concurrently', async () => {
        const other = await second();
        const results = await Promise.all(
          Array.from({ length: 6 }, (_, i) =>
            (i % 2 ? store : other).requestIntelImport(admin, request('imp-race', `race-${i}`)),
          ),
        );
        expect(new Set(results.map((item) => item.id)).size).toBe(1);
        expect(new Set(results.map((item) => item.jobId)).size).toBe(1);
        const all = await store.listIntelImports();
        expect(all.filter((item) => item.importKey === 'imp-race')).toHaveLength(1);
      });

      it('fails it with the message and code, and opens it again with the next request', async () => {
        await store.requestIntelImport(admin, request('imp-bad', 'job-bad-1'));
        const failed = await store.failIntelImport(system, 'imp-bad', {
          error: 'feed-imp-bad: not a STIX bundle',
          code: 'E_INTEL_MALFORMED',
        });
        expect(failed).toMatchObject({
          state: 'failed',
          error: 'feed-imp-bad: not a STIX bundle',
          code: 'E_INTEL_MALFORMED',
          jobId: 'job-bad-1',
        });
        expect((await store.listIntelImports({ states: ['failed'] })).map((item) => item.id)).toContain(
          failed?.id,
        );
        const audit = (await store.auditLog({ limit: 500 })).items.filter(
          (entry) => entry.entity === 'intel_import' && entry.entityId === failed?.id,
        );
        expect(audit.map((entry) => entry.action)).toEqual(['intel.import.request', 'intel.import.fail']);

        const retried = await store.requestIntelImport(system, {
          ...request('imp-bad', 'job-bad-2'),
          format: 'stix',
          requestedBy: system,
        });
        expect(retried).toMatchObject({
          id: failed?.id,
          state: 'pending',
          jobId: 'job-bad-2',
          format: 'stix',
        });
        expect(retried.requestedBy).toEqual(system);
        expect(retried.error).toBeUndefined();
        expect(retried.code).toBeUndefined();
        expect(await store.findIntelImportByJob('job-bad-2')).toEqual(retried);
        expect(await store.listIntelImports({ states: [] })).toEqual([]);
      });

      it('starts imported when the source was stored before imports were recorded', async () => {
        const stored = await store.saveIntelSource(system, source('imp-old'), []);
        const record = await store.requestIntelImport(admin, request('imp-old', 'job-old'));
        expect(record).toMatchObject({ state: 'imported', sourceId: stored.id });
      });
    });

    it('records deployments, policies, decisions and alerts', async () => {
      const p = await product('Deployed');
      const r = await store.createRelease(admin, { productId: p.id, version: '5' });
      const dep = await store.recordDeployment(admin, {
        target: 'host-1',
        targetKind: 'host',
        releaseId: r.id,
        seenAt: '2026-02-01T00:00:00.000Z',
      });
      await store.recordDeployment(admin, {
        target: 'web',
        targetKind: 'project',
        purl: 'pkg:npm/x@1',
        seenAt: '2026-02-01T00:00:00.000Z',
      });
      expect((await store.listDeployments({ releaseId: r.id })).items).toEqual([dep]);
      expect((await store.listDeployments({ target: 'web' })).items[0]).toMatchObject({
        purl: 'pkg:npm/x@1',
      });

      const v1 = await store.savePolicy(admin, { name: 'default', body: { block: ['high'] }, active: true });
      const v2 = await store.savePolicy(admin, {
        name: 'default',
        body: { block: ['critical'] },
        active: true,
      });
      expect(v2.active).toBe(true);
      const active = await store.db
        .selectFrom('policies')
        .select(['id', 'active'])
        .where('name', '=', 'default')
        .execute();
      expect(active.filter((row) => Number(row.active) === 1).map((row) => row.id)).toEqual([v2.id]);
      const policyEntry = (await store.auditLog({ limit: 500 })).items.find((e) => e.entityId === v2.id);
      expect(policyEntry).toMatchObject({ action: 'policy.save', beforeId: v1.id, afterId: v2.id });

      const decision = await store.recordDecision(admin, {
        subject: `release:${r.id}`,
        decision: 'deny',
        policyId: v2.id,
        reasons: ['block verdict'],
      });
      expect(decision).toMatchObject({ decision: 'deny', policyId: v2.id, reasons: ['block verdict'] });

      const alert = await store.raiseAlert(system, {
        kind: 'vet',
        severity: 'high',
        subject: r.id,
        message: 'blocked',
      });
      const alerts = await store.listAlerts({ limit: 1 });
      expect(alerts.items).toEqual([alert]);
    });
  });

  describe('the audit log', () => {
    it('chains every entry to the one before it and verifies', async () => {
      const page = await store.auditLog({ limit: 3 });
      expect(page.items.map((e) => e.seq)).toEqual([1, 2, 3]);
      expect(page.items[1]?.prevHash).toBe(page.items[0]?.hash);
      const verification = await store.verifyAudit();
      expect(verification.ok).toBe(true);
      expect(verification.entries).toBeGreaterThan(20);
    });

    it('never forks the chain when two connections write at once', async () => {
      const before = await auditCount();
      const other = await second();
      await Promise.all(
        Array.from({ length: 24 }, (_, i) =>
          (i % 2 === 0 ? store : other).createSupplier(admin, { name: `Racer ${i}` }),
        ),
      );
      const verification = await store.verifyAudit();
      expect(verification).toMatchObject({ ok: true, entries: before + 24 });
    });

    it('never forks the chain when two other processes write at the same time as this one', async () => {
      const before = await auditCount();
      const perWriter = 30;
      const writers = ['writer-a', 'writer-b'].map((label) =>
        spawn(
          process.execPath,
          [
            '--import',
            'tsx',
            CONCURRENT_WRITER,
            location.url,
            location.schema ?? '-',
            String(perWriter),
            label,
          ],
          { stdio: ['pipe', 'pipe', 'inherit'] },
        ),
      );
      const outputs = writers.map((child) => {
        let text = '';
        child.stdout?.on('data', (chunk: Buffer) => {
          text += chunk.toString();
        });
        return { read: () => text, exited: once(child, 'exit') };
      });
      // Start both together (each has opened the store), then write from here too.
      await Promise.all(
        outputs.map(async (output) => {
          while (!output.read().includes('ready')) await new Promise((resolve) => setTimeout(resolve, 20));
        }),
      );
      for (const child of writers) child.stdin?.write('go\n');
      for (let i = 0; i < perWriter; i++) await store.createSupplier(admin, { name: `local-${i}` });
      const codes = await Promise.all(outputs.map((output) => output.exited));
      expect(codes.map(([code]) => code)).toEqual([0, 0]);

      expect(await store.verifyAudit()).toMatchObject({ ok: true, entries: before + 3 * perWriter });
      // The writers really overlapped: their entries alternate in the chain more than once.
      const actors: string[] = [];
      let cursor: string | undefined;
      do {
        const page = await store.auditLog({ limit: 500, ...(cursor ? { cursor } : {}) });
        actors.push(...page.items.filter((e) => e.seq > before).map((e) => e.actor.id));
        cursor = page.next;
      } while (cursor !== undefined);
      const switches = actors.filter((actor, i) => i > 0 && actor !== actors[i - 1]).length;
      // PostgreSQL queues advisory-lock waiters, so the writers alternate. SQLite's write lock is not
      // fair: a process writing back to back may keep it (documented in README.md), so there only
      // all three writers' entries are required.
      expect(switches).toBeGreaterThan(backend.name === 'postgres' ? 2 : 1);
      expect(new Set(actors)).toEqual(new Set(['writer-a', 'writer-b', admin.id]));
    });

    describe('when a writer is killed (kill -9) inside its transaction', () => {
      it('keeps neither its row nor its audit entry, and releases the lock', async () => {
        const before = await auditCount();
        const child = spawn(
          process.execPath,
          ['--import', 'tsx', KILLED_WRITER, location.url, location.schema ?? '-'],
          { stdio: ['ignore', 'pipe', 'inherit'] },
        );
        const exited = once(child, 'exit');
        let output = '';
        child.stdout?.on('data', (chunk: Buffer) => {
          output += chunk.toString();
        });
        while (!output.includes('inside')) {
          if (child.exitCode !== null) throw new Error(`killed-writer exited early with ${child.exitCode}`);
          await new Promise((resolve) => setTimeout(resolve, 20));
        }
        child.kill('SIGKILL');
        const [, signal] = await exited;
        expect(signal).toBe('SIGKILL');

        // The next write gets the lock (SQLite: the dead process's lock is gone with its file
        // handles; PostgreSQL: the server aborts the dead client's transaction and its advisory lock).
        const after = await store.createSupplier(admin, { name: 'after the kill' });
        expect(await store.getSupplier('half-written')).toBeUndefined();
        expect(await store.getSupplier(after.id)).toEqual(after);
        expect(await store.verifyAudit()).toMatchObject({ ok: true, entries: before + 1 });
      });
    });

    describe('when someone tampers with rows using raw SQL', () => {
      async function freshChain(entries: number) {
        const fresh = await backend.setup();
        for (let i = 0; i < entries; i++) await fresh.store.createSupplier(admin, { name: `S${i}` });
        expect(await fresh.store.verifyAudit()).toMatchObject({ ok: true, entries });
        return fresh;
      }

      it('fails verification at an edited entry', async () => {
        const fresh = await freshChain(6);
        await sql`update audit_log set details = ${'{"name":"Mallory"}'} where seq = 3`.execute(
          fresh.store.db,
        );
        const verification = await fresh.store.verifyAudit();
        expect(verification).toMatchObject({ ok: false, brokenAt: 3, entries: 2 });
        expect(verification.reason).toMatch(/hash/);
        await fresh.cleanup();
      });

      it('fails at the next entry when the edited one got a recomputed hash', async () => {
        const fresh = await freshChain(6);
        const [entry] = (
          await fresh.store.auditLog({ limit: 1, cursor: Buffer.from('3').toString('base64url') })
        ).items;
        expect(entry?.seq).toBe(4);
        const forged = { ...entry!, details: { name: 'Mallory' } };
        await sql`update audit_log set details = ${'{"name":"Mallory"}'}, hash = ${auditHash(forged.prevHash, forged)} where seq = 4`.execute(
          fresh.store.db,
        );
        expect(await fresh.store.verifyAudit()).toMatchObject({ ok: false, brokenAt: 5, entries: 4 });
        await fresh.cleanup();
      });

      it('reports the head hash, by which a deleted newest entry shows', async () => {
        const fresh = await freshChain(5);
        const before = await fresh.store.verifyAudit();
        const log = (await fresh.store.auditLog({ limit: 10 })).items;
        expect(before.headHash).toBe(log[4]?.hash);
        await sql`delete from audit_log where seq = 5`.execute(fresh.store.db);
        const after = await fresh.store.verifyAudit();
        // The shortened chain still verifies; only the recorded head hash tells.
        expect(after).toMatchObject({ ok: true, entries: 4, headHash: log[3]?.hash });
        expect(after.headHash).not.toBe(before.headHash);
        await fresh.cleanup();
      });

      it('fails at a deleted entry', async () => {
        const fresh = await freshChain(6);
        await sql`delete from audit_log where seq = 4`.execute(fresh.store.db);
        expect(await fresh.store.verifyAudit()).toMatchObject({
          ok: false,
          brokenAt: 4,
          reason: 'expected seq 4, found 5',
        });
        await fresh.cleanup();
      });
    });
  });
});
