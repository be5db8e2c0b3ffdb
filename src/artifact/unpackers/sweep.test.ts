/**
 * Truncation and bit-flip sweeps over every archive fixture: each damaged copy, driven through
 * unpack and the full reading of every entry stream, must give entries or a CountersignError,
 * never another kind of error, never an unhandled one (vitest fails on those), never a hang.
 */
import { readdirSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  type Collected,
  collect,
  FIXTURE_DIR,
  fixtureBytes,
  positions,
  untypedError,
  within,
} from '../../../test/fixtures/archives/harness.js';
import type { Unpacker } from '../../core/plugin.js';
import { detectType } from '../../formats/magic.js';
import { memoryNode } from '../memory-node.js';
import { defaultUnpackers } from './index.js';

/** Every prefix of fixtures up to this size; this many evenly spaced cuts for larger ones (a stride). */
const MAX_CUTS = 1024;
/** Flips are costlier (a damaged file is read to the end): fewer, evenly spaced, positions. */
const MAX_FLIPS = 256;
/** Reading stops here: the 50 MB ratio fixture need not be inflated hundreds of times. */
const MAX_BYTES_PER_ENTRY = 256 * 1024;
const DEADLINE_MS = 10_000;

const fixtures = readdirSync(FIXTURE_DIR).sort();

function unpackerFor(name: string, bytes: Uint8Array): Unpacker {
  const type = detectType(bytes.subarray(0, 64 * 1024), name, bytes.length);
  const unpacker = defaultUnpackers().find((candidate) =>
    candidate.accepts({ path: name as never, name, size: bytes.length, depth: 0, type, head: bytes }),
  );
  if (!unpacker) throw new Error(`no unpacker for fixture ${name} (${type})`);
  return unpacker;
}

async function drive(unpacker: Unpacker, bytes: Uint8Array, label: string): Promise<Collected> {
  const node = memoryNode(bytes, { name: label });
  return within(DEADLINE_MS, label, collect(unpacker, node, { maxBytesPerEntry: MAX_BYTES_PER_ENTRY }));
}

describe('when a fixture is cut short at every offset (truncation sweep)', () => {
  it.each(fixtures)('%s gives entries or a typed error at every cut', async (name) => {
    const original = fixtureBytes(name);
    // The fixture's own unpacker, even when the cut no longer sniffs as its type: the stronger test.
    const unpacker = unpackerFor(name, original);
    let typedFailures = 0;
    for (const cut of positions(original.length, MAX_CUTS)) {
      const outcome = await drive(unpacker, original.slice(0, cut), `${name}[0..${cut})`);
      expect(untypedError(outcome), `${name} cut at ${cut}`).toBeUndefined();
      if (outcome.error) typedFailures++;
    }
    // Sanity: the sweep did exercise failures, and the whole file still unpacks cleanly.
    expect(typedFailures).toBeGreaterThan(0);
    const whole = await drive(unpacker, original, name);
    expect(untypedError(whole)).toBeUndefined();
  });
});

describe('when a fixture has one byte flipped at every offset (bit-flip sweep)', () => {
  it.each(fixtures)('%s gives entries or a typed error for every flip', async (name) => {
    const original = fixtureBytes(name);
    const unpacker = unpackerFor(name, original);
    for (const at of positions(original.length, MAX_FLIPS)) {
      for (const mask of [0xff, 0x01]) {
        const damaged = original.slice();
        damaged[at] = (damaged[at] ?? 0) ^ mask;
        const outcome = await drive(unpacker, damaged, `${name}^${mask}@${at}`);
        expect(untypedError(outcome), `${name} flipped ${mask} at ${at}`).toBeUndefined();
      }
    }
  });
});

describe('when an unpacker is fed random bytes behind its magic number (property)', () => {
  const magics: ReadonlyArray<readonly [string, number[]]> = [
    ['zip', [0x50, 0x4b, 0x03, 0x04]],
    ['gzip', [0x1f, 0x8b, 0x08, 0x00]],
    ['asar', [4, 0, 0, 0]],
  ];
  for (const unpacker of defaultUnpackers()) {
    it(`${unpacker.id} never throws an untyped error`, async () => {
      await fc.assert(
        fc.asyncProperty(
          fc.constantFrom(...magics),
          fc.uint8Array({ maxLength: 2048 }),
          async ([, magic], tail) => {
            const bytes = new Uint8Array([...magic, ...tail]);
            const outcome = await drive(unpacker, bytes, `random.${unpacker.id.split('/')[1]}`);
            expect(untypedError(outcome)).toBeUndefined();
          },
        ),
        { numRuns: 300, interruptAfterTimeLimit: 20_000 },
      );
    });
  }
});

/** Rewrites the checksum of the ustar header at `offset`, so that damage reaches the fields behind it. */
function fixTarChecksum(bytes: Uint8Array, offset: number): void {
  let sum = 0;
  for (let i = 0; i < 512; i++) sum += i >= 148 && i < 156 ? 32 : (bytes[offset + i] ?? 0);
  const field = `${sum.toString(8).padStart(6, '0')}\0 `;
  for (let i = 0; i < 8; i++) bytes[offset + 148 + i] = field.charCodeAt(i);
}

describe('when several bytes of a fixture are rewritten at random (property)', () => {
  it('every unpacker still gives entries or typed errors', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(...fixtures.filter((name) => name !== 'ratio.zip')),
        fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 8 }),
        fc.option(fc.nat(), { nil: undefined }),
        async (name, writes, cut) => {
          const original = fixtureBytes(name);
          const unpacker = unpackerFor(name, original);
          const bytes = original.slice(0, cut === undefined ? original.length : cut % (original.length + 1));
          for (const [at, value] of writes) if (bytes.length > 0) bytes[at % bytes.length] = value;
          // For a bare tar, keep the damaged headers' checksums valid so the damage gets parsed.
          if (name.endsWith('.tar'))
            for (let at = 0; at + 512 <= bytes.length; at += 512) fixTarChecksum(bytes, at);
          const outcome = await drive(unpacker, bytes, `${name}~random`);
          expect(untypedError(outcome)).toBeUndefined();
        },
      ),
      { numRuns: 400, interruptAfterTimeLimit: 30_000 },
    );
  });
});
