import { describe, expect, it } from 'vitest';
import type { CountersignError } from '../../core/errors.js';
import { parseIocText } from './parse-text.js';
import { readIntelFixture } from './test-fixtures.js';

describe('when a plain indicator list with defanged values is imported', () => {
  const result = parseIocText(readIntelFixture('text/mixed-defanged.txt'), {
    source: 'test-list',
    tags: ['test'],
  });

  it('imports each usable line with its normalised value, type and line', () => {
    expect(result.indicators.map((i) => [i.source.location, i.type, i.value])).toEqual([
      ['line 4', 'url', 'http://c2.campaign-one.invalid/gate.php'],
      ['line 5', 'url', 'https://cdn.campaign-one.invalid/icon7.ico'],
      ['line 6', 'domain', 'campaign-one.invalid'],
      ['line 7', 'ip', '198.51.100.23'],
      ['line 8', 'ip', '2001:db8::1'],
      ['line 9', 'ip', '203.0.113.0/24'],
      ['line 10', 'md5', 'd41d8cd98f00b204e9800998ecf8427e'],
      ['line 11', 'sha1', 'da39a3ee5e6b4b0d3255bfef95601890afd80709'],
      ['line 12', 'sha256', 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855'],
      ['line 20', 'domain', 'c2.campaign-two.invalid'],
    ]);
  });

  it('keeps the original text, the block comment as description and its URL as reference', () => {
    const first = result.indicators[0]!;
    expect(first.original).toBe('hxxp://c2[.]campaign-one[.]invalid/gate.php');
    expect(first.description).toBe('Campaign one https://reports.example.invalid/campaign-one');
    expect(first.source).toEqual({
      name: 'test-list',
      location: 'line 4',
      reference: 'https://reports.example.invalid/campaign-one',
    });
    expect(first.tags).toEqual(['test']);
    const sha1 = result.indicators.find((i) => i.type === 'sha1')!;
    expect(sha1.description).toBe('empty file (sha1) - https://reports.example.invalid/sha1');
    expect(sha1.source.reference).toBe('https://reports.example.invalid/sha1');
  });

  it('lists every unusable line with its number and reason, importing the rest', () => {
    expect(result.rejected.map((r) => [r.line, r.text])).toEqual([
      [15, 'not a thing at all'],
      [16, '12345'],
      [17, '0xdeadbeef'],
      [18, '010.1.1.1'],
      [19, 'http://'],
    ]);
    for (const rejection of result.rejected) expect(rejection.reason).not.toBe('');
  });

  it('fails the whole import in strict mode, naming the first bad line', () => {
    expect(() =>
      parseIocText(readIntelFixture('text/mixed-defanged.txt'), { source: 'test-list', strict: true }),
    ).toThrow(
      expect.objectContaining({
        code: 'E_INTEL_MALFORMED',
        message: expect.stringContaining('line 15'),
      }) as CountersignError,
    );
  });
});

describe('when the signature-base formats are imported', () => {
  it('reads file-name patterns with their score as confidence', () => {
    const text =
      '# 3CX file name IOCs https://www.volexity.com/blog/x\n\\\\3CXDesktopApp-18\\.12\\.407\\.msi;80\nC:\\\\Windows\\\\system32\\\\krwve\\.jat;85\n';
    const result = parseIocText(text, { source: 'signature-base', type: 'path-pattern' });
    expect(result.rejected).toEqual([]);
    expect(result.indicators.map((i) => [i.value, i.confidence])).toEqual([
      ['\\\\3CXDesktopApp-18\\.12\\.407\\.msi', 80],
      ['C:\\\\Windows\\\\system32\\\\krwve\\.jat', 85],
    ]);
    expect(result.indicators[0]!.source.reference).toBe('https://www.volexity.com/blog/x');
  });

  it('keeps a URL with a semicolon whole unless a spaced comment follows', () => {
    const result = parseIocText('http://a.example/x;y=1\nhttp://b.example/z; C2 panel\n', {
      source: 's',
      type: 'url',
    });
    expect(result.indicators.map((i) => [i.value, i.description])).toEqual([
      ['http://a.example/x;y=1', undefined],
      ['http://b.example/z', 'C2 panel'],
    ]);
  });
});
