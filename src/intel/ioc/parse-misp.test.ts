import { describe, expect, it } from 'vitest';
import { parseMispEvent } from './parse-misp.js';
import { readIntelFixture } from './test-fixtures.js';

describe('when a real MISP feed event is imported', () => {
  const text = readIntelFixture('misp/001af28a-1aaa-48bc-8245-ccd1fd88dea7.json');

  it('imports the to_ids attributes (hashes, URL, ip-dst) with the event tags and info', () => {
    const result = parseMispEvent(text, { source: 'digitalside' });
    expect(result.indicators.map((i) => [i.type, i.value])).toEqual([
      ['md5', '13fe5ae878bee44638c93459548b4226'],
      ['sha1', '163cb6e76411aea35b6593fc16bd2f09ac438603'],
      ['sha256', '1c6d094c7bc64b66b3d756bb64059af7324fae2aaefd74bb1436b1a1a8fdb5bc'],
      ['url', 'http://1.70.135.194:2536/.i'],
      ['ip', '1.70.135.194'],
    ]);
    expect(result.indicators[0]!.tags).toEqual(
      expect.arrayContaining(['tlp:white', 'source:DigitalSide.IT']),
    );
    expect(result.indicators[0]!.description).toContain('DigitalSide Malware report');
    expect(result.indicators[0]!.source.location).toBe('$.Event.Attribute[1]');
  });

  it('lists what it left out (to_ids false, non-indicator types) with reasons', () => {
    const result = parseMispEvent(text, { source: 'digitalside' });
    expect(result.rejected.map((r) => r.path)).toEqual([
      '$.Event.Attribute[0]',
      '$.Event.Attribute[4]',
      '$.Event.Object[0].Attribute[0]',
      '$.Event.Object[0].Attribute[1]',
      '$.Event.Object[0].Attribute[2]',
    ]);
    expect(result.rejected[0]!.reason).toContain('to_ids is false');
  });

  it('imports to_ids false attributes on request (the domain event keeps its file name)', () => {
    const other = readIntelFixture('misp/00003011-78f7-4c37-b4e1-cd08e350b785.json');
    const result = parseMispEvent(other, { source: 'digitalside', includeNonIds: true });
    expect(result.indicators.some((i) => i.type === 'domain' && i.value === 'dc541.4sync.com')).toBe(true);
    expect(result.indicators.some((i) => i.type === 'filename')).toBe(true);
  });
});

describe('when MISP attributes are composite or malformed', () => {
  const result = parseMispEvent(readIntelFixture('misp/malformed-attribute.json'), { source: 'test' });

  it('splits composite types and keeps the good attributes', () => {
    expect(result.indicators.map((i) => [i.type, i.value])).toEqual([
      ['domain', 'c2.misp-test.invalid'],
      ['filename', 'ffmpeg.dll'],
      ['sha256', 'c485674ee63ec8d4e8fde9800788175a8b02d3f9416d0e763360fff7f8eb4e02'],
      ['ip', '192.0.2.10'],
    ]);
    expect(result.indicators[0]!.tags).toEqual(['tlp:clear', 'misp-category:Network activity']);
  });

  it('rejects each bad attribute with its JSON path', () => {
    expect(result.rejected.map((r) => [r.path, r.reason])).toEqual([
      ['$.Event.Attribute[1]', 'not a valid domain'],
      ['$.Event.Attribute[4]', 'composite domain|ip needs 2 parts separated by "|"'],
      ['$.Event.Attribute[5]', 'MISP type regkey is not an indicator type we match'],
      ['$.Event.Attribute[6]', 'attribute needs a string "type" and "value"'],
    ]);
  });

  it('fails on JSON that is not a MISP event', () => {
    expect(() => parseMispEvent('{"hello": 1}', { source: 'x.json' })).toThrow(
      expect.objectContaining({ code: 'E_INTEL_MALFORMED' }),
    );
  });
});
