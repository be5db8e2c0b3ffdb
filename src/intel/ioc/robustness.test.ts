import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { CountersignError } from '../../core/errors.js';
import { compileIocIndex } from './match.js';
import { inferIndicator, normaliseIndicator } from './normalize.js';
import { parseIocCsv } from './parse-csv.js';
import { parseMispEvent } from './parse-misp.js';
import { parseStixBundle } from './parse-stix.js';
import { parseIocText } from './parse-text.js';
import { parseStixPattern } from './stix-pattern.js';
import { readIntelFixture } from './test-fixtures.js';
import { IOC_TYPES } from './types.js';

/** Every cut of `text` gives a result or a CountersignError, never another exception. */
function sweep(text: string, parse: (cut: string) => unknown, step = 1): { results: number; errors: number } {
  let results = 0;
  let errors = 0;
  for (let cut = 0; cut <= text.length; cut += step) {
    try {
      parse(text.slice(0, cut));
      results += 1;
    } catch (error) {
      expect(error).toBeInstanceOf(CountersignError);
      errors += 1;
    }
  }
  return { results, errors };
}

describe('when IOC inputs are truncated at every offset', () => {
  it('text lists always give a result', () => {
    const outcome = sweep(readIntelFixture('text/mixed-defanged.txt'), (cut) =>
      parseIocText(cut, { source: 't' }),
    );
    expect(outcome.errors).toBe(0);
  });

  it('CSV gives a result or a typed error (an open quote)', () => {
    const columns = {
      value: 'indicator',
      type: 'type',
      tags: 'tags',
      confidence: 'confidence',
      expiresAt: 'expires',
    };
    const outcome = sweep(readIntelFixture('csv/feed.csv'), (cut) =>
      parseIocCsv(cut, { source: 'c', columns }),
    );
    expect(outcome.results).toBeGreaterThan(0);
    expect(outcome.errors).toBeGreaterThan(0);
  });

  it('STIX and MISP give a result or a typed error', () => {
    const stix = readIntelFixture('stix/indicators-for-C2-with-COA.json');
    expect(sweep(stix, (cut) => parseStixBundle(cut, { source: 's' })).errors).toBeGreaterThan(0);
    const misp = readIntelFixture('misp/001af28a-1aaa-48bc-8245-ccd1fd88dea7.json');
    expect(sweep(misp, (cut) => parseMispEvent(cut, { source: 'm' })).errors).toBeGreaterThan(0);
  });
});

describe('when arbitrary strings reach the normalisers and the pattern parser', () => {
  it('never throws, and every accepted value can be compiled into an index', () => {
    fc.assert(
      fc.property(fc.constantFrom(...IOC_TYPES), fc.string({ maxLength: 80 }), (type, raw) => {
        const typed = normaliseIndicator(type, raw);
        const inferred = inferIndicator(raw);
        for (const result of [typed, inferred]) {
          if (!result.ok) continue;
          const indicator = {
            type: result.type,
            value: result.value,
            original: raw,
            source: { name: 'p' },
            tags: [],
          };
          expect(compileIocIndex([indicator]).size).toBe(1);
        }
      }),
      { numRuns: 3000 },
    );
  });

  it('STIX patterns built from pattern-ish pieces are read or refused with a reason', () => {
    const piece = fc.constantFrom(
      '[',
      ']',
      '(',
      ')',
      "'",
      ' ',
      '=',
      'OR',
      'AND',
      "file:hashes.'SHA-256'",
      'domain-name:value',
      "'x.example'",
      '\\',
    );
    fc.assert(
      fc.property(fc.array(piece, { maxLength: 12 }), (pieces) => {
        const result = parseStixPattern(pieces.join(' '));
        if (!result.ok) expect(result.reason).toMatch(/^STIX pattern not supported: /);
      }),
      { numRuns: 3000 },
    );
  });
});
