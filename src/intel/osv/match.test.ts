import { describe, expect, it } from 'vitest';
import { buildOsvIndex } from './match.js';
import { parseOsvJson } from './parse-record.js';
import { readOsvFixture } from './test-fixtures.js';

const FILES = [
  'MAL-2025-46969.json',
  'MAL-2026-4377.json',
  'MAL-2025-47141.json',
  'MAL-2025-20690.json',
  'GHSA-pjwm-rvh2-c87w.json',
  'GHSA-p8p7-x288-28g6.json',
  'GHSA-9wv6-86v2-598j.json',
  'equals_with_patch.osv.json',
  'less_than_equals_with_patch.osv.json',
  'npm_greater_than.osv.json',
  'withdrawn.osv.json',
  'MAL-2024-10238.json',
];
const records = FILES.map((name) => parseOsvJson(readOsvFixture(`records/${name}`), name));
const AT = new Date('2026-06-01T00:00:00Z');
const index = buildOsvIndex(records, { at: AT });

const ids = (ecosystem: string, name: string, version: string) =>
  index.lookup({ ecosystem, name, version }).matches.map((m) => m.record.id);

describe('when npm packages are looked up by name and version', () => {
  it('finds the compromised chalk 5.6.1 as a malicious package, and not 5.6.0', () => {
    const [hit] = index.lookup({ ecosystem: 'npm', name: 'chalk', version: '5.6.1' }).matches;
    expect(hit?.record.id).toBe('MAL-2025-46969');
    expect(hit?.classification.class).toBe('malicious-package');
    expect(hit?.reasons).toEqual([{ kind: 'version', via: { kind: 'versions', listed: '5.6.1' } }]);
    expect(ids('npm', 'chalk', '5.6.0')).toEqual([]);
  });

  it('evaluates ECOSYSTEM npm ranges: path-to-regexp has five disjoint ranges', () => {
    const affected = ['0.1.7', '0.2.0', '1.8.0', '2.4.0', '6.2.2', '7.1.0'];
    const clean = ['0.1.10', '1.9.0', '3.3.0', '6.3.0', '8.0.0'];
    expect(affected.filter((v) => ids('npm', 'path-to-regexp', v).length === 1)).toEqual(affected);
    expect(clean.filter((v) => ids('npm', 'path-to-regexp', v).length > 0)).toEqual([]);
  });

  it('honours last_affected (request ≤ 2.88.2) and the introduced-0 MAL record (every tinycolor)', () => {
    expect(ids('npm', 'request', '2.88.2')).toEqual(['GHSA-p8p7-x288-28g6']);
    expect(ids('npm', 'request', '2.88.3')).toEqual([]);
    expect(ids('npm', '@ctrl/tinycolor', '3.0.0')).toEqual(['MAL-2025-47141']);
  });

  it('does not confuse packages or ecosystems', () => {
    expect(ids('npm', 'Chalk', '5.6.1')).toEqual([]);
    expect(ids('PyPI', 'chalk', '5.6.1')).toEqual([]);
  });
});

describe('when a record is withdrawn', () => {
  it('never matches, by version or by digest, and is counted', () => {
    expect(ids('npm', '@ctrl/plex', '6.0.0')).toEqual([]);
    const lookup = index.lookup({
      ecosystem: 'npm',
      name: 'renamed',
      version: '1.0.0',
      shasum: '8335acc541bae5d1dc6efc400e9a72eb6bfa44ed',
    });
    expect(lookup.matches).toEqual([]);
    expect(index.stats.withdrawn).toBe(2);
  });

  it('matches by tarball digest, under any name, while it is not yet withdrawn', () => {
    const before = buildOsvIndex(records, { at: new Date('2026-05-21T00:00:00Z') });
    const plex = records.find((r) => r.id === 'MAL-2026-4377')!;
    const sha512 = plex.affected[0]!.digests.find((d) => d.algorithm === 'sha512')!;
    const integrity = `sha512-${Buffer.from(sha512.hex, 'hex').toString('base64')}`;
    const lookup = before.lookup({ ecosystem: 'npm', name: 'innocent-name', version: '9.9.9', integrity });
    expect(lookup.matches.map((m) => m.record.id)).toEqual(['MAL-2026-4377']);
    expect(lookup.matches[0]!.reasons[0]).toMatchObject({ kind: 'digest', digest: { algorithm: 'sha512' } });
  });
});

describe('when a range cannot be evaluated', () => {
  it('reports a PyPI ECOSYSTEM range as undecided instead of calling the version clean', () => {
    const pypi = parseOsvJson(
      JSON.stringify({
        id: 'TEST-PYPI',
        modified: '2024-01-01T00:00:00Z',
        affected: [
          {
            package: { ecosystem: 'PyPI', name: 'Products.PluggableAuthService' },
            ranges: [{ type: 'ECOSYSTEM', events: [{ introduced: '0' }, { fixed: '2.6.1' }] }],
          },
        ],
      }),
      'pypi.json',
    );
    const lookup = buildOsvIndex([pypi]).lookup({
      ecosystem: 'PyPI',
      name: 'products-pluggableauthservice',
      version: '2.0',
    });
    expect(lookup.matches).toEqual([]);
    expect(lookup.undecided).toEqual([
      { record: pypi, affectedIndex: 0, rangeIndex: 0, reason: expect.stringContaining('PyPI') },
    ]);
  });

  it('still matches PyPI explicit versions, with PEP 503 name folding', () => {
    expect(ids('PyPI', '123BLA', '0.0.1')).toEqual(['MAL-2024-10238']);
    expect(ids('PyPI', '123bla', '0.0.2')).toEqual([]);
  });
});

describe('when the same id is imported twice', () => {
  it('keeps the later modified copy: a record moved to withdrawn/ stops matching', () => {
    const chalk = records.find((r) => r.id === 'MAL-2025-46969')!;
    const withdrawnLater = { ...chalk, modified: '2026-01-01T00:00:00Z', withdrawn: '2026-01-01T00:00:00Z' };
    const both = buildOsvIndex([withdrawnLater, chalk], { at: AT });
    expect(both.lookup({ ecosystem: 'npm', name: 'chalk', version: '5.6.1' }).matches).toEqual([]);
    expect(both.stats).toMatchObject({ records: 1, duplicates: 1, withdrawn: 1 });
  });
});
