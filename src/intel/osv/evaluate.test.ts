import fc from 'fast-check';
import semver from 'semver';
import { describe, expect, it } from 'vitest';
import { evaluateAffected, evaluateRange } from './evaluate.js';
import {
  OSV_EVENT_KINDS,
  OSV_RANGE_TYPES,
  type OsvEvent,
  type OsvEventKind,
  type OsvRange,
  type OsvRangeType,
} from './types.js';

function range(type: OsvRangeType, ...events: [OsvEventKind, string][]): OsvRange {
  return { type, events: events.map(([kind, version]): OsvEvent => ({ kind, version })) };
}

function affectedVersions(r: OsvRange, versions: string[], ecosystem = 'npm'): string[] {
  return versions.filter((v) => evaluateRange(r, ecosystem, v).status === 'affected');
}

const LADDER = [
  '0.0.1',
  '1.0.0-rc.1',
  '1.0.0',
  '1.0.1',
  '1.0.2',
  '2.0.0',
  '2.0.1',
  '3.0.0',
  '3.2.4',
  '3.2.5',
  '9.9.9',
];

describe('when a range starts at introduced "0"', () => {
  it('affects every version, prereleases included, when nothing fixes it', () => {
    expect(affectedVersions(range('SEMVER', ['introduced', '0']), LADDER)).toEqual(LADDER);
  });
  it('affects everything below the fix and nothing from it on', () => {
    expect(affectedVersions(range('SEMVER', ['introduced', '0'], ['fixed', '1.0.2']), LADDER)).toEqual([
      '0.0.1',
      '1.0.0-rc.1',
      '1.0.0',
      '1.0.1',
    ]);
  });
});

describe('when a range holds several introduced/fixed pairs', () => {
  it('affects exactly [1.0.0, 1.0.2) and [3.0.0, 3.2.5), as the schema example says', () => {
    const r = range(
      'SEMVER',
      ['introduced', '1.0.0'],
      ['fixed', '1.0.2'],
      ['introduced', '3.0.0'],
      ['fixed', '3.2.5'],
    );
    expect(affectedVersions(r, LADDER)).toEqual(['1.0.0', '1.0.1', '3.0.0', '3.2.4']);
  });
  it('sorts unsorted events before walking them (the GHSA converter emits them unsorted)', () => {
    // As in osv-schema tools/ghsa/testdata/equals_with_patch: introduced 0, introduced 2.0.0, fixed 2.0.1, fixed 1.3.2.
    const r = range(
      'SEMVER',
      ['introduced', '0'],
      ['introduced', '2.0.0'],
      ['fixed', '2.0.1'],
      ['fixed', '1.3.2'],
    );
    expect(affectedVersions(r, ['1.3.1', '1.3.2', '1.9.9', '2.0.0', '2.0.1', '2.1.0'])).toEqual([
      '1.3.1',
      '2.0.0',
    ]);
  });
});

describe('when a range ends with last_affected', () => {
  it('includes the last affected version itself and nothing above it', () => {
    const r = range('ECOSYSTEM', ['introduced', '0'], ['last_affected', '2.88.2']);
    expect(affectedVersions(r, ['2.88.1', '2.88.2', '2.88.3', '3.0.0'])).toEqual(['2.88.1', '2.88.2']);
  });
  it('places prereleases by precedence: 2.88.2-rc.1 is inside, 2.88.3-rc.1 is above the ceiling', () => {
    const r = range('SEMVER', ['introduced', '0'], ['last_affected', '2.88.2']);
    expect(evaluateRange(r, 'npm', '2.88.3-rc.1').status).toBe('not-affected');
    expect(evaluateRange(r, 'npm', '2.88.2-rc.1').status).toBe('affected');
  });
});

describe('when a range has limit events', () => {
  it('affects nothing at or above the limit, even with no fix', () => {
    const r = range('SEMVER', ['introduced', '1.0.0'], ['limit', '2.0.0']);
    expect(affectedVersions(r, LADDER)).toEqual(['1.0.0', '1.0.1', '1.0.2']);
  });
  it('treats limit "*" as infinity and accepts any of several limits', () => {
    expect(affectedVersions(range('SEMVER', ['introduced', '3.0.0'], ['limit', '*']), LADDER)).toEqual([
      '3.0.0',
      '3.2.4',
      '3.2.5',
      '9.9.9',
    ]);
    const two = range('SEMVER', ['introduced', '1.0.0'], ['limit', '1.0.1'], ['limit', '3.2.5']);
    expect(affectedVersions(two, LADDER)).toEqual([
      '1.0.0',
      '1.0.1',
      '1.0.2',
      '2.0.0',
      '2.0.1',
      '3.0.0',
      '3.2.4',
    ]);
  });
});

describe('when versions are prereleases', () => {
  it('orders them by SemVer precedence: 1.0.0-rc.1 < 1.0.0, so a fix at 1.0.0 covers the rc', () => {
    const r = range('SEMVER', ['introduced', '0'], ['fixed', '1.0.0']);
    expect(evaluateRange(r, 'npm', '1.0.0-rc.1').status).toBe('affected');
    expect(evaluateRange(r, 'npm', '1.0.0').status).toBe('not-affected');
  });
  it('takes a "-0" introduced (Go style) to include every prerelease of that version', () => {
    const r = range(
      'SEMVER',
      ['introduced', '0'],
      ['fixed', '1.21.12'],
      ['introduced', '1.22.0-0'],
      ['fixed', '1.22.5'],
    );
    expect(affectedVersions(r, ['1.21.11', '1.21.12', '1.22.0-rc.1', '1.22.4', '1.22.5'], 'Go')).toEqual([
      '1.21.11',
      '1.22.0-rc.1',
      '1.22.4',
    ]);
  });
  it('ignores build metadata, as npm does', () => {
    const r = range('SEMVER', ['introduced', '1.0.0'], ['fixed', '1.0.1']);
    expect(evaluateRange(r, 'npm', '1.0.0+build.7').status).toBe('affected');
  });
});

