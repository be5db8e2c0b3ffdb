import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  corkamiFixture,
  corkamiFixtureNames,
  mingwFixtureNames,
  peFixture,
} from '../../../test/fixtures/pe/fixtures.js';
import { isCountersignError } from '../../core/errors.js';
import { type ParsePeOptions, parsePe } from './pe.js';

type Outcome = 'parsed' | 'E_PE_TRUNCATED' | 'E_PE_MALFORMED';

/** A parse either gives a result or a typed PE error; anything else fails the test with the input's name. */
function outcomeOf(bytes: Uint8Array, label: string, options?: ParsePeOptions): Outcome {
  try {
    const pe = parsePe(bytes, options);
    // Touch the result the way an analyzer would, so lazy surprises surface here.
    JSON.stringify(pe, (_key, value) => (typeof value === 'bigint' ? value.toString() : value));
    return 'parsed';
  } catch (error) {
    if (isCountersignError(error) && (error.code === 'E_PE_TRUNCATED' || error.code === 'E_PE_MALFORMED')) {
      return error.code;
    }
    throw new Error(`${label}: untyped failure: ${(error as Error)?.stack ?? String(error)}`);
  }
}

const NO_STRINGS: ParsePeOptions = { strings: false };

describe('when parsing the committed corkami hostile files', () => {
  it.each(corkamiFixtureNames())('%s parses or gives a typed error', (name) => {
    expect(['parsed', 'E_PE_TRUNCATED', 'E_PE_MALFORMED']).toContain(outcomeOf(corkamiFixture(name), name));
  });
});

const corpusDir = process.env.COUNTERSIGN_CORKAMI_DIR ?? '/work/shared/data/pe-corkami/PE/bin';
const hasCorpus = existsSync(corpusDir);
if (!hasCorpus) {
  console.log(
    `[pe robustness] full corkami corpus not run: ${corpusDir} is absent (set COUNTERSIGN_CORKAMI_DIR)`,
  );
}

describe.skipIf(!hasCorpus)('when parsing the whole corkami corpus', () => {
  it('gives a result or a typed error for every file, and parses most PE files', () => {
    const counts: Record<Outcome, number> = { parsed: 0, E_PE_TRUNCATED: 0, E_PE_MALFORMED: 0 };
    let peFiles = 0;
    for (const name of readdirSync(corpusDir).sort()) {
      const path = `${corpusDir}/${name}`;
      if (!statSync(path).isFile()) continue;
      const bytes = readFileSync(path);
      if (bytes[0] === 0x4d && bytes[1] === 0x5a) peFiles++;
      counts[outcomeOf(bytes, name)]++;
    }
    console.log(`[pe robustness] corkami corpus: ${peFiles} MZ files, outcomes ${JSON.stringify(counts)}`);
    // Most hand-made files load on Windows: our parser must read nearly all of them, not just survive.
    expect(counts.parsed).toBeGreaterThanOrEqual(peFiles - 5);
  });
});

describe.each(mingwFixtureNames())('when %s is cut at every offset', (name) => {
  const bytes = peFixture(name);
  it('gives a result or a typed error for each prefix', () => {
    const seen = new Set<Outcome>();
    // Every offset through the headers and the first tables, then a stride: the file is cut
    // inside every structure without parsing 18k prefixes.
    for (let length = 0; length <= bytes.length; length += length < 4096 ? 1 : 13) {
      seen.add(outcomeOf(bytes.subarray(0, length), `${name}[0..${length})`, NO_STRINGS));
    }
    expect(seen).toContain('E_PE_TRUNCATED');
    expect(seen).toContain('parsed');
  });
});

