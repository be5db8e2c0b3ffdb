import { describe, expect, it } from 'vitest';
import { detectIocFormat, importIocFile } from './load.js';
import { INTEL_FIXTURES } from './test-fixtures.js';

describe('when IOC files are imported from disk', () => {
  it.each([
    ['stix/indicators-for-C2-with-COA.json', 'stix', 2],
    ['misp/001af28a-1aaa-48bc-8245-ccd1fd88dea7.json', 'misp', 5],
    ['text/mixed-defanged.txt', 'text', 10],
  ] as const)('detects %s as %s and imports it', async (file, format, count) => {
    const result = await importIocFile(`${INTEL_FIXTURES}${file}`);
    expect(result.format).toBe(format);
    expect(result.indicators).toHaveLength(count);
    expect(result.indicators[0]!.source.name).toBe(file.split('/').at(-1));
  });

  it('imports CSV with a column map, and refuses CSV without one', async () => {
    const path = `${INTEL_FIXTURES}csv/feed.csv`;
    const result = await importIocFile(path, {
      columns: { value: 'indicator', type: 'type' },
      source: 'feed',
    });
    expect(result.format).toBe('csv');
    expect(result.indicators.length).toBeGreaterThan(0);
    await expect(importIocFile(path)).rejects.toMatchObject({ code: 'E_USAGE' });
  });

  it('fails with typed errors for a missing or oversized file', async () => {
    await expect(importIocFile(`${INTEL_FIXTURES}nope.txt`)).rejects.toMatchObject({
      code: 'E_INPUT_NOT_FOUND',
    });
    await expect(
      importIocFile(`${INTEL_FIXTURES}text/mixed-defanged.txt`, { maxBytes: 10 }),
    ).rejects.toMatchObject({
      code: 'E_ARTIFACT_FILE_TOO_LARGE',
    });
  });

  it('refuses JSON that is neither STIX nor MISP, or not JSON at all, instead of reading it as a list', () => {
    expect(() => detectIocFormat('{"foo": 1}', 'x.json')).toThrow(/neither a STIX bundle nor a MISP event/);
    expect(() => detectIocFormat('{"type": "bundle"', 'x.json')).toThrow(/x\.json: not valid JSON/);
    expect(detectIocFormat('evil.example\n', 'list.txt')).toBe('text');
  });
});