describe('when a range and a fix share a version', () => {
  it('reads introduced X, fixed X as an empty range', () => {
    expect(
      evaluateRange(range('SEMVER', ['fixed', '1.0.0'], ['introduced', '1.0.0']), 'npm', '1.0.0').status,
    ).toBe('not-affected');
  });
  it('reads introduced X, last_affected X as exactly X', () => {
    const r = range('SEMVER', ['last_affected', '1.0.0'], ['introduced', '1.0.0']);
    expect(affectedVersions(r, ['0.9.0', '1.0.0', '1.0.1'])).toEqual(['1.0.0']);
  });
});

describe('when a range cannot be evaluated', () => {
  it('says why for GIT ranges, ECOSYSTEM ranges of unsupported ecosystems, and non-versions', () => {
    const git = evaluateRange(range('GIT', ['introduced', 'abc']), undefined, '1.0.0');
    expect(git).toEqual({ status: 'unknown', reason: expect.stringContaining('GIT') });
    const pypi = evaluateRange(range('ECOSYSTEM', ['introduced', '0']), 'PyPI', '1.0');
    expect(pypi).toEqual({ status: 'unknown', reason: expect.stringContaining('PyPI') });
    const bad = evaluateRange(range('SEMVER', ['introduced', '0']), 'npm', 'latest');
    expect(bad).toEqual({ status: 'unknown', reason: expect.stringContaining('"latest"') });
    const badEvent = evaluateRange(range('SEMVER', ['introduced', '1.0']), 'npm', '1.0.0');
    expect(badEvent).toEqual({ status: 'unknown', reason: expect.stringContaining('"1.0"') });
  });
  it('still answers from the explicit versions list and reports the undecided range', () => {
    const verdict = evaluateAffected(
      {
        package: { ecosystem: 'PyPI', name: 'example' },
        ranges: [range('ECOSYSTEM', ['introduced', '0'], ['fixed', '2.6.1'])],
        versions: ['2.6.0'],
        digests: [],
      },
      '2.6.0',
    );
    expect(verdict.isAffected).toBe(true);
    expect(verdict.via).toEqual({ kind: 'versions', listed: '2.6.0' });
    expect(verdict.undecided).toHaveLength(1);
  });
});

describe('when an npm version is listed explicitly', () => {
  it('matches it exactly, or with a leading v, and nothing near it', () => {
    const affected = {
      package: { ecosystem: 'npm', name: 'chalk' },
      ranges: [],
      versions: ['5.6.1'],
      digests: [],
    };
    expect(evaluateAffected(affected, '5.6.1').isAffected).toBe(true);
    expect(evaluateAffected(affected, 'v5.6.1').isAffected).toBe(true);
    expect(evaluateAffected(affected, '5.6.0').isAffected).toBe(false);
    expect(evaluateAffected(affected, '5.6.1-0').isAffected).toBe(false);
  });
});

describe('when ranges are random introduced/fixed pairs', () => {
  it('agrees with semver comparisons, in whichever order the events come', () => {
    const version = fc
      .tuple(fc.nat(3), fc.nat(3), fc.nat(3), fc.option(fc.constantFrom('alpha', 'rc.1'), { nil: undefined }))
      .map(([a, b, c, pre]) => `${a}.${b}.${c}${pre === undefined ? '' : `-${pre}`}`);
    fc.assert(
      fc.property(version, version, version, fc.boolean(), (lo, hi, v, swap) => {
        const events: [OsvEventKind, string][] = [
          ['introduced', lo],
          ['fixed', hi],
        ];
        const r = range('SEMVER', ...(swap ? events.reverse() : events));
        // The schema reads events as a timeline: a fix that sorts before the introduction fixes nothing.
        const expected = semver.gte(v, lo) && (semver.gt(lo, hi) || semver.lt(v, hi));
        expect(evaluateRange(r, 'npm', v).status === 'affected').toBe(expected);
      }),
      { numRuns: 500 },
    );
  });
});

describe('when events are arbitrary', () => {
  it('always returns a verdict, whatever the kinds, versions and ecosystem', () => {
    const version = fc.oneof(
      fc.constantFrom('0', '*', '1.0.0', '1.0.0-rc.1', 'v2.0.0', '', 'latest'),
      fc.string({ maxLength: 8 }),
    );
    const event = fc.record({ kind: fc.constantFrom(...OSV_EVENT_KINDS), version });
    fc.assert(
      fc.property(
        fc.constantFrom(...OSV_RANGE_TYPES),
        fc.array(event, { maxLength: 8 }),
        fc.constantFrom('npm', 'PyPI', 'Go', undefined),
        version,
        (type, events, ecosystem, v) => {
          const verdict = evaluateRange({ type, events }, ecosystem, v);
          expect(['affected', 'not-affected', 'unknown']).toContain(verdict.status);
        },
      ),
      { numRuns: 3000 },
    );
  });
});
