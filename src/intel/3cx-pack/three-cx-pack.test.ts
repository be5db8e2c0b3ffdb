import { existsSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { compileIocIndex, type Observable } from '../ioc/match.js';
import { buildThreeCxPack } from './build.js';
import { loadThreeCxPack } from './three-cx-pack.js';
import { readThreeCxSources } from './write-pack-data.js';

const pack = loadThreeCxPack();

describe('when the shipped 3CX pack is loaded', () => {
  it('equals a fresh build from the committed signature-base extracts (regenerate with write-pack-data.ts)', () => {
    expect(pack).toEqual(buildThreeCxPack(readThreeCxSources()));
  });

  it('lists the affected DesktopApp versions per platform', () => {
    const byPlatform = (platform: string) =>
      pack.affectedReleases.filter((r) => r.platform === platform).map((r) => r.version);
    expect(byPlatform('windows')).toEqual(['18.12.407', '18.12.416']);
    expect(byPlatform('macos')).toEqual(['18.11.1213', '18.12.402', '18.12.407', '18.12.416']);
  });

  it('holds every indicator line of the extracts, each with its upstream line and a report reference', () => {
    const sources = readThreeCxSources();
    const countLines = (text: string) =>
      text.split('\n').filter((l) => l.trim() !== '' && !l.startsWith('#')).length;
    const lines =
      countLines(sources.hashIocs) + countLines(sources.c2Iocs) + countLines(sources.filenameIocs);
    expect(pack.indicators).toHaveLength(lines + 1); // + the icon URL pattern from the YARA rule
    for (const indicator of pack.indicators) {
      expect(indicator.source.location).toMatch(/^Neo23x0\/signature-base@8a89b3bf \S+ (line \d+|rule \S+)/);
      expect(indicator.source.reference).toMatch(/^https:\/\//);
    }
    const types = new Set(pack.indicators.map((i) => i.type));
    expect([...types].sort()).toEqual(['domain', 'md5', 'path-pattern', 'sha1', 'sha256', 'url-pattern']);
  });

  it('carries the licence file and the attribution the Detection Rule License asks for', () => {
    expect(existsSync(new URL(`./${pack.license.file}`, import.meta.url))).toBe(true);
    expect(pack.license.attribution).toContain('Florian Roth');
    expect(pack.license.attribution).toContain('Detection Rule License 1.1');
  });
});

describe('when observables from a 3CX-compromised host are matched against the pack', () => {
  const index = compileIocIndex(pack.indicators);
  const observables: Observable[] = [
    {
      type: 'sha256',
      value: '59E1EDF4D82FAE4978E97512B0331B7EB21DD4B838B850BA46794D9C7A2C0983',
      ref: 'installer',
    },
    {
      type: 'sha256',
      value: 'c485674ee63ec8d4e8fde9800788175a8b02d3f9416d0e763360fff7f8eb4e02',
      ref: 'ffmpeg.dll',
    },
    { type: 'domain', value: 'www.msstorageboxes.com', ref: 'dns' },
    {
      type: 'url',
      value: 'https://raw.githubusercontent.com/IconStorages/images/main/icon15.ico',
      ref: 'proxy',
    },
    { type: 'path', value: 'C:\\ProgramData\\TPM\\winscard.dll', ref: 'disk' },
    { type: 'path', value: '/Users/x/Downloads/3CXDesktopApp-18.12.416.dmg', ref: 'disk' },
    { type: 'md5', value: '9f85a07d4b4abff82ca18d990f062a84', ref: 'gopuram' },
  ];
  const clean: Observable[] = [
    { type: 'domain', value: 'www.3cx.com' },
    { type: 'url', value: 'https://raw.githubusercontent.com/example/images/main/icon1.ico' },
    { type: 'path', value: 'C:\\Program Files\\3CXDesktopApp\\app\\ffmpeg.dll' },
    { type: 'path', value: '/Users/x/Downloads/3CXDesktopApp-18.12.425.dmg' },
  ];

  it('finds every planted one, with its source', () => {
    for (const observable of observables) {
      const matches = index.match(observable);
      expect(matches.length, observable.ref).toBeGreaterThan(0);
      expect(matches[0]!.indicator.source.location).toContain('signature-base');
    }
  });

  it('reports nothing for the clean ones', () => {
    expect(clean.flatMap((o) => index.match(o))).toEqual([]);
  });
});
