import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { memoryNode } from '../../artifact/memory-node.js';
import { isCountersignError } from '../../core/errors.js';
import { yaraAnalyzer } from './analyzer.js';
import { compileYaraSources, readYaraSources, YARA_EXTERNALS } from './compile.js';
import { scanWithYara } from './scan.js';

const here = (relative: string) => fileURLToPath(new URL(relative, import.meta.url));
const RULES_DIR = here('../../../test/fixtures/hunt/yara/');
const SAMPLES_DIR = here('../../../test/fixtures/hunt/yara-samples/');
const SHARED_RULES =
  process.env.COUNTERSIGN_SIGNATURE_BASE_YARA ?? '/work/shared/data/3cx-intel/signature-base/yara';

/** What each inert sample must (and must only) trigger; the near-misses trigger nothing. */
const EXPECTED: Record<string, string[]> = {
  'gopuram-marker.exe': ['MAL_Gopuram_Apr23'],
  'rc4-key.dll': ['APT_SUSP_NK_3CX_RC4_Key_Mar23_1'],
  'rc4-key.msi': ['APT_SUSP_NK_3CX_RC4_Key_Mar23_1'],
  'planted.TxR.0.regtrans-ms': ['SUSP_APT_3CX_Regtrans_Anomaly_Apr23'],
  'gopuram-marker.txt': [],
  'rc4-key.txt': [],
  'clean.TxR.1.regtrans-ms': [],
};

const rules = compileYaraSources(await readYaraSources([RULES_DIR]));

describe('when the copied signature-base rules are compiled with YARA-X', () => {
  it('compiles both files with their LOKI/THOR external variables', () => {
    expect(rules.sources.map((source) => source.name)).toEqual([
      'apt_lazarus_gopuram.yar',
      'gen_mal_3cx_compromise_mar23.yar',
    ]);
    const headers = readdirSync(RULES_DIR)
      .filter((file) => file.endsWith('.yar'))
      .map((file) => readFileSync(`${RULES_DIR}${file}`, 'utf8').match(/^rule\s/gm)?.length ?? 0);
    expect(rules.ruleCount).toBe(headers.reduce((a, b) => a + b, 0));
    expect(rules.ruleCount).toBeGreaterThan(1);
  });

  it('has a sample for every file in the samples folder', () => {
    expect(readdirSync(SAMPLES_DIR).sort()).toEqual(Object.keys(EXPECTED).sort());
  });

  it.each(Object.entries(EXPECTED))('matches %s with exactly %j', (name, expected) => {
    const bytes = readFileSync(`${SAMPLES_DIR}${name}`);
    const matches = scanWithYara(rules, bytes, { name });
    expect(matches.map((match) => match.rule)).toEqual(expected);
    for (const match of matches) {
      for (const item of match.strings) {
        // Offsets and hex come from the scanned bytes, not the engine's lossy text.
        expect(item.hex).toBe(bytes.subarray(item.offset, item.offset + item.length).toString('hex'));
      }
    }
  });

  it('gives the string offsets, tags and metadata of a match', () => {
    const bytes = readFileSync(`${SAMPLES_DIR}gopuram-marker.exe`);
    const [match] = scanWithYara(rules, bytes, { name: 'gopuram-marker.exe' });
    expect(match?.strings).toEqual([
      {
        identifier: '$path',
        offset: bytes.indexOf('%s.TxR.0.regtrans-ms'),
        length: 20,
        hex: Buffer.from('%s.TxR.0.regtrans-ms').toString('hex'),
      },
    ]);
    expect(match?.meta.author).toContain('Arnim Rupp');
  });
});

describe('when the yara CLI is the reference', () => {
  const cli = spawnSync('yara', ['-v'], { encoding: 'utf8' });
  const available = cli.status === 0;
  if (!available) console.warn('yara CLI absent (apt-get install -y yara): reference comparison skipped');
  it.skipIf(!available).each(Object.keys(EXPECTED))('agrees with YARA-X on %s', (name) => {
    const dot = name.lastIndexOf('.');
    const defines = YARA_EXTERNALS.flatMap((external) => [
      '-d',
      `${external}=${external === 'extension' ? name.slice(dot) : external === 'filename' ? name : ''}`,
    ]);
    const ruleFiles = readdirSync(RULES_DIR).filter((file) => file.endsWith('.yar'));
    const seen = ruleFiles.flatMap((file) => {
      const run = spawnSync('yara', [...defines, `${RULES_DIR}${file}`, `${SAMPLES_DIR}${name}`], {
        encoding: 'utf8',
      });
      expect(run.status, run.stderr).toBe(0);
      return run.stdout
        .split('\n')
        .filter(Boolean)
        .map((line) => line.split(' ')[0]);
    });
    const ours = scanWithYara(rules, readFileSync(`${SAMPLES_DIR}${name}`), { name }).map((m) => m.rule);
    expect(ours).toEqual(seen.sort());
  });
});

describe('when every rule of the shared signature-base set is compiled', () => {
  const present = existsSync(SHARED_RULES);
  if (!present) console.warn(`${SHARED_RULES} absent: the full signature-base compile check is skipped`);
  it.skipIf(!present)('compiles each file, and all of them together', async () => {
    const sources = await readYaraSources([SHARED_RULES]);
    expect(sources.length).toBeGreaterThan(0);
    const all = compileYaraSources(sources);
    expect(all.ruleCount).toBe(sources.reduce((n, s) => n + (s.text.match(/^\s*rule\s/gm)?.length ?? 0), 0));
  });
});

describe('when a rule file is broken', () => {
  it('fails with E_INTEL_MALFORMED naming the file and line', () => {
    try {
      compileYaraSources([
        { name: 'bad.yar', text: 'rule ok { condition: true }\nrule bad { condition: $x }' },
      ]);
      expect.unreachable();
    } catch (error) {
      expect(isCountersignError(error) && error.code).toBe('E_INTEL_MALFORMED');
      expect((error as Error).message).toMatch(/bad\.yar: line 2/);
    }
  });

  it('refuses two files that define the same rule', () => {
    const text = 'rule same { condition: true }';
    expect(() =>
      compileYaraSources([
        { name: 'a.yar', text },
        { name: 'b.yar', text },
      ]),
    ).toThrow(/do not compile together/);
  });
});

describe('when the analyzer scans a node', () => {
  it('turns matches into yara.match facts with offsets', async () => {
    const bytes = readFileSync(`${SAMPLES_DIR}rc4-key.dll`);
    const result = await yaraAnalyzer(rules).analyze(memoryNode(bytes, { name: 'rc4-key.dll' }), {
      limits: {} as never,
    });
    expect(result.facts).toHaveLength(1);
    const fact = result.facts[0];
    if (fact?.kind !== 'yara.match') throw new Error(`expected a yara.match fact, got ${fact?.kind}`);
    expect(fact.rule).toBe('APT_SUSP_NK_3CX_RC4_Key_Mar23_1');
    expect(fact.strings[0]?.offset).toBe(bytes.indexOf('3jB('));
  });

  it('records a gap instead of reading a node over its size limit', async () => {
    const node = memoryNode(Buffer.alloc(64, 1), { name: 'big.bin' });
    const result = await yaraAnalyzer(rules, { maxBytes: 16 }).analyze(node, { limits: {} as never });
    expect(result.facts).toEqual([]);
    expect(result.gaps[0]?.code).toBe('E_ARTIFACT_FILE_TOO_LARGE');
  });
});
