/**
 * Truncation and bit-flip sweeps over the MSI and CAB fixtures: each damaged copy, driven through
 * unpack and the reading of every entry, gives entries or CountersignErrors, never another kind
 * of error, never a hang. (The archive sweep in sweep.test.ts covers test/fixtures/archives only.)
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  type Collected,
  collect,
  positions,
  untypedError,
  within,
} from '../../../test/fixtures/archives/harness.js';
import { msiFixtureBytes, msiFixtures } from '../../../test/fixtures/msi/reference.js';
import type { Unpacker } from '../../core/plugin.js';
import { memoryNode } from '../memory-node.js';
import { cabUnpacker } from './cab.js';
import { msiUnpacker } from './msi.js';

/** Every prefix up to this many cuts; evenly spaced cuts beyond. */
const MAX_CUTS = 512;
/** LZX goes through 7-Zip WASM (about 70 ms a call): fewer positions for it. */
const MAX_FLIPS = 160;
const MAX_LZX_FLIPS = 40;
const DEADLINE_MS = 10_000;

function unpackerFor(name: string): Unpacker {
  return name.endsWith('.msi') ? msiUnpacker : cabUnpacker;
}

async function drive(unpacker: Unpacker, bytes: Uint8Array, label: string): Promise<Collected> {
  return within(DEADLINE_MS, label, collect(unpacker, memoryNode(bytes, { name: label })));
}

describe('when an MSI or CAB fixture is cut short at every offset (truncation sweep)', () => {
  it.each(msiFixtures())('%s gives entries or a typed error at every cut', async (name) => {
    const original = msiFixtureBytes(name);
    const unpacker = unpackerFor(name);
    let failures = 0;
    for (const cut of positions(original.length, MAX_CUTS)) {
      const outcome = await drive(unpacker, original.slice(0, cut), `${name}[0..${cut})`);
      expect(untypedError(outcome), `${name} cut at ${cut}`).toBeUndefined();
      const damaged =
        outcome.error ?? outcome.entries.find((item) => item.entry.problem || item.content?.error);
      if (damaged) failures++;
    }
    expect(failures).toBeGreaterThan(0);
    const whole = await drive(unpacker, original, name);
    expect(untypedError(whole)).toBeUndefined();
  });
});

describe('when an MSI or CAB fixture has one byte flipped (bit-flip sweep)', () => {
  it.each(msiFixtures())('%s gives entries or a typed error for every flip', async (name) => {
    const original = msiFixtureBytes(name);
    const unpacker = unpackerFor(name);
    for (const at of positions(original.length, name.startsWith('lzx') ? MAX_LZX_FLIPS : MAX_FLIPS)) {
      for (const mask of [0xff, 0x01]) {
        const damaged = original.slice();
        damaged[at] = (damaged[at] ?? 0) ^ mask;
        const outcome = await drive(unpacker, damaged, `${name}^${mask}@${at}`);
        expect(untypedError(outcome), `${name} flipped ${mask} at ${at}`).toBeUndefined();
      }
    }
  });
});

describe('when random bytes follow the MSCF or compound-file signature (property)', () => {
  const cases: ReadonlyArray<readonly [Unpacker, number[]]> = [
    [cabUnpacker, [0x4d, 0x53, 0x43, 0x46]],
    [msiUnpacker, [0xd0, 0xcf, 0x11, 0xe0, 0xa1, 0xb1, 0x1a, 0xe1]],
  ];
  for (const [unpacker, magic] of cases) {
    it(`${unpacker.id} never throws an untyped error`, async () => {
      await fc.assert(
        fc.asyncProperty(fc.uint8Array({ maxLength: 4096 }), async (tail) => {
          const outcome = await drive(unpacker, new Uint8Array([...magic, ...tail]), `random-${unpacker.id}`);
          expect(untypedError(outcome)).toBeUndefined();
        }),
        { numRuns: 300, interruptAfterTimeLimit: 20_000 },
      );
    });
  }
});
