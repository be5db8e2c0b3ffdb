import { createHash } from 'node:crypto';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../../test/support/run-cli.js';
import { EXIT } from './exit-codes.js';

const root = fileURLToPath(new URL('../..', import.meta.url));
const samples = join(root, 'test/fixtures/hunt/yara-samples');

const countersign = (home: string, ...args: string[]) => runCli(home, args);

let dir: string;
let home: string;
let tree: string;
const bad = Buffer.from('a planted file the list names by sha256\n');

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'countersign-hunt-cli-'));
  home = join(dir, 'home');
  tree = join(dir, 'tree');
  await mkdir(join(tree, 'sub'), { recursive: true });
  await writeFile(join(tree, 'sub/bad.bin'), bad);
  await writeFile(join(tree, 'good.txt'), 'nothing to see\n');
  await writeFile(
    join(dir, 'list.txt'),
    `# test list\n${createHash('sha256').update(bad).digest('hex')}\nevil[.]invalid\n`,
  );
  await writeFile(join(dir, 'proxy.log'), 'fetch ok host1.example.org\nfetch http://cdn.evil.invalid/x ok\n');
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('when intel is imported, listed and used by hunt', () => {
  it('says there is nothing to hunt with before anything is imported', () => {
    const run = countersign(home, 'hunt', tree);
    expect(run.code).toBe(EXIT.usage);
    expect(run.stderr).toContain('intel load 3cx');
  });

  it('imports a list and the 3CX pack under COUNTERSIGN_HOME and lists them with counts', async () => {
    expect(countersign(home, 'intel', 'import', join(dir, 'list.txt'), '--name', 'mylist').code).toBe(
      EXIT.ok,
    );
    expect(countersign(home, 'intel', 'load', '3cx').code).toBe(EXIT.ok);
    const list = countersign(home, 'intel', 'list', '--json');
    const sources = JSON.parse(list.stdout) as { name: string; counts: Record<string, number> }[];
    expect(sources.map((source) => source.name)).toEqual(['mylist', 'pack-3cx']);
    expect(sources[0]?.counts).toMatchObject({ indicators: 2, sha256: 1, domain: 1 });
    expect(await readFile(join(home, 'intel/mylist.json'), 'utf8')).toContain('evil.invalid');
  });

  it('hunts a tree: exit 1, the planted file named with its indicator and source', () => {
    const run = countersign(home, 'hunt', '-q', tree);
    expect(run.code).toBe(EXIT.findings);
    expect(run.stdout).toContain(join(tree, 'sub/bad.bin'));
    expect(run.stdout).toContain('mylist');
    expect(run.stdout).not.toContain('good.txt');
  });

  it('hunts logs and writes SARIF with the line', () => {
    const run = countersign(home, 'hunt', '--logs', '--format', 'sarif', join(dir, 'proxy.log'));
    expect(run.code).toBe(EXIT.findings);
    const sarif = JSON.parse(run.stdout) as {
      runs: {
        results: { ruleId: string; locations: { physicalLocation: { region: { startLine: number } } }[] }[];
      }[];
    };
    expect(
      sarif.runs[0]?.results.map((r) => [r.ruleId, r.locations[0]?.physicalLocation.region.startLine]),
    ).toEqual([['hunt.domain', 2]]);
  });

  it('runs YARA given on the command line alone, and exits 0 when nothing matches', () => {
    const yaraRules = join(root, 'test/fixtures/hunt/yara');
    const hit = countersign(
      home,
      'hunt',
      '--no-store',
      '--yara',
      yaraRules,
      '--json',
      join(samples, 'rc4-key.dll'),
    );
    expect(hit.code).toBe(EXIT.findings);
    const report = JSON.parse(hit.stdout) as { hits: { indicator: { value: string } }[] };
    expect(report.hits.map((h) => h.indicator.value)).toEqual(['APT_SUSP_NK_3CX_RC4_Key_Mar23_1']);
    const miss = countersign(home, 'hunt', '--no-store', '--yara', yaraRules, join(samples, 'rc4-key.txt'));
    expect(miss.code).toBe(EXIT.ok);
  });
});
