import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { isCountersignError } from '../core/errors.js';
import {
  importIntelSource,
  installIntelPack,
  intelDir,
  listIntelSources,
  loadIntel,
  removeIntelSource,
} from './store-files.js';

const fixtures = fileURLToPath(new URL('../../test/fixtures/', import.meta.url));
let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'countersign-intel-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('when the intel folder is chosen', () => {
  it('prefers --intel-dir, then COUNTERSIGN_HOME/intel, then ~/.countersign/intel', () => {
    expect(intelDir({ dir: '/x/y' })).toBe('/x/y');
    expect(intelDir({ env: { COUNTERSIGN_HOME: '/srv/cs' } })).toBe('/srv/cs/intel');
    expect(intelDir({ env: {} })).toMatch(/\.countersign[/\\]intel$/);
  });
});

describe('when sources are imported, listed and loaded', () => {
  it('stores an IOC list with origin, fetched-at and counts per type', async () => {
    const list = join(dir, 'list.txt');
    await writeFile(
      list,
      '# C2\nevil[.]invalid\nhxxps://cdn.bad.invalid/p.bin\n' + `${'c'.repeat(64)}\nnot a thing at all\n`,
    );
    const summary = await importIntelSource(list, { name: 'vendor', dir: join(dir, 'store') });
    expect(summary).toMatchObject({ name: 'vendor', kind: 'ioc', origin: list, rejected: 1 });
    expect(summary.counts).toEqual({ indicators: 3, domain: 1, url: 1, sha256: 1 });
    expect(Date.parse(summary.fetchedAt)).not.toBeNaN();
    const intel = await loadIntel({ dir: join(dir, 'store') });
    expect(intel.iocs?.match({ type: 'domain', value: 'x.evil.invalid' })).toHaveLength(1);
  });

  it('stores OSV records, YARA rules and the bundled 3CX pack side by side', async () => {
    const store = { dir: join(dir, 'store') };
    await importIntelSource(`${fixtures}intel/osv/records/MAL-2024-10238.json`, {
      name: 'osv-mal',
      ...store,
    });
    await importIntelSource(`${fixtures}hunt/yara`, { name: 'sigbase', ...store });
    await installIntelPack('3cx', store);
    const sources = await listIntelSources(store);
    expect(sources.map((source) => [source.name, source.kind])).toEqual([
      ['osv-mal', 'osv'],
      ['pack-3cx', 'pack'],
      ['sigbase', 'yara'],
    ]);
    expect(sources[0]?.counts.malicious).toBe(1);
    expect(sources[2]?.counts.files).toBe(2);
    const intel = await loadIntel(store);
    expect(intel.yara?.ruleCount).toBe(sources[2]?.counts.rules);
    expect(intel.osv?.stats.records).toBe(1);
    expect(intel.iocs?.size).toBe(sources[1]?.counts.indicators);
    expect(intel.affectedReleases.length).toBeGreaterThan(0);
  });

  it('replaces a source imported again under its name, and removes one', async () => {
    const store = { dir: join(dir, 'store') };
    const list = join(dir, 'list.txt');
    await writeFile(list, 'one.invalid\n');
    await importIntelSource(list, { name: 'v', ...store });
    await writeFile(list, 'one.invalid\ntwo.invalid\n');
    await importIntelSource(list, { name: 'v', ...store });
    expect((await listIntelSources(store)).map((s) => s.counts.indicators)).toEqual([2]);
    expect(await removeIntelSource('v', store)).toBe(true);
    expect(await listIntelSources(store)).toEqual([]);
  });

  it('refuses a bad name, a rejected item under --strict, and a YARA file that does not compile', async () => {
    const store = { dir: join(dir, 'store') };
    const list = join(dir, 'list.txt');
    await writeFile(list, 'ok.invalid\nnot a thing\n');
    await expect(importIntelSource(list, { name: '../x', ...store })).rejects.toMatchObject({
      code: 'E_USAGE',
    });
    await expect(importIntelSource(list, { name: 'v', strict: true, ...store })).rejects.toSatisfy(
      isCountersignError,
    );
    const rule = join(dir, 'bad.yar');
    await writeFile(rule, 'rule bad { condition: $nope }');
    await expect(importIntelSource(rule, { name: 'bad', ...store })).rejects.toMatchObject({
      code: 'E_INTEL_MALFORMED',
    });
    expect(await listIntelSources(store)).toEqual([]);
  });

  it('reports a damaged stored source instead of loading half of it', async () => {
    const store = { dir: join(dir, 'store') };
    await installIntelPack('3cx', store);
    const file = join(store.dir, 'pack-3cx.json');
    await writeFile(file, (await readFile(file, 'utf8')).slice(0, 100));
    await expect(loadIntel(store)).rejects.toMatchObject({ code: 'E_INTEL_MALFORMED' });
  });
});
