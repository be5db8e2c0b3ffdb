import { describe, expect, it } from 'vitest';
import type { Fact } from '../../core/facts.js';
import type { NodePath } from '../../core/node-path.js';
import type { ScanNode, ScanResult } from '../../core/scan-result.js';
import { compileIocIndex } from '../../intel/ioc/match.js';
import { parseIocText } from '../../intel/ioc/parse-text.js';
import { buildOsvIndex } from '../../intel/osv/match.js';
import { parseOsvRecord } from '../../intel/osv/parse-record.js';
import { type IntelIndexes, type MatchIntelOptions, matchIntel } from '../../pipeline/match-intel.js';
import { INTEL_RULES } from './rules.js';

const BAD_SHA256 = 'a'.repeat(64);
const BAD_TARBALL_SHA1 = 'c'.repeat(40);
const iocs = compileIocIndex([
  ...parseIocText(`${BAD_SHA256}\nhxxps://cdn.bad[.]invalid/payload.bin\nevil.invalid\n`, {
    source: 'test-list',
  }).indicators,
  ...parseIocText('winscard.dll\n', { source: 'test-names', type: 'filename' }).indicators,
]);
const osv = buildOsvIndex([
  parseOsvRecord(
    {
      id: 'MAL-2099-1',
      modified: '2099-01-01T00:00:00Z',
      summary: 'Malicious code in evil-pkg (npm)',
      affected: [{ package: { ecosystem: 'npm', name: 'evil-pkg' }, versions: ['1.0.0'] }],
    },
    'inline',
  ),
  parseOsvRecord(
    {
      id: 'GHSA-test-0001',
      modified: '2099-01-01T00:00:00Z',
      affected: [
        {
          package: { ecosystem: 'npm', name: 'lib' },
          ranges: [{ type: 'SEMVER', events: [{ introduced: '0' }, { fixed: '2.0.0' }] }],
        },
      ],
    },
    'inline',
  ),
  parseOsvRecord(
    {
      id: 'MAL-2099-2',
      modified: '2099-01-01T00:00:00Z',
      summary: 'Malicious code in other-name (npm)',
      affected: [
        {
          package: { ecosystem: 'npm', name: 'other-name' },
          versions: ['1.0.0'],
          database_specific: {
            indicators: {
              package_integrity: [{ filename: 'other-name-1.0.0.tgz', hashes: { sha1: BAD_TARBALL_SHA1 } }],
            },
          },
        },
      ],
    },
    'inline',
  ),
]);
const intel: IntelIndexes = { iocs, osv };

function node(name: string, facts: Fact[] = [], sha256 = 'b'.repeat(64)): ScanNode {
  return {
    path: `dir/${name}` as NodePath,
    depth: 0,
    name,
    entryKind: 'file',
    size: 10,
    digests: { sha256 },
    type: 'binary' as ScanNode['type'],
    flags: [],
    facts,
  };
}
const manifest = (name: string, version: string): Fact => ({
  kind: 'npm.manifest',
  name,
  version,
  lifecycleScripts: {},
});
/** An npm tarball's digests (analyzer/npm-tarball), without the manifest node under it. */
const tarball = (sha1: string): Fact => ({
  kind: 'npm.tarball',
  digests: [
    { algorithm: 'sha1', hex: sha1 },
    { algorithm: 'sha512', hex: 'd'.repeat(128) },
  ],
});
const peUrl = (value: string): Fact => ({
  kind: 'pe.strings',
  stringCount: 1,
  truncated: false,
  indicators: [{ kind: 'url', value, offset: 100, encoding: 'ascii' }],
});
const jsFetch = (url: string): Fact =>
  ({
    kind: 'js.capability',
    capability: 'network.outbound',
    line: 3,
    column: 1,
    offset: 20,
    length: 30,
    snippet: `fetch("${url}")`,
    detail: 'fetch',
    scope: 0,
  }) as Fact;
const yaraFact: Fact = {
  kind: 'yara.match',
  rule: 'TEST_Rule',
  namespace: 'default',
  tags: [],
  meta: { author: 'test' },
  strings: [{ identifier: '$a', offset: 4, length: 3, hex: '414243' }],
  truncated: false,
};

