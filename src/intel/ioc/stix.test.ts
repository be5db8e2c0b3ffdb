import { describe, expect, it } from 'vitest';
import { parseStixBundle } from './parse-stix.js';
import { parseStixPattern } from './stix-pattern.js';
import { readIntelFixture } from './test-fixtures.js';

describe('when STIX patterns are parsed', () => {
  it('reads single comparisons and OR lists, inside and between observations', () => {
    expect(parseStixPattern("[file:hashes.'SHA-256' = 'ab']")).toEqual({
      ok: true,
      comparisons: [{ type: 'sha256', objectPath: "file:hashes.'SHA-256'", value: 'ab' }],
    });
    const or = parseStixPattern(
      "[domain-name:value = 'a.example' OR ipv4-addr:value = '192.0.2.1'] OR ([url:value = 'http://x.example/it\\'s'])",
    );
    expect(or.ok && or.comparisons.map((c) => [c.type, c.value])).toEqual([
      ['domain', 'a.example'],
      ['ip', '192.0.2.1'],
      ['url', "http://x.example/it's"],
    ]);
  });

  it('accepts an AND that only pins a reference type (MISP converter output)', () => {
    const result = parseStixPattern(
      "[network-traffic:dst_ref.type = 'ipv4-addr' AND network-traffic:dst_ref.value = '212.192.246.164']",
    );
    expect(result.ok && result.comparisons).toEqual([
      { type: 'ip', objectPath: 'network-traffic:dst_ref.value', value: '212.192.246.164' },
    ]);
  });

  it.each([
    ["[x509-certificate:issuer = 'CN=A' AND x509-certificate:serial_number = '01']", 'x509-certificate'],
    ["[email-message:subject MATCHES '^x']", 'operator MATCHES'],
    ["[file:name MATCHES '^x']", 'MATCHES'],
    ["[file:name = 'a'] AND [file:name = 'b']", 'AND between observations'],
    ["[file:name = 'a'] FOLLOWEDBY [file:name = 'b']", 'FOLLOWEDBY'],
    ["[file:name = 'a'] WITHIN 5 SECONDS", 'WITHIN'],
    ["[file:name = 'a'", 'expected "]"'],
    ["[file:name = 'a]", 'unterminated'],
    ['', 'expected "["'],
  ])('refuses %s with a reason', (pattern, words) => {
    const result = parseStixPattern(pattern);
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.reason).toContain(words);
  });
});

describe('when STIX bundles are imported', () => {
  it('imports the OASIS C2 example: an IP and a SHA-256, with name and types', () => {
    const result = parseStixBundle(readIntelFixture('stix/indicators-for-C2-with-COA.json'), {
      source: 'oasis',
    });
    expect(result.rejected).toEqual([]);
    expect(result.indicators.map((i) => [i.type, i.value, i.description])).toEqual([
      ['ip', '10.0.0.0', 'IP Address for known C2 channel'],
      [
        'sha256',
        'ef537f25c895bfa782526529a9b63d97aa631564d5d789c2b765448c8635fb6c',
        'File hash for Poison Ivy variant',
      ],
    ]);
    expect(result.indicators[0]!.tags).toEqual(['malicious-activity']);
    expect(result.indicators[0]!.source.location).toBe(
      '$.objects[2] (indicator--53fe3b22-0201-47cf-85d0-97c02164528d)',
    );
  });

  it('splits long OR patterns and rejects the bad value in poisonivy.json without losing its neighbours', () => {
    const result = parseStixBundle(readIntelFixture('stix/poisonivy.json'), { source: 'poisonivy' });
    const domains = result.indicators.filter((i) => i.type === 'domain').map((i) => i.value);
    expect(domains).toContain('www.webserver.dynssl.com');
    expect(domains).not.toContain('domain autuo.xicp.net');
    expect(result.indicators.some((i) => i.type === 'ip' && i.value === '60.10.1.115')).toBe(true);
    expect(result.indicators.some((i) => i.type === 'filename' && i.value === 'cbricksdoc')).toBe(true);
    expect(result.rejected).toEqual([
      expect.objectContaining({ text: 'domain autuo.xicp.net', reason: 'not a valid domain' }),
    ]);
  });

  it('imports CIDR blocks and md5s from apt1.json and lists the x509 AND patterns as unsupported', () => {
    const result = parseStixBundle(readIntelFixture('stix/apt1.json'), { source: 'apt1' });
    expect(result.indicators.some((i) => i.value === '223.166.0.0/15')).toBe(true);
    expect(result.indicators.filter((i) => i.type === 'md5').length).toBeGreaterThan(0);
    expect(result.rejected.length).toBeGreaterThan(0);
    expect(result.rejected.every((r) => r.reason.includes('x509-certificate'))).toBe(true);
  });

  it('reads the STIX 2.0 vendor feed: url:value, file hashes and the network-traffic IP', () => {
    const result = parseStixBundle(
      readIntelFixture('stix/digitalside-00004634-5e05-4546-9b89-77e601b50b3a.json'),
      {
        source: 'digitalside',
      },
    );
    expect(result.rejected).toEqual([]);
    expect(result.indicators.map((i) => i.type).sort()).toEqual(['ip', 'md5', 'sha1', 'sha256', 'url']);
  });

  it('rejects the email patterns with MATCHES, and fails on something that is not a bundle', () => {
    const email = parseStixBundle(readIntelFixture('stix/malicious-email-indicator-with-attachment.json'), {
      source: 'e',
    });
    expect(email.indicators).toEqual([]);
    expect(email.rejected.length).toBeGreaterThan(0);
    expect(() =>
      parseStixBundle(readIntelFixture('stix/malformed-not-a-bundle.json'), { source: 'r.json' }),
    ).toThrow(
      expect.objectContaining({ code: 'E_INTEL_MALFORMED', message: expect.stringContaining('$.type') }),
    );
    expect(() => parseStixBundle('{"type": "bundle", "objects": [', { source: 'cut.json' })).toThrow(
      /not valid JSON/,
    );
  });

  it('honours valid_until, confidence and revoked', () => {
    const bundle = {
      type: 'bundle',
      objects: [
        {
          type: 'indicator',
          pattern: "[domain-name:value = 'a.example']",
          pattern_type: 'stix',
          confidence: 85,
          valid_until: '2030-01-01T00:00:00Z',
        },
        { type: 'indicator', pattern: "[domain-name:value = 'b.example']", revoked: true },
        { type: 'indicator', pattern: 'rule x { condition: true }', pattern_type: 'yara' },
      ],
    };
    const result = parseStixBundle(JSON.stringify(bundle), { source: 'b' });
    expect(result.indicators).toEqual([
      expect.objectContaining({ value: 'a.example', confidence: 85, expiresAt: '2030-01-01T00:00:00Z' }),
    ]);
    expect(result.rejected.map((r) => r.reason)).toEqual([
      'indicator is revoked',
      'pattern_type "yara" is not STIX patterning',
    ]);
  });
});
