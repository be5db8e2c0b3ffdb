import { describe, expect, it } from 'vitest';
import { parseIocCsv } from './parse-csv.js';
import { readIntelFixture } from './test-fixtures.js';

const COLUMNS = {
  value: 'indicator',
  type: 'type',
  tags: 'tags',
  confidence: 'confidence',
  expiresAt: 'expires',
  description: 'comment',
} as const;

describe('when a CSV feed is imported with a column map', () => {
  const result = parseIocCsv(readIntelFixture('csv/feed.csv'), { source: 'feed', columns: COLUMNS });

  it('imports each row with its type, tags, confidence and expiry, quoted fields intact', () => {
    expect(result.indicators.map((i) => [i.source.location, i.type, i.value])).toEqual([
      ['line 2', 'domain', 'c2.example-feed.invalid'],
      ['line 3', 'url', 'http://c2.example-feed.invalid/a,b.php'],
      ['line 4', 'ip', '198.51.100.7'],
      ['line 5', 'md5', '44d88612fea8a8f36de82e1278abb02f'],
      ['line 7', 'filename', 'ffmpeg.dll'],
    ]);
    expect(result.indicators[0]).toMatchObject({
      tags: ['c2', 'campaign-x'],
      confidence: 80,
      expiresAt: '2030-01-01T00:00:00.000Z',
      description: 'primary C2',
    });
    expect(result.indicators[3]).toMatchObject({
      tags: ['eicar', 'test'],
      description: 'multi\nline comment',
    });
  });

  it('rejects bad rows with their first line number and a reason', () => {
    expect(result.rejected.map((r) => [r.line, r.reason])).toEqual([
      [8, 'unknown indicator type "registry-key"'],
      [9, 'no value in the value column'],
      [10, 'confidence "high" is not 0-100'],
      [11, 'expiry "not a date" is not a date'],
    ]);
  });

  it('fails on a quote that is never closed, naming the line it opened on', () => {
    expect(() =>
      parseIocCsv(readIntelFixture('csv/unterminated.csv'), {
        source: 'broken.csv',
        columns: { value: 0, type: 1 },
      }),
    ).toThrow(
      expect.objectContaining({
        code: 'E_INTEL_MALFORMED',
        message: 'broken.csv: line 3: quoted field is never closed',
      }),
    );
  });

  it('fails when the column map names a column the header lacks', () => {
    expect(() => parseIocCsv('a,b\n1,2\n', { source: 'x.csv', columns: { value: 'indicator' } })).toThrow(
      /no column named "indicator"/,
    );
  });

  it('reads headerless files by column index with a fixed type', () => {
    const headerless = parseIocCsv('x;Evil[.]Example\r\ny;other.example\r\n', {
      source: 's',
      header: false,
      delimiter: ';',
      type: 'domain',
      columns: { value: 1 },
    });
    expect(headerless.indicators.map((i) => [i.value, i.source.location])).toEqual([
      ['evil.example', 'line 1'],
      ['other.example', 'line 2'],
    ]);
  });
});
