import { describe, expect, it } from 'vitest';
import { compileIocIndex, matchIocs, type Observable } from './match.js';
import { parseIocText } from './parse-text.js';
import type { Indicator } from './types.js';

const LIST = `
# planted indicators
evil.example
198.51.100.0/24
2001:db8::/32
192.0.2.1
http://c2.other.example/gate.php
44d88612fea8a8f36de82e1278abb02f
`;
const base = parseIocText(LIST, { source: 'test' }).indicators;
const patterns = [
  ...parseIocText('\\\\3CXDesktopApp-18\\.12\\.407\\.msi;80\n\\\\Library\\\\Graphics\\\\Quartz$;75\n', {
    source: 'sb',
    type: 'path-pattern',
  }).indicators,
  ...parseIocText('://raw\\.githubusercontent\\.com/IconStorages/images/main/icon\\d+\\.ico$\n', {
    source: '3cx',
    type: 'url-pattern',
  }).indicators,
  ...parseIocText('FFmpeg.dll\n', { source: 'names', type: 'filename' }).indicators,
];
const index = compileIocIndex([...base, ...patterns]);

const hits = (observable: Observable) => index.match(observable).map((m) => [m.indicator.value, m.kind]);

describe('when observables are matched against indicators', () => {
  it('matches domains exactly and by subdomain, never by mere suffix text', () => {
    expect(hits({ type: 'domain', value: 'EVIL.example.' })).toEqual([['evil.example', 'exact']]);
    expect(hits({ type: 'domain', value: 'cdn.evil.example' })).toEqual([['evil.example', 'subdomain']]);
    expect(hits({ type: 'domain', value: 'notevil.example' })).toEqual([]);
  });

  it('matches IPs exactly and inside CIDR blocks, IPv4 and IPv6', () => {
    expect(hits({ type: 'ip', value: '192.0.2.1' })).toEqual([['192.0.2.1', 'exact']]);
    expect(hits({ type: 'ip', value: '198.51.100.77' })).toEqual([['198.51.100.0/24', 'cidr']]);
    expect(hits({ type: 'ip', value: '2001:DB8:0::42' })).toEqual([['2001:db8::/32', 'cidr']]);
    expect(hits({ type: 'ip', value: '198.51.101.1' })).toEqual([]);
  });

  it('matches URLs exactly, by host (domain or IP), and by URL pattern', () => {
    expect(hits({ type: 'url', value: 'HTTP://c2.other.example:80/gate.php#x' })).toEqual([
      ['http://c2.other.example/gate.php', 'exact'],
    ]);
    expect(hits({ type: 'url', value: 'https://a.evil.example/x' })).toEqual([['evil.example', 'url-host']]);
    expect(hits({ type: 'url', value: 'http://198.51.100.9/x' })).toEqual([['198.51.100.0/24', 'cidr']]);
    expect(
      hits({ type: 'url', value: 'https://raw.githubusercontent.com/IconStorages/images/main/icon12.ico' }),
    ).toEqual([['://raw\\.githubusercontent\\.com/IconStorages/images/main/icon\\d+\\.ico$', 'pattern']]);
    expect(
      hits({ type: 'url', value: 'https://raw.githubusercontent.com/IconStorages/images/main/icon.ico' }),
    ).toEqual([]);
  });

  it('matches hashes case-insensitively, only against the same algorithm', () => {
    expect(hits({ type: 'md5', value: '44D88612FEA8A8F36DE82E1278ABB02F' })).toHaveLength(1);
    expect(hits({ type: 'sha1', value: '44d88612fea8a8f36de82e1278abb02f' })).toEqual([]);
  });

  it('matches file names and path patterns on either separator style', () => {
    expect(hits({ type: 'path', value: 'app/resources/ffmpeg.DLL' })).toEqual([['ffmpeg.dll', 'filename']]);
    expect(hits({ type: 'path', value: 'C:\\Users\\a\\Downloads\\3CXDesktopApp-18.12.407.msi' })).toEqual([
      ['\\\\3CXDesktopApp-18\\.12\\.407\\.msi', 'pattern'],
    ]);
    expect(hits({ type: 'path', value: '/Users/a/Library/Graphics/Quartz' })).toEqual([
      ['\\\\Library\\\\Graphics\\\\Quartz$', 'pattern'],
    ]);
    expect(hits({ type: 'path', value: '/Users/a/Library/Graphics/Quartz.app' })).toEqual([]);
  });

  it('ignores observables that are not valid values of their type', () => {
    expect(hits({ type: 'domain', value: 'not a domain' })).toEqual([]);
    expect(hits({ type: 'url', value: '::' })).toEqual([]);
  });
});

describe('when indicators expire', () => {
  it('leaves expired ones out and counts them', () => {
    const [indicator] = parseIocText('expired.example\n', {
      source: 't',
      expiresAt: '2025-01-01T00:00:00Z',
    }).indicators;
    const live = { ...(indicator as Indicator), value: 'live.example', expiresAt: '2099-01-01T00:00:00Z' };
    const observables: Observable[] = [
      { type: 'domain', value: 'expired.example', ref: 'log:1' },
      { type: 'domain', value: 'live.example', ref: 'log:2' },
    ];
    const matches = matchIocs([indicator!, live], observables, { at: new Date('2026-01-01T00:00:00Z') });
    expect(matches.map((m) => [m.indicator.value, m.observable.ref])).toEqual([['live.example', 'log:2']]);
    expect(compileIocIndex([indicator!, live], { at: new Date('2026-01-01T00:00:00Z') }).expired).toBe(1);
  });
});

describe('when an indicator built by hand holds a pattern we cannot run', () => {
  it('fails the index build with E_INTEL_MALFORMED instead of a bare Error', () => {
    const bad: Indicator = {
      type: 'path-pattern',
      value: '(a)\\1',
      original: '(a)\\1',
      source: { name: 'hand' },
      tags: [],
    };
    expect(() => compileIocIndex([bad])).toThrow(expect.objectContaining({ code: 'E_INTEL_MALFORMED' }));
  });
});
