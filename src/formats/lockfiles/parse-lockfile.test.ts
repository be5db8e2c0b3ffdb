import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { readFixture } from '../../../test/fixtures/lockfiles/expectations.js';
import { CountersignError } from '../../core/errors.js';
import { isLockfileName, type LockfileName, parseLockfile } from './parse-lockfile.js';

const CASES: readonly (readonly [string, LockfileName])[] = [
  ['npm/v3/package-lock.json', 'package-lock.json'],
  ['npm/v1/package-lock.json', 'package-lock.json'],
  ['pnpm/v9/pnpm-lock.yaml', 'pnpm-lock.yaml'],
  ['yarn/v1/yarn.lock', 'yarn.lock'],
  ['yarn/berry/yarn.lock', 'yarn.lock'],
];

/** A result, or a CountersignError with a lockfile code: anything else fails the property. */
function isTypedOutcome(bytes: Uint8Array, name: LockfileName): boolean {
  try {
    const parsed = parseLockfile(bytes, name);
    return Array.isArray(parsed.packages) && Array.isArray(parsed.skipped);
  } catch (error) {
    return error instanceof CountersignError && error.code.startsWith('E_LOCKFILE_');
  }
}

describe.each(CASES)('when %s is mutated at random (property, time-boxed)', (fixture, name) => {
  it('gives a result or a typed lockfile error, never another exception', () => {
    const original = readFixture(fixture);
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.nat({ max: original.length - 1 }), fc.integer({ min: 0, max: 255 })), {
          minLength: 1,
          maxLength: 8,
        }),
        fc.nat({ max: original.length }),
        (edits, cut) => {
          const bytes = Uint8Array.from(original.subarray(0, Math.max(cut, 1)));
          for (const [offset, value] of edits) if (offset < bytes.length) bytes[offset] = value;
          return isTypedOutcome(bytes, name);
        },
      ),
      { numRuns: 300, interruptAfterTimeLimit: 3_000 },
    );
  });
});

describe('when arbitrary text is given under each lockfile name', () => {
  it('gives a result or a typed lockfile error', () => {
    const names: LockfileName[] = ['package-lock.json', 'pnpm-lock.yaml', 'yarn.lock'];
    fc.assert(
      fc.property(fc.string({ maxLength: 400 }), fc.constantFrom(...names), (text, name) =>
        isTypedOutcome(new TextEncoder().encode(text), name),
      ),
      { numRuns: 500, interruptAfterTimeLimit: 3_000 },
    );
  });
});

describe('when a file name is checked', () => {
  it('knows the lockfile names and nothing near them', () => {
    expect(
      ['package-lock.json', 'npm-shrinkwrap.json', '.package-lock.json', 'pnpm-lock.yaml', 'yarn.lock'].every(
        isLockfileName,
      ),
    ).toBe(true);
    expect(
      ['package.json', 'yarn.lock.orig', 'pnpm-lock.yml', 'Package-Lock.json'].some(isLockfileName),
    ).toBe(false);
  });
});
