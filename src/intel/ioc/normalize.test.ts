import { describe, expect, it } from 'vitest';
import { inferIndicator, normaliseIndicator } from './normalize.js';
import { refang } from './refang.js';

describe('when indicators are defanged', () => {
  it.each([
    ['hxxp://evil[.]example/a', 'http://evil.example/a'],
    ['hXXps[:]//evil(.)example/a', 'https://evil.example/a'],
    ['hxxps[://]evil{.}example', 'https://evil.example'],
    ['evil[dot]example', 'evil.example'],
    ['192.0.2[.]1', '192.0.2.1'],
    ['user[@]evil.example', 'user@evil.example'],
    ['fxp://files[.]evil.example', 'ftp://files.evil.example'],
  ])('refangs %s to %s', (defanged, plain) => {
    expect(refang(defanged)).toBe(plain);
  });

  it('leaves ordinary values alone', () => {
    expect(refang('  https://example.com/x[1]  ')).toBe('https://example.com/x[1]');
  });
});

describe('when values are normalised', () => {
  it('lowercases hosts and hashes, punycodes IDNs, drops fragments and trailing dots', () => {
    expect(normaliseIndicator('url', 'HXXP://Evil[.]Example:80/Path?Q=1#frag')).toEqual({
      ok: true,
      type: 'url',
      value: 'http://evil.example/Path?Q=1',
    });
    expect(normaliseIndicator('domain', 'BÜCHER.example.')).toEqual({
      ok: true,
      type: 'domain',
      value: 'xn--bcher-kva.example',
    });
    expect(normaliseIndicator('domain', '*.evil.example')).toMatchObject({ value: 'evil.example' });
    expect(normaliseIndicator('sha1', 'DA39A3EE5E6B4B0D3255BFEF95601890AFD80709')).toMatchObject({
      value: 'da39a3ee5e6b4b0d3255bfef95601890afd80709',
    });
    expect(normaliseIndicator('ip', '2001:DB8:0:0::1')).toMatchObject({ value: '2001:db8::1' });
    expect(normaliseIndicator('ip', '223.166.0.0/15')).toMatchObject({ value: '223.166.0.0/15' });
    expect(normaliseIndicator('filename', 'C:\\Program Files\\3CX\\FFmpeg.DLL')).toMatchObject({
      value: 'ffmpeg.dll',
    });
  });

  it('refuses values that are not what they claim, with a reason', () => {
    for (const [type, value] of [
      ['md5', 'abc'],
      ['sha256', 'z'.repeat(64)],
      ['domain', 'localhost'],
      ['domain', 'has space.example'],
      ['domain', '1.2.3.4'],
      ['ip', '010.0.0.1'],
      ['ip', '10.0.0.0/33'],
      ['url', 'not a url'],
      ['path-pattern', '(?=look)ahead'],
    ] as const) {
      const result = normaliseIndicator(type, value);
      expect(result.ok, `${type} ${value}`).toBe(false);
      if (!result.ok) expect(result.reason.length).toBeGreaterThan(5);
    }
  });

  it('infers the type of bare values from a list', () => {
    expect(inferIndicator('d41d8cd98f00b204e9800998ecf8427e')).toMatchObject({ type: 'md5' });
    expect(inferIndicator('1.70.135.194:2536')).toMatchObject({ type: 'ip', value: '1.70.135.194' });
    expect(inferIndicator('evil[.]example')).toMatchObject({ type: 'domain', value: 'evil.example' });
    expect(inferIndicator('hxxp://evil[.]example')).toMatchObject({ type: 'url' });
    expect(inferIndicator('ffmpeg.dll')).toMatchObject({
      ok: false,
      reason: expect.stringContaining('filename'),
    });
    expect(inferIndicator('deadbeef')).toMatchObject({
      ok: false,
      reason: expect.stringContaining('length 8'),
    });
  });
});

describe('when an IPv6 address carries a zone index', () => {
  it('is refused, not thrown on (found by the robustness property: "::%0")', () => {
    expect(() => inferIndicator('::%0')).not.toThrow();
    expect(inferIndicator('::%0')).toMatchObject({ ok: false });
    expect(normaliseIndicator('ip', 'fe80::1%eth0')).toMatchObject({ ok: false });
    expect(normaliseIndicator('ip', 'FE80::0001')).toMatchObject({ ok: true, value: 'fe80::1' });
  });
});
