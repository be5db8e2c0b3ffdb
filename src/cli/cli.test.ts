import { spawnSync } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EXIT } from './exit-codes.js';

const root = fileURLToPath(new URL('../..', import.meta.url));
const demo = join(root, 'demo', 'exampledesk-1.0.0.zip');

/** Runs the real CLI from the sources in a child process, as a user would (no TTY). */
function countersign(...args: string[]) {
  const run = spawnSync(process.execPath, ['--import', 'tsx', join(root, 'src/cli/main.ts'), ...args], {
    cwd: root,
    encoding: 'utf8',
    timeout: 60_000,
    // A home of its own: intel a user imported must not change what these tests see.
    env: { ...process.env, COUNTERSIGN_HOME: join(dir, 'home') },
  });
  return { code: run.status, stdout: run.stdout, stderr: run.stderr };
}

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'countersign-cli-test-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('when scanning the demo release', () => {
  it('prints a text summary with the input digest and exits 0', () => {
    const run = countersign('scan', demo);
    expect(run.code).toBe(EXIT.ok);
    expect(run.stdout).toContain('b2f44481a001f6c520e354f004e471483849d835499eb457c04327427f548d3a');
    expect(run.stdout).toMatch(/complete/i);
    // Off a terminal there is no progress bar on stderr.
    expect(run.stderr).toBe('');
  });

  it('writes a JSON report whose tree reaches into the nested npm package', async () => {
    const output = join(dir, 'demo.json');
    const run = countersign('scan', demo, '--json', '-o', output);
    expect(run.code).toBe(EXIT.ok);
    expect(run.stdout).toBe('');
    const report = JSON.parse(await readFile(output, 'utf8')) as {
      nodes: Array<{ path: string; digests?: { md5?: string; sha256?: string } }>;
    };
    const paths = report.nodes.map((node) => node.path);
    expect(paths).toContain(
      'exampledesk-1.0.0.zip!/ExampleDesk/plugins/exampledesk-helper-1.0.0.tgz!/package/package.json',
    );
    // Nothing asked for md5 or sha1 (no imported intel): SHA-256 alone, on every node.
    expect(report.nodes.every((node) => node.digests?.md5 === undefined)).toBe(true);
    expect(report.nodes.every((node) => node.digests?.sha256 !== undefined)).toBe(true);
  });

  it('computes all three digests on every node with --digests all, and the listed ones otherwise', () => {
    const all = JSON.parse(countersign('scan', demo, '--json', '--digests', 'all').stdout) as {
      digestAlgorithms: string[];
      nodes: Array<{ digests: Record<string, string> }>;
    };
    expect(all.digestAlgorithms).toEqual(['sha256', 'sha1', 'md5']);
    expect(all.nodes.every((node) => Object.keys(node.digests).sort().join() === 'md5,sha1,sha256')).toBe(
      true,
    );
    const listed = JSON.parse(countersign('scan', demo, '--json', '--digests', 'md5').stdout) as {
      nodes: Array<{ digests: Record<string, string> }>;
    };
    expect(Object.keys(listed.nodes[0]!.digests).sort()).toEqual(['md5', 'sha256']);
  });
});

describe('when a signed DLL hides data in its certificate table', () => {
  const padded = join(root, 'test/fixtures/authenticode/data/padded-3cx.dll');

  it('reports the finding by default and nothing with --inventory-only', () => {
    const full = JSON.parse(countersign('scan', padded, '--json').stdout) as {
      findings: Array<{ ruleId: string }>;
    };
    expect(full.findings.map((finding) => finding.ruleId)).toContain('pe.authenticode.data-after-signature');
    const inventory = JSON.parse(countersign('scan', padded, '--json', '--inventory-only').stdout) as {
      findings: unknown[];
      nodes: Array<{ facts: unknown[] }>;
    };
    expect(inventory.findings).toEqual([]);
    expect(inventory.nodes[0]!.facts).toEqual([]);
  });
});

