import { describe, expect, it } from 'vitest';
import { readFixture } from '../../test/fixtures/lockfiles/expectations.js';
import { memoryNode } from '../artifact/memory-node.js';
import { factsOfKind } from '../core/facts.js';
import { DEFAULT_LIMITS } from '../core/limits.js';
import type { NodePath } from '../core/node-path.js';
import { lockfileAnalyzer } from './lockfile.js';

const ctx = { limits: DEFAULT_LIMITS };

async function analyze(bytes: Uint8Array, name: string, path?: string) {
  const node = memoryNode(bytes, { name, ...(path !== undefined ? { path: path as NodePath } : {}) });
  expect(lockfileAnalyzer.accepts(node)).toBe(true);
  return lockfileAnalyzer.analyze(node, ctx);
}

describe('when a node is named like a lockfile', () => {
  it.each([
    ['npm/v3/package-lock.json', 'package-lock.json', 'npm', 13],
    ['npm/shrinkwrap/npm-shrinkwrap.json', 'npm-shrinkwrap.json', 'npm', 13],
    ['pnpm/v9/pnpm-lock.yaml', 'pnpm-lock.yaml', 'pnpm', 13],
    ['yarn/v1/yarn.lock', 'yarn.lock', 'yarn-classic', 12],
    ['yarn/berry/yarn.lock', 'yarn.lock', 'yarn-berry', 12],
  ])('%s gives a lockfile.packages fact and no gap', async (fixture, name, format, count) => {
    const result = await analyze(readFixture(fixture), name, `app.tgz!/package/${name}`);
    expect(result.gaps).toEqual([]);
    expect(result.facts).toHaveLength(1);
    expect(result.facts[0]).toMatchObject({ kind: 'lockfile.packages', format, skippedCount: 0 });
    expect(factsOfKind(result.facts, 'lockfile.packages')[0]?.packages).toHaveLength(count);
  });
});

describe("when a node is pnpm's record of the install (node_modules/.pnpm/lock.yaml)", () => {
  it('is read as a pnpm lockfile; a lock.yaml anywhere else is not a lockfile', async () => {
    const result = await analyze(
      readFixture('pnpm/v9/pnpm-lock.yaml'),
      'lock.yaml',
      'app/node_modules/.pnpm/lock.yaml',
    );
    expect(result.facts[0]).toMatchObject({ kind: 'lockfile.packages', format: 'pnpm' });
    const elsewhere = memoryNode(readFixture('pnpm/v9/pnpm-lock.yaml'), {
      name: 'lock.yaml',
      path: 'app/config/lock.yaml' as NodePath,
    });
    expect(lockfileAnalyzer.accepts(elsewhere)).toBe(false);
  });
});

describe('when a node is not a lockfile', () => {
  it.each(['package.json', 'yarn.lock.bak', 'my-package-lock.json', 'lock.yaml'])(
    '%s is not accepted',
    (name) => {
      expect(lockfileAnalyzer.accepts(memoryNode(new TextEncoder().encode('{}'), { name }))).toBe(false);
    },
  );
});

describe('when the lockfile cannot be read', () => {
  it('a broken file is a loud E_LOCKFILE_MALFORMED gap with its line, and no fact', async () => {
    const result = await analyze(
      new TextEncoder().encode('{\n  "lockfileVersion": 3,\n  "packages": {,\n}'),
      'package-lock.json',
    );
    expect(result.facts).toEqual([]);
    expect(result.gaps).toEqual([
      expect.objectContaining({ code: 'E_LOCKFILE_MALFORMED', stage: 'analyze', details: { line: 3 } }),
    ]);
  });

  it('an unknown version is an E_LOCKFILE_UNSUPPORTED gap, never an empty list', async () => {
    const result = await analyze(new TextEncoder().encode("lockfileVersion: '10.0'\n"), 'pnpm-lock.yaml');
    expect(result.facts).toEqual([]);
    expect(result.gaps.map((gap) => gap.code)).toEqual(['E_LOCKFILE_UNSUPPORTED']);
  });

  it('bytes that are not UTF-8 are malformed', async () => {
    const result = await analyze(Uint8Array.from([0x7b, 0xff, 0xfe, 0x7d]), 'package-lock.json');
    expect(result.gaps.map((gap) => gap.code)).toEqual(['E_LOCKFILE_MALFORMED']);
  });
});

describe('when the lockfile is read in part', () => {
  it('keeps the packages read and adds a gap naming what was skipped', async () => {
    const lock = {
      lockfileVersion: 3,
      packages: { '': {}, 'node_modules/ok': { version: '1.0.0' }, 'node_modules/bad': { resolved: 'x' } },
    };
    const result = await analyze(new TextEncoder().encode(JSON.stringify(lock)), 'package-lock.json');
    expect(result.facts[0]).toMatchObject({ kind: 'lockfile.packages', skippedCount: 1 });
    expect(result.gaps).toEqual([
      expect.objectContaining({
        code: 'E_LOCKFILE_MALFORMED',
        details: { skippedCount: 1, skipped: [{ key: 'node_modules/bad', reason: 'no version' }] },
      }),
    ]);
    expect(result.gaps[0]?.message).toContain('node_modules/bad');
  });
});
