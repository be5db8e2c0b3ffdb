import { spawnSync } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

/**
 * The heavy packages (native addons, WebAssembly, big parsers) load on first use, not with the
 * scan pipeline: they cost tens of MB and a good part of the start-up of every command. A hook
 * records every module the CLI loads, ES modules through the loader and CommonJS through the
 * require cache.
 */

const root = resolve(import.meta.dirname, '../..');
const HEAVY = [
  'pkijs',
  '@cyclonedx/cyclonedx-library',
  'better-sqlite3',
  '@litko/yara-x',
  'oxc-parser',
  'acorn',
  '7z-wasm',
  'yaml',
  '@yarnpkg/parsers',
];

let dir: string;
let textFile: string;
let preload: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'countersign-startup-'));
  textFile = join(dir, 'notes.txt');
  await writeFile(textFile, 'just some notes\n');
  const hooks = join(dir, 'hooks.mjs');
  await writeFile(
    hooks,
    `import { appendFileSync } from 'node:fs';
export async function resolve(specifier, context, next) {
  const result = await next(specifier, context);
  appendFileSync(process.env.LOADED_LOG, result.url + '\\n');
  return result;
}
`,
  );
  preload = join(dir, 'preload.mjs');
  await writeFile(
    preload,
    `import { register, createRequire } from 'node:module';
import { appendFileSync } from 'node:fs';
register(${JSON.stringify(pathToFileURL(hooks).href)});
const require = createRequire(import.meta.url);
process.on('exit', () => appendFileSync(process.env.LOADED_LOG, Object.keys(require.cache).join('\\n') + '\\n'));
`,
  );
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** Everything a CLI run loaded, as the hooks logged it, and what it printed. */
async function loadedBy(args: string[], log: string): Promise<{ loaded: string; stdout: string }> {
  const run = spawnSync(
    process.execPath,
    ['--import', 'tsx', '--import', preload, join(root, 'src/cli/main.ts'), ...args],
    { cwd: root, encoding: 'utf8', env: { ...process.env, LOADED_LOG: log }, timeout: 60_000 },
  );
  expect(run.status, run.stderr).toBe(0);
  return { loaded: await readFile(log, 'utf8'), stdout: run.stdout };
}

/** The packages of HEAVY that a CLI run loaded. */
async function heavyLoadedBy(args: string[], log: string): Promise<string[]> {
  const { loaded } = await loadedBy(args, log);
  return HEAVY.filter((name) => loaded.includes(`/node_modules/${name}/`));
}

describe('when the CLI is asked for its version', () => {
  it('prints it without loading any command', async () => {
    const { loaded, stdout } = await loadedBy(['--version'], join(dir, 'version.log'));
    expect(stdout.trim()).toMatch(/^\d+\.\d+\.\d+/);
    expect(loaded).toContain('src/cli/program.ts');
    expect(loaded).not.toMatch(/src\/cli\/\w+-command\.ts/);
  });
});

describe('when the CLI scans a plain text file', () => {
  it('loads none of the heavy packages', async () => {
    const out = join(dir, 'report.json');
    const loaded = await heavyLoadedBy(
      ['scan', textFile, '--json', '--quiet', '-o', out],
      join(dir, 'plain.log'),
    );
    expect(loaded).toEqual([]);
  });

  it('loads the CycloneDX library when an SBOM is asked for (the hook sees lazily loaded packages)', async () => {
    const out = join(dir, 'bom.json');
    const loaded = await heavyLoadedBy(
      ['scan', textFile, '--format', 'cyclonedx', '--quiet', '-o', out],
      join(dir, 'sbom.log'),
    );
    expect(loaded).toEqual(['@cyclonedx/cyclonedx-library']);
  });
});