describe.each(mingwFixtureNames())('when bits of %s are flipped', (name) => {
  const bytes = peFixture(name);

  it('survives every header byte set to 0x00 and 0xff', () => {
    for (let offset = 0; offset < Math.min(1024, bytes.length); offset++) {
      for (const value of [0x00, 0xff, 0x7f, 0x80]) {
        const copy = bytes.slice();
        copy[offset] = value;
        outcomeOf(copy, `${name}@${offset}=${value}`, NO_STRINGS);
      }
    }
  });

  it('survives random bit flips anywhere (property, seeded)', () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.nat(bytes.length - 1), fc.nat(7)), { minLength: 1, maxLength: 16 }),
        (flips) => {
          const copy = bytes.slice();
          for (const [offset, bit] of flips) copy[offset] = copy[offset]! ^ (1 << bit);
          outcomeOf(copy, `${name} flips ${JSON.stringify(flips)}`);
        },
      ),
      { numRuns: 300, seed: 0x5eed },
    );
  });

  it('survives random 32-bit values written over table fields (property, seeded)', () => {
    fc.assert(
      fc.property(fc.nat(Math.max(0, bytes.length - 4)), fc.nat(0xffffffff), (offset, value) => {
        const copy = bytes.slice();
        new DataView(copy.buffer).setUint32(offset, value >>> 0, true);
        outcomeOf(copy, `${name}@${offset}=u32 ${value}`, NO_STRINGS);
      }),
      { numRuns: 1000, seed: 0xc0ffee },
    );
  });
});

describe('when 65535 overlapping sections meet 65535 imports', () => {
  it('stops within a work budget and says why, instead of searching billions of times', () => {
    const bytes = overlappingSectionsPe(65_535, 65_535);
    const pe = parsePe(bytes);
    const messages = pe.problems.map((p) => p.message).join(' | ');
    expect(messages).toMatch(/too costly to search/);
    expect(messages).toMatch(/overlap too much to measure/);
  });

  it('reads them all when the table is small', () => {
    const pe = parsePe(overlappingSectionsPe(1_000, 1_000));
    expect(pe.imports[0]!.functions).toHaveLength(1_000);
  });
});

/**
 * A PE32 whose section table has `sectionCount` overlapping sections (the useful one last, so each
 * lookup walks the whole table) and one import with `thunkCount` functions.
 */
function overlappingSectionsPe(sectionCount: number, thunkCount: number): Uint8Array {
  const peOffset = 0x40;
  const optional = peOffset + 24;
  const table = optional + 224;
  const headersEnd = table + sectionCount * 40;
  const dataStart = Math.ceil(headersEnd / 0x200) * 0x200;
  const dataSize = 0x40 + (thunkCount + 1) * 4 + 0x20;
  const size = dataStart + Math.ceil(dataSize / 0x200) * 0x200;
  const bytes = new Uint8Array(size);
  const v = new DataView(bytes.buffer);
  bytes.set([0x4d, 0x5a]);
  v.setUint32(0x3c, peOffset, true);
  bytes.set([0x50, 0x45], peOffset);
  v.setUint16(peOffset + 4, 0x14c, true);
  v.setUint16(peOffset + 6, sectionCount, true);
  v.setUint16(peOffset + 20, 224, true);
  v.setUint16(peOffset + 22, 0x102, true);
  v.setUint16(optional, 0x10b, true);
  v.setUint32(optional + 28, 0x400000, true);
  v.setUint32(optional + 32, 0x1000, true);
  v.setUint32(optional + 36, 0x200, true);
  v.setUint32(optional + 60, dataStart, true);
  v.setUint32(optional + 92, 16, true);
  const va = Math.ceil(dataStart / 0x1000) * 0x1000;
  // Import directory at the start of the data: one descriptor, INT right after the 2 descriptors.
  v.setUint32(optional + 96 + 8, va, true);
  v.setUint32(optional + 96 + 12, 40, true);
  const intRva = va + 0x40;
  const nameRva = intRva + (thunkCount + 1) * 4;
  v.setUint32(dataStart, intRva, true);
  v.setUint32(dataStart + 12, nameRva, true);
  v.setUint32(dataStart + 16, intRva, true);
  bytes.set(new TextEncoder().encode('x.dll'), dataStart + (nameRva - va));
  for (let i = 0; i < thunkCount; i++) v.setUint32(dataStart + 0x40 + i * 4, nameRva - 2, true); // hint/name = "x.dll" minus hint
  for (let i = 0; i < sectionCount; i++) {
    const at = table + i * 40;
    // Later sections in the table cover the data too; the first ones cover nothing useful.
    v.setUint32(at + 8, 0x100000, true);
    v.setUint32(at + 12, i < sectionCount - 1 ? va + 0x1000 * (i + 1) : va, true);
    v.setUint32(at + 16, size - dataStart, true);
    v.setUint32(at + 20, dataStart, true);
    v.setUint32(at + 36, 0x60000020, true);
  }
  return bytes;
}
