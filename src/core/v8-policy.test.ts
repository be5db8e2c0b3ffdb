import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import { V8_POLICY_FLAGS, v8PolicyFlags } from './v8-policy.js';

const here = import.meta.dirname;

describe('v8PolicyFlags', () => {
  it('sets every flag of the policy when the user gave node none of them', () => {
    expect(v8PolicyFlags([])).toEqual(V8_POLICY_FLAGS);
    expect(v8PolicyFlags(['--enable-source-maps', '--max-old-space-size=512'])).toEqual(V8_POLICY_FLAGS);
  });

  it("leaves the user's own choice alone, in either spelling", () => {
    expect(v8PolicyFlags(['--heap-growing-percent=300'])).toEqual([
      '--semi-space-growth-factor=1',
      '--no-turbo-inlining',
    ]);
    expect(v8PolicyFlags(['--inspect', '--semi_space_growth_factor=2', '--turbo-inlining'])).toEqual([
      '--heap-growing-percent=200',
    ]);
    expect(
      v8PolicyFlags(['--heap_growing_percent=50', '--semi-space-growth-factor=4', '--no_turbo_inlining']),
    ).toEqual([]);
  });
});

/**
 * A real process: the policy applied, then a worker thread started (as the hashing pool does),
 * then allocation whose survivors would make V8 grow the young generation. Prints the main
 * thread's young generation size in MB.
 */
function youngGenerationAfterWork(applyPolicy: boolean): number {
  const script = `
    import { getHeapSpaceStatistics } from 'node:v8';
    import { applyV8Policy } from ${JSON.stringify(pathToFileURL(join(here, 'v8-policy.ts')).href)};
    import { startModuleWorker } from ${JSON.stringify(pathToFileURL(join(here, 'module-worker.ts')).href)};
    if (${applyPolicy}) applyV8Policy();
    // A plain JavaScript worker without tsx, as in the built CLI (tsx's loader starts threads of its own).
    const worker = startModuleWorker(${JSON.stringify(pathToFileURL(join(here, '../../test/support/idle-worker.js')).href)}, 'idle-worker', { execArgv: [] });
    worker.once('online', () => {
      setTimeout(() => {
        const kept = [];
        for (let i = 0; i < 3e6; i++) {
          const item = { i, list: [i] };
          if (i % 3 === 0) kept.push(item);
          if (kept.length > 200000) kept.length = 0;
        }
        const young = getHeapSpaceStatistics().find((space) => space.space_name === 'new_space');
        process.stdout.write(String(young.space_size / 1048576));
        worker.terminate();
      }, 200);
    });`;
  const run = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {
    encoding: 'utf8',
    env: { ...process.env, NODE_OPTIONS: '' },
  });
  if (run.status !== 0) throw new Error(`child failed: ${run.stderr}`);
  return Number(run.stdout);
}

describe('applyV8Policy', () => {
  it('keeps the young generation small after worker threads start, which would reset it', () => {
    expect(youngGenerationAfterWork(false)).toBeGreaterThan(8);
    expect(youngGenerationAfterWork(true)).toBeLessThanOrEqual(4);
  }, 30_000);
});

describe('a worker started with semiSpaceMb', () => {
  it('starts with that young generation under the policy, and the workers after it do not', () => {
    const workerUrl = pathToFileURL(join(here, '../../test/support/young-generation-worker.js')).href;
    const script = `
      import { applyV8Policy } from ${JSON.stringify(pathToFileURL(join(here, 'v8-policy.ts')).href)};
      import { startModuleWorker } from ${JSON.stringify(pathToFileURL(join(here, 'module-worker.ts')).href)};
      if (process.argv[1] === 'policy') applyV8Policy();
      const youngOf = (options) =>
        new Promise((resolve) => startModuleWorker(${JSON.stringify(workerUrl)}, 'young-generation-worker', { execArgv: [], ...options }).once('message', resolve));
      const large = await youngOf({ semiSpaceMb: 16 });
      const after = await youngOf({});
      process.stdout.write(JSON.stringify([large, after]));`;
    const sizes = (mode: string) => {
      const run = spawnSync(
        process.execPath,
        ['--import', 'tsx', '--input-type=module', '-e', script, mode],
        {
          encoding: 'utf8',
        },
      );
      if (run.status !== 0) throw new Error(`child failed: ${run.stderr}`);
      return JSON.parse(run.stdout) as [number, number];
    };
    const [large, after] = sizes('policy');
    // V8 reports the new space as the capacity of one semi-space.
    expect(large).toBeGreaterThanOrEqual(16);
    expect(after).toBeLessThanOrEqual(4);
    // Without the policy, the option changes nothing: both start as V8 starts them.
    const [plainLarge, plainAfter] = sizes('none');
    expect(plainLarge).toBe(plainAfter);
  }, 30_000);
});
