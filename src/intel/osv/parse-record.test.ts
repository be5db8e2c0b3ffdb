import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { CountersignError } from '../../core/errors.js';
import { parseOsvJson, parseOsvRecord } from './parse-record.js';
import { readOsvFixture } from './test-fixtures.js';

function parseFixture(name: string) {
  return parseOsvJson(readOsvFixture(name), name);
}

function errorOf(run: () => unknown): CountersignError {
  try {
    run();
  } catch (error) {
    if (error instanceof CountersignError) return error;
    throw error;
  }
  throw new Error('expected a CountersignError');
}

describe('when a real OSV record is parsed', () => {
  it('keeps the ids, aliases, ranges and explicit versions (ua-parser-js, 3 affected entries)', () => {
    const record = parseFixture('records/GHSA-pjwm-rvh2-c87w.json');
    expect(record.id).toBe('GHSA-pjwm-rvh2-c87w');
    expect(record.affected).toHaveLength(3);
    expect(record.affected.map((a) => a.versions)).toEqual([['0.7.29'], ['0.8.0'], ['1.0.0']]);
    expect(record.affected[0]!.ranges[0]).toEqual({
      type: 'ECOSYSTEM',
      events: [
        { kind: 'introduced', version: '0.7.29' },
        { kind: 'fixed', version: '0.7.30' },
      ],
    });
  });

  it('reads the tarball digests of a malicious-packages record as hex', () => {
    const record = parseFixture('records/MAL-2026-4377.json');
    expect(record.withdrawn).toBe('2026-05-26T17:12:48Z');
    const digests = record.affected[0]!.digests;
    expect(digests.map((d) => d.algorithm).sort()).toEqual(['sha1', 'sha512']);
    expect(digests.find((d) => d.algorithm === 'sha1')?.hex).toBe('8335acc541bae5d1dc6efc400e9a72eb6bfa44ed');
    const sha512 = digests.find((d) => d.algorithm === 'sha512');
    expect(sha512?.hex).toHaveLength(128);
    expect(sha512?.filename).toBe('plex-6.0.0.tgz');
  });

  it('accepts GIT ranges and records without a package', () => {
    const record = parseFixture('records/CVE-2023-41045.json');
    expect(record.affected.every((a) => a.package === undefined)).toBe(true);
    expect(record.affected[0]!.ranges[0]!.type).toBe('GIT');
  });
});

describe('when an OSV record is malformed', () => {
  it.each([
    ['malformed/two-kinds-in-one-event.json', '$.affected[0].ranges[0].events[0]', 'only one of'],
    ['malformed/unknown-range-type.json', '$.affected[0].ranges[1].type', 'CALVER'],
    ['malformed/missing-id.json', '$.id', 'expected a string, found nothing (the field is missing)'],
    ['malformed/no-introduced.json', '$.affected[0].ranges[0].events', 'at least one "introduced"'],
  ])('%s fails with E_INTEL_MALFORMED naming the file and %s', (file, path, words) => {
    const error = errorOf(() => parseFixture(file));
    expect(error.code).toBe('E_INTEL_MALFORMED');
    expect(error.message).toContain(file);
    expect(error.message).toContain(`${path}:`);
    expect(error.message).toContain(words);
    expect(error.details).toEqual({ file, path });
  });

  it('reports a JSON syntax error with the file name', () => {
    const error = errorOf(() => parseFixture('malformed/truncated.json'));
    expect(error.code).toBe('E_INTEL_MALFORMED');
    expect(error.message).toMatch(/^malformed\/truncated\.json: not valid JSON/);
  });

  it('gives a typed error or a record for every truncation of a real record, never anything else', () => {
    const text = readOsvFixture('records/MAL-2025-47141.json');
    for (let cut = 0; cut < text.length; cut += 1) {
      try {
        parseOsvJson(text.slice(0, cut), 'cut.json');
      } catch (error) {
        expect(error).toBeInstanceOf(CountersignError);
      }
    }
    expect(parseOsvJson(text, 'whole.json').id).toBe('MAL-2025-47141');
  });

  it('rejects a non-object root and a mixed fixed/last_affected range', () => {
    expect(errorOf(() => parseOsvRecord([], 'a.json')).message).toBe(
      'a.json: $: expected an object, found an array',
    );
    const mixed = {
      id: 'X',
      modified: '2024-01-01T00:00:00Z',
      affected: [
        {
          package: { ecosystem: 'npm', name: 'x' },
          ranges: [
            { type: 'SEMVER', events: [{ introduced: '0' }, { fixed: '1.0.0' }, { last_affected: '2.0.0' }] },
          ],
        },
      ],
    };
    expect(errorOf(() => parseOsvRecord(mixed, 'b.json')).message).toContain('not both');
  });
});

describe('when arbitrary JSON is parsed as a record', () => {
  it('gives a record or E_INTEL_MALFORMED, never another error', () => {
    const recordish = fc.record(
      {
        id: fc.oneof(fc.string(), fc.integer()),
        modified: fc.string(),
        withdrawn: fc.oneof(fc.string(), fc.constant('2024-01-01T00:00:00Z')),
        affected: fc.array(fc.jsonValue(), { maxLength: 3 }),
        aliases: fc.jsonValue(),
      },
      { requiredKeys: [] },
    );
    fc.assert(
      fc.property(fc.oneof(fc.jsonValue(), recordish), (value) => {
        try {
          parseOsvRecord(value, 'fuzz.json');
        } catch (error) {
          expect(error).toMatchObject({ code: 'E_INTEL_MALFORMED' });
        }
      }),
      { numRuns: 3000 },
    );
  });
});
