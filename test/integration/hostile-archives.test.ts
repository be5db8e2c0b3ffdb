import { spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ERROR_CODES } from '../../src/core/errors.js';
import { scan } from '../../src/pipeline/scan.js';

const fixtures = fileURLToPath(new URL('../fixtures/archives/data/', import.meta.url));
const root = fileURLToPath(new URL('../..', import.meta.url));
const fixture = (name: string) => join(fixtures, name);

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'countersign-hostile-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('when an archive is a zip bomb', () => {
  it('stops the high-ratio entry at the ratio limit with a gap', async () => {
    const result = await scan([fixture('ratio.zip')]);
    const gap = result.gaps.find((candidate) => candidate.code === 'E_ARTIFACT_RATIO_EXCEEDED');
    expect(gap).toBeDefined();
    expect(gap!.stage).toBe('limit');
    expect(result.stats.bytes).toBeLessThan(4 * 1024 * 1024);
  });

  it('stops the nested bomb without unpacking it all', async () => {
    const result = await scan([fixture('bomb-nested.zip')]);
    expect(result.gaps.length).toBeGreaterThan(0);
    expect(result.gaps.every((gap) => gap.code.startsWith('E_ARTIFACT_'))).toBe(true);
    expect(result.stats.bytes).toBeLessThan(64 * 1024 * 1024);
  });

  it('keeps memory bounded even when the ratio limit is lifted', () => {
    // A child process scans the 50 MB-of-zeros entry with no ratio limit and reports its peak RSS.
    const script = `
      import { scan } from './src/pipeline/scan.ts';
      const result = await scan([${JSON.stringify(fixture('ratio.zip'))}], { limits: { maxCompressionRatio: 1e9 } });
      console.log(JSON.stringify({ bytes: result.stats.bytes, gaps: result.gaps.length, maxRssKb: process.resourceUsage().maxRSS }));
    `;
    const run = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {
      cwd: root,
      encoding: 'utf8',
      timeout: 120_000,
    });
    expect(run.stderr).toBe('');
    const { bytes, gaps, maxRssKb } = JSON.parse(run.stdout) as {
      bytes: number;
      gaps: number;
      maxRssKb: number;
    };
    expect(gaps).toBe(0);
    expect(bytes).toBeGreaterThan(40 * 1024 * 1024);
    // The whole entry is larger than this: it was streamed, never held.
    expect(maxRssKb * 1024).toBeLessThan(bytes + 250 * 1024 * 1024);
  });
});

describe('when an entry is encrypted or uses an unsupported method', () => {
  it('records the encrypted entry as a flagged node and a gap, and scans the rest', async () => {
    const result = await scan([fixture('encrypted.zip')]);
    const gap = result.gaps.find((candidate) => candidate.code === 'E_ARCHIVE_ENCRYPTED');
    expect(gap).toBeDefined();
    const node = result.nodes.find((candidate) => candidate.path === gap!.node);
    expect(node?.flags).toContain('encrypted');
  });

  it('records an LZMA entry as unsupported', async () => {
    const result = await scan([fixture('lzma.zip')]);
    expect(result.gaps.map((gap) => gap.code)).toContain('E_ARCHIVE_UNSUPPORTED');
  });
});

const ALL_FIXTURES = readdirSync(fixtures).filter((name) => !name.endsWith('.md'));

/** Deterministic pseudo-random numbers (mulberry32), so a failing case can be replayed. */
function random(seed: number) {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function expectWellFormed(result: Awaited<ReturnType<typeof scan>>, label: string) {
  for (const gap of result.gaps) {
    expect((ERROR_CODES as readonly string[]).includes(gap.code), `${label}: gap code ${gap.code}`).toBe(
      true,
    );
  }
  expect(result.nodes.length, label).toBeGreaterThan(0);
}

describe('when archives are truncated or bit-flipped (whole pipeline)', () => {
  it.each(ALL_FIXTURES)(
    'scans every cut of %s to a result with typed gaps',
    async (name) => {
      const bytes = await readFile(fixture(name));
      const stride = Math.max(1, Math.floor(bytes.length / 48));
      const path = join(dir, `cut-${name}`);
      for (let length = 0; length < bytes.length; length += stride) {
        await writeFile(path, bytes.subarray(0, length));
        expectWellFormed(await scan([path], { limits: { maxFiles: 2000 } }), `${name} cut at ${length}`);
      }
      // ~48 whole scans: seconds on an idle machine, a minute when other work shares its 2 cores.
    },
    240_000,
  );

  it.each(ALL_FIXTURES)(
    'scans bit flips of %s to a result with typed gaps',
    async (name) => {
      const bytes = await readFile(fixture(name));
      const next = random(name.length * 7919);
      const path = join(dir, `flip-${name}`);
      for (let round = 0; round < 24; round++) {
        const copy = Buffer.from(bytes);
        for (let flips = 0; flips < 3; flips++) {
          const at = Math.floor(next() * copy.length);
          copy[at] = copy[at]! ^ (1 << Math.floor(next() * 8));
        }
        await writeFile(path, copy);
        expectWellFormed(await scan([path], { limits: { maxFiles: 2000 } }), `${name} flip round ${round}`);
      }
    },
    240_000,
  );
});
