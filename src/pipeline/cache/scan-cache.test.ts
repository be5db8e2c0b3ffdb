import { copyFile, mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { defaultAnalyzers } from '../../analyzers/index.js';
import type { Analyzer } from '../../core/plugin.js';
import type { ScanNode } from '../../core/scan-result.js';
import { scan } from '../scan.js';
import { vet } from '../vet.js';
import { openScanCache, type ScanCache } from './scan-cache.js';

const RELEASES = join(import.meta.dirname, '../../../test/fixtures/vet/data/releases');
const R100 = join(RELEASES, 'ExampleDesk-1.0.0.zip');
const R101 = join(RELEASES, 'ExampleDesk-1.0.1.zip');
const R102 = join(RELEASES, 'ExampleDesk-1.0.2.zip');

/** Wraps analyzers to count how often each content is really analysed (cache hits skip analyze). */
function counting(analyzers: readonly Analyzer[]) {
  const analysed: string[] = [];
  const wrapped = analyzers.map(
    (analyzer): Analyzer => ({
      ...analyzer,
      analyze: (node, ctx) => {
        analysed.push(`${analyzer.id} ${node.sha256}`);
        return analyzer.analyze(node, ctx);
      },
    }),
  );
  return { analyzers: wrapped, analysed };
}

/** A fixed clock: Authenticode facts carry the day they were judged on. */
const NOW = () => new Date('2026-06-01T00:00:00Z');

function nodesForComparison(nodes: readonly ScanNode[]) {
  return nodes.map((node) => ({
    path: node.path,
    digests: node.digests,
    type: node.type,
    facts: node.facts,
  }));
}

describe('scan cache', () => {
  it('covers every default analyzer (one without a cacheKey would turn the tree cache off)', () => {
    const uncacheable = defaultAnalyzers().filter((analyzer) => !analyzer.cacheKey);
    expect(uncacheable.map((analyzer) => analyzer.id)).toEqual([]);
  });

  let folder: string;
  let cache: ScanCache;
  beforeEach(async () => {
    folder = await mkdtemp(join(tmpdir(), 'cs-cache-'));
    cache = openScanCache(join(folder, 'cache'));
  });
  afterEach(async () => {
    cache.close();
    await rm(folder, { recursive: true, force: true });
  });

  it('reads a tree seen before from the cache and gives the same nodes and findings', async () => {
    const analyzers = defaultAnalyzers({ now: NOW });
    const first = await scan([R102], { cache, analyzers });
    expect(cache.trees.misses).toBe(1);
    const second = await scan([R102], { cache, analyzers });
    expect(cache.trees.hits).toBe(1);
    expect(nodesForComparison(second.nodes)).toEqual(nodesForComparison(first.nodes));
    expect(second.findings.map((f) => f.ruleId).sort()).toEqual(first.findings.map((f) => f.ruleId).sort());
    expect(second.findings.length).toBeGreaterThan(0);
  });

  it('points a cached tree at the file scanned today, wherever it lies', async () => {
    const analyzers = defaultAnalyzers({ now: NOW });
    await scan([R101], { cache, analyzers });
    await mkdir(join(folder, 'elsewhere'));
    const moved = join(folder, 'elsewhere', 'ExampleDesk-1.0.1.zip');
    await copyFile(R101, moved);
    const again = await scan([moved], { cache, analyzers });
    expect(cache.trees.hits).toBe(1);
    expect(again.subjects[0]?.path).toBe(moved);
  });

  it('analyses only the contents that are new when vetting N+1 against a scanned N', async () => {
    const { analyzers, analysed } = counting(defaultAnalyzers({ now: NOW }));
    const baseline = await scan([R100], { cache, analyzers });
    const seenBefore = new Set(baseline.nodes.map((node) => node.digests?.sha256));
    analysed.length = 0;

    const result = await vet([R101], [R100], { cache, analyzers });

    // The baseline comes whole from the tree cache; in the candidate only new bytes are analysed.
    expect(cache.trees.hits).toBe(1);
    const newContents = result.candidate.nodes.filter(
      (node) => node.entryKind === 'file' && !seenBefore.has(node.digests?.sha256),
    );
    expect(newContents.length).toBeGreaterThan(0);
    const analysedDigests = new Set(analysed.map((line) => line.split(' ')[1]));
    for (const digest of analysedDigests) expect(seenBefore.has(digest)).toBe(false);
    expect(cache.analysis.hits).toBeGreaterThan(0);
    // And the verdict is what an uncached vet gives.
    const uncached = await vet([R101], [R100], { analyzers: defaultAnalyzers({ now: NOW }) });
    expect(result.verdict.decision).toBe(uncached.verdict.decision);
    expect(result.findings.map((f) => `${f.ruleId} ${f.path}`).sort()).toEqual(
      uncached.findings.map((f) => `${f.ruleId} ${f.path}`).sort(),
    );
  });

  it('gives per-content results equal to a fresh analysis', async () => {
    await scan([R100], { cache, analyzers: defaultAnalyzers({ now: NOW }) });
    const cached = await scan([R101], { cache, analyzers: defaultAnalyzers({ now: NOW }) });
    expect(cache.analysis.hits).toBeGreaterThan(0);
    const fresh = await scan([R101], { analyzers: defaultAnalyzers({ now: NOW }) });
    expect(nodesForComparison(cached.nodes)).toEqual(nodesForComparison(fresh.nodes));
  });

  it('does not cache a scan whose analyzers cannot say what they depend on', async () => {
    const opaque: Analyzer = {
      id: 'analyzer/opaque',
      version: 1,
      accepts: () => true,
      analyze: async () => ({ facts: [], gaps: [] }),
    };
    await scan([R101], { cache, analyzers: [...defaultAnalyzers({ now: NOW }), opaque] });
    await scan([R101], { cache, analyzers: [...defaultAnalyzers({ now: NOW }), opaque] });
    expect(cache.trees.hits).toBe(0);
    expect(await readdir(join(folder, 'cache')).then((names) => names.includes('trees'))).toBe(false);
  });

  it('serves a tree with more digests to a scan that wants fewer, not the other way round', async () => {
    const analyzers = defaultAnalyzers({ now: NOW });
    await scan([R101], { cache, analyzers, digests: ['sha256'] });
    const full = await scan([R101], { cache, analyzers, digests: ['sha256', 'sha1', 'md5'] });
    expect(cache.trees.hits).toBe(0);
    expect(full.nodes.find((node) => node.entryKind === 'file')?.digests?.md5).toMatch(/^[0-9a-f]{32}$/);
    const lean = await scan([R101], { cache, analyzers, digests: ['sha256'] });
    expect(cache.trees.hits).toBe(1);
    expect(lean.nodes.length).toBe(full.nodes.length);
  });

  it('keys trees by configuration: another trust day is another tree', async () => {
    await scan([R101], { cache, analyzers: defaultAnalyzers({ now: NOW }) });
    await scan([R101], {
      cache,
      analyzers: defaultAnalyzers({ now: () => new Date('2026-06-02T00:00:00Z') }),
    });
    expect(cache.trees.hits).toBe(0);
    expect(cache.trees.misses).toBe(2);
  });

  it('treats a damaged cache entry as a miss', async () => {
    const analyzers = defaultAnalyzers({ now: NOW });
    await scan([R101], { cache, analyzers });
    const trees = join(folder, 'cache', 'trees');
    for (const name of await readdir(trees)) await writeFile(join(trees, name), 'not gzip');
    const again = await scan([R101], { cache, analyzers });
    expect(cache.trees.hits).toBe(0);
    expect(again.nodes.length).toBeGreaterThan(1);
  });
});
