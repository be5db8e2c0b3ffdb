import { describe, expect, it } from 'vitest';
import { classifyOsvRecord } from './classify.js';
import { buildOsvIndex } from './match.js';
import { osvRecordsFromPackageList } from './package-list.js';
import { readOsvFixture } from './test-fixtures.js';

describe('when a compromised-package list is imported', () => {
  const result = osvRecordsFromPackageList(readOsvFixture('package-list.csv'), { source: 'incident-list' });
  const index = buildOsvIndex(result.records);
  const ids = (name: string, version: string) =>
    index.lookup({ ecosystem: 'npm', name, version }).matches.map((m) => m.record.id);

  it('makes one malicious-package record per row with the listed versions', () => {
    expect(result.records.map((r) => r.id)).toEqual([
      'LIST-incident-list-example-compromised-a',
      'LIST-incident-list-@example-scope/compromised-b',
      'LIST-incident-list-example-compromised-c',
    ]);
    expect(classifyOsvRecord(result.records[0]!).reasons).toEqual([
      'listed as compromised in package list incident-list',
    ]);
    expect(ids('example-compromised-a', '1.2.4')).toHaveLength(1);
    expect(ids('example-compromised-a', '1.2.5')).toEqual([]);
    expect(ids('@example-scope/compromised-b', '0.9.0')).toHaveLength(1);
  });

  it('reads "*" as every version', () => {
    expect(ids('example-compromised-c', '0.0.1')).toHaveLength(1);
    expect(ids('example-compromised-c', '99.0.0')).toHaveLength(1);
  });

  it('rejects rows without a name or with non-npm versions, naming the line', () => {
    expect(result.rejected.map((r) => r.origin)).toEqual(['incident-list line 5', 'incident-list line 6']);
    expect(result.rejected[0]!.message).toContain('not npm versions: latest, 1.x');
    expect(() =>
      osvRecordsFromPackageList(readOsvFixture('package-list.csv'), {
        source: 'incident-list',
        strict: true,
      }),
    ).toThrow(
      expect.objectContaining({ code: 'E_INTEL_MALFORMED', message: expect.stringContaining('line 5') }),
    );
  });
});