/** Each intel rule with nodes that must trigger it and near-misses that must not. */
const SAMPLES: Record<string, { positive: ScanNode[]; negative: ScanNode[]; options?: MatchIntelOptions }> = {
  'intel.malicious-package': {
    positive: [
      node('package.json', [manifest('evil-pkg', '1.0.0')]),
      node('renamed-9.9.9.tgz', [tarball(BAD_TARBALL_SHA1)]),
    ],
    negative: [
      node('package.json', [manifest('evil-pkg', '1.0.1')]),
      node('package.json', [manifest('lib', '1.0.0')]),
      node('renamed-9.9.9.tgz', [tarball('e'.repeat(40))]),
    ],
  },
  'intel.vulnerability': {
    positive: [node('package.json', [manifest('lib', '1.5.0')])],
    negative: [
      node('package.json', [manifest('lib', '2.0.0')]),
      node('package.json', [manifest('evil-pkg', '1.0.0')]),
    ],
  },
  'intel.ioc.hash': { positive: [node('x.bin', [], BAD_SHA256)], negative: [node('x.bin')] },
  'intel.ioc.url': {
    positive: [node('a.dll', [peUrl('https://cdn.bad.invalid/payload.bin')])],
    negative: [node('a.dll', [peUrl('https://cdn.bad.invalid/other.bin')])],
  },
  'intel.ioc.domain': {
    positive: [
      node('a.js', [jsFetch('https://c2.evil.invalid/x')]),
      node('a.dll', [peUrl('http://evil.invalid/')]),
    ],
    negative: [node('a.js', [jsFetch('https://notevil.invalid/x')])],
  },
  'intel.ioc.filename': {
    positive: [node('winscard.dll')],
    negative: [node('winscard.dll.txt'), node('mywinscard.dll')],
    options: { paths: true },
  },
  'intel.yara': { positive: [node('x.bin', [yaraFact])], negative: [node('x.bin')] },
};

const resultOf = (nodes: ScanNode[]) => ({ nodes }) as unknown as ScanResult;

describe('the intel rule catalogue', () => {
  it('has positive and negative samples for every rule, and unique ids', () => {
    const ids = INTEL_RULES.map((rule) => rule.id);
    expect(new Set(ids).size).toBe(ids.length);
    expect(Object.keys(SAMPLES).sort()).toEqual([...ids].sort());
  });

  it('marks a malicious package as critical and a vulnerability below it', () => {
    const severity = Object.fromEntries(INTEL_RULES.map((rule) => [rule.id, rule.severity]));
    expect(severity['intel.malicious-package']).toBe('critical');
    expect(severity['intel.vulnerability']).not.toBe('critical');
  });

  for (const [ruleId, samples] of Object.entries(SAMPLES)) {
    describe(`when ${ruleId} meets its samples`, () => {
      it.each(samples.positive.map((sample) => [sample.name, sample] as const))(
        'fires on %s',
        (_name, sample) => {
          const findings = matchIntel(resultOf([sample]), intel, samples.options).filter(
            (f) => f.ruleId === ruleId,
          );
          expect(findings).toHaveLength(1);
          expect(findings[0]?.path).toBe(sample.path);
          expect(findings[0]?.evidence.length).toBeGreaterThan(0);
          expect(findings[0]?.fingerprint).toMatch(/^[0-9a-f]{32}$/);
        },
      );
      it.each(samples.negative.map((sample) => [sample.name, sample] as const))(
        'stays quiet on %s',
        (_name, sample) => {
          const findings = matchIntel(resultOf([sample]), intel, samples.options);
          expect(findings.filter((f) => f.ruleId === ruleId)).toEqual([]);
        },
      );
    });
  }

  it('names the indicator and its source in the message, and the offset in the evidence', () => {
    const [finding] = matchIntel(
      resultOf([node('a.dll', [peUrl('https://cdn.bad.invalid/payload.bin')])]),
      intel,
    ).filter((f) => f.ruleId === 'intel.ioc.url');
    expect(finding?.message).toContain('hxxps://cdn.bad[.]invalid/payload.bin');
    expect(finding?.message).toContain('test-list');
    expect(finding?.evidence[0]?.range).toEqual({ offset: 100, length: 35 });
  });

  it('does not match file names during a scan unless asked', () => {
    expect(matchIntel(resultOf([node('winscard.dll')]), intel)).toEqual([]);
  });
});

describe('when a PE carries the 3CX payload URL template', () => {
  it('matches the bundled pack URL pattern through the filled-in template', async () => {
    const { loadThreeCxPack } = await import('../../intel/3cx-pack/three-cx-pack.js');
    const pack = compileIocIndex(loadThreeCxPack().indicators);
    const template: Fact = {
      kind: 'pe.strings',
      stringCount: 1,
      truncated: false,
      indicators: [
        {
          kind: 'format-url',
          value: 'https://raw.githubusercontent.com/IconStorages/images/main/icon%d.ico',
          offset: 4096,
          encoding: 'utf16le',
        },
      ],
    };
    const findings = matchIntel(resultOf([node('ffmpeg.dll', [template])]), { iocs: pack });
    expect(findings.map((finding) => finding.ruleId)).toContain('intel.ioc.url');
    expect(findings.find((f) => f.ruleId === 'intel.ioc.url')?.evidence[0]?.range?.offset).toBe(4096);
  });
});