describe('when imported intel names a file inside the release', () => {
  it('reports an intel finding on that node, and none with --no-intel', async () => {
    const intelDir = join(dir, 'intel');
    const readme = 'exampledesk-1.0.0.zip!/ExampleDesk/README.txt';
    const inventory = JSON.parse(countersign('scan', demo, '--json', '--inventory-only').stdout) as {
      nodes: Array<{ path: string; digests: { sha256: string } }>;
    };
    const sha256 = inventory.nodes.find((node) => node.path === readme)!.digests.sha256;
    const list = join(dir, 'iocs.txt');
    await writeFile(list, `# planted for the test\n${sha256}\n`);
    expect(countersign('intel', 'import', list, '--name', 'planted', '--intel-dir', intelDir).code).toBe(
      EXIT.ok,
    );

    const matched = JSON.parse(countersign('scan', demo, '--json', '--intel-dir', intelDir).stdout) as {
      findings: Array<{ ruleId: string; path: string }>;
    };
    expect(matched.findings).toEqual([expect.objectContaining({ ruleId: 'intel.ioc.hash', path: readme })]);
    const ignored = JSON.parse(
      countersign('scan', demo, '--json', '--intel-dir', intelDir, '--no-intel').stdout,
    ) as {
      findings: unknown[];
    };
    expect(ignored.findings).toEqual([]);
  });

  it('computes md5 when an imported list holds md5 digests, and matches by it', async () => {
    const intelDir = join(dir, 'intel-md5');
    const readme = 'exampledesk-1.0.0.zip!/ExampleDesk/README.txt';
    const inventory = JSON.parse(countersign('scan', demo, '--json', '--digests', 'md5').stdout) as {
      nodes: Array<{ path: string; digests: { md5: string } }>;
    };
    const md5 = inventory.nodes.find((node) => node.path === readme)!.digests.md5;
    const list = join(dir, 'iocs-md5.txt');
    await writeFile(list, `${md5}\n`);
    expect(countersign('intel', 'import', list, '--name', 'md5s', '--intel-dir', intelDir).code).toBe(
      EXIT.ok,
    );

    const matched = JSON.parse(countersign('scan', demo, '--json', '--intel-dir', intelDir).stdout) as {
      digestAlgorithms: string[];
      findings: Array<{ ruleId: string; path: string }>;
    };
    expect(matched.digestAlgorithms).toEqual(['sha256', 'md5']);
    expect(matched.findings).toEqual([expect.objectContaining({ ruleId: 'intel.ioc.hash', path: readme })]);
  });
});

describe('when the command line is wrong', () => {
  it('exits 3 for a missing input, naming it and the error code', () => {
    const run = countersign('scan', join(dir, 'missing.zip'));
    expect(run.code).toBe(EXIT.input);
    expect(run.stderr).toContain('missing.zip');
    expect(run.stderr).toContain('E_INPUT_NOT_FOUND');
  });

  it('exits 2 for an unknown option or a bad value', () => {
    expect(countersign('scan', demo, '--no-such-flag').code).toBe(EXIT.usage);
    expect(countersign('scan', demo, '--max-depth', 'deep').code).toBe(EXIT.usage);
    expect(countersign('scan', demo, '--digests', 'crc32').code).toBe(EXIT.usage);
    expect(countersign('scan').code).toBe(EXIT.usage);
  });

  it('exits 0 for --help and --version', () => {
    const help = countersign('--help');
    expect(help.code).toBe(EXIT.ok);
    expect(help.stdout).toContain('scan');
    expect(countersign('--version').stdout.trim()).toMatch(/^\d+\.\d+\.\d+/);
  });
});

describe('when part of the input cannot be looked at', () => {
  it('reports the gap, exits 0 by default and 4 with --strict', async () => {
    const truncated = join(dir, 'truncated.zip');
    const bytes = await readFile(demo);
    await writeFile(truncated, bytes.subarray(0, bytes.length - 200));
    const lenient = countersign('scan', truncated, '--json');
    expect(lenient.code).toBe(EXIT.ok);
    const report = JSON.parse(lenient.stdout) as { gaps: Array<{ code: string }> };
    expect(report.gaps.length).toBeGreaterThan(0);
    expect(report.gaps[0]!.code).toMatch(/^E_ARCHIVE_/);
    expect(countersign('scan', truncated, '--strict', '-q').code).toBe(EXIT.incomplete);
  });
});
