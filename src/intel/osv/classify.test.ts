import { describe, expect, it } from 'vitest';
import { classifyOsvRecord, isWithdrawn } from './classify.js';
import { parseOsvJson } from './parse-record.js';
import { readOsvFixture } from './test-fixtures.js';

const load = (name: string) => parseOsvJson(readOsvFixture(`records/${name}`), name);

describe('when records are classified', () => {
  it.each([
    ['MAL-2025-46969.json', 'malicious-package', 'MAL-'],
    ['MAL-2024-10238.json', 'malicious-package', 'MAL-'],
    ['GHSA-pjwm-rvh2-c87w.json', 'malicious-package', 'CWE-506'],
    ['GHSA-9wv6-86v2-598j.json', 'vulnerability', undefined],
    ['GO-2024-2963.json', 'vulnerability', undefined],
  ])('%s is a %s', (file, expected, reason) => {
    const classification = classifyOsvRecord(load(file));
    expect(classification.class).toBe(expected);
    if (reason === undefined) expect(classification.reasons).toEqual([]);
    else expect(classification.reasons.join(' ')).toContain(reason);
  });

  it('calls a GHSA alias of a MAL record malicious through its malicious-packages origins', () => {
    const record = { ...load('MAL-2025-46969.json'), id: 'GHSA-2v46-p5h4-248w', aliases: [] };
    expect(classifyOsvRecord(record).reasons).toContain('database_specific names malicious-packages origins');
  });
});

describe('when a record is withdrawn', () => {
  it('is withdrawn from its withdrawn time on, not before', () => {
    const record = load('MAL-2026-4377.json');
    expect(isWithdrawn(record, new Date('2026-05-26T17:12:49Z'))).toBe(true);
    expect(isWithdrawn(record, new Date('2026-05-26T17:12:47Z'))).toBe(false);
    expect(isWithdrawn(load('MAL-2025-46969.json'))).toBe(false);
  });
});
