import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import type { ScanResult } from '../../core/scan-result.js';
import { scan } from '../../pipeline/scan.js';
import { intelAnalyzers } from '../scan-needs.js';
import { buildOsvIndex } from './match.js';
import { parseOsvJson } from './parse-record.js';
import { isNpmTarballHead, npmTarballAnalyzer } from './tarball-analyzer.js';

const dir = fileURLToPath(new URL('../../../test/fixtures/intel/npm-tarball/', import.meta.url));
const record = parseOsvJson(readFileSync(`${dir}MAL-2099-0001.json`, 'utf8'), 'MAL-2099-0001.json');
const osv = buildOsvIndex([record], { at: new Date('2100-01-01T00:00:00Z') });
const intel = { sources: [], osv, affectedReleases: [] };

async function scanWithIntel(file: string): Promise<ScanResult> {
  const { defaultAnalyzers } = await import('../../analyzers/index.js');
  return scan([`${dir}${file}`], { intel, analyzers: [...defaultAnalyzers(), ...intelAnalyzers(intel)] });
}

describe('when a gzip is tested for being an npm tarball', () => {
  it('accepts a tar under package/ (npm pack) and refuses a tar.gz of other files', () => {
    const head = (file: string) => readFileSync(`${dir}${file}`).subarray(0, 64 * 1024);
    expect(isNpmTarballHead(head('renamed-2.0.0.tgz'), 'renamed-2.0.0.tgz')).toBe(true);
    expect(isNpmTarballHead(head('not-npm.tar.gz'), 'not-npm.tar.gz')).toBe(false);
    expect(isNpmTarballHead(Buffer.from('not gzip at all'), 'x.tgz')).toBe(false);
  });

  it('is only added when a record or an IOC list names tarballs by digest', () => {
    expect(intelAnalyzers(intel)).toEqual([npmTarballAnalyzer]);
    expect(intelAnalyzers({ osv: buildOsvIndex([]) })).toEqual([]);
    expect(osv.digestAlgorithms).toEqual(new Set(['sha1', 'sha512']));
  });
});

describe('when an OSV record names a tarball by its digest', () => {
  it('blocks the tarball whatever name and version its manifest claims, with the digest as evidence', async () => {
    const result = await scanWithIntel('renamed-2.0.0.tgz');
    const tarball = result.nodes[0]!;
    const fact = tarball.facts.find((f) => f.kind === 'npm.tarball');
    expect(fact?.kind === 'npm.tarball' && fact.digests.map((d) => d.algorithm)).toEqual([
      'sha1',
      'sha256',
      'sha512',
    ]);
    const findings = result.findings.filter((f) => f.ruleId === 'intel.malicious-package');
    expect(findings).toHaveLength(1);
    expect(findings[0]!.path).toBe('renamed-2.0.0.tgz!/package/package.json');
    expect(findings[0]!.message).toContain('innocent-looking@2.0.0 is named by MAL-2099-0001');
    expect(findings[0]!.message).toContain('tarball sha1 digest and tarball sha512 digest');
    expect(findings[0]!.evidence.map((e) => e.node)).toContain('renamed-2.0.0.tgz');
    expect(findings[0]!.evidence.some((e) => e.snippet?.startsWith('sha512 '))).toBe(true);
  });

  it('stays quiet on the same files packed into other bytes', async () => {
    const result = await scanWithIntel('renamed-2.0.0-rebuilt.tgz');
    expect(result.nodes[0]!.facts.some((f) => f.kind === 'npm.tarball')).toBe(true);
    expect(result.findings.filter((f) => f.ruleId.startsWith('intel.'))).toEqual([]);
  });

  it('leaves a tar.gz that is no npm package unhashed', async () => {
    const result = await scanWithIntel('not-npm.tar.gz');
    expect(result.nodes.some((node) => node.facts.some((f) => f.kind === 'npm.tarball'))).toBe(false);
  });

  it('never treats the origins sha256 of ossf/malicious-packages (a hash of the source report) as a tarball', () => {
    const tinycolor = parseOsvJson(
      readFileSync(
        fileURLToPath(
          new URL('../../../test/fixtures/intel/osv/records/MAL-2025-47141.json', import.meta.url),
        ),
        'utf8',
      ),
      'MAL-2025-47141.json',
    );
    expect(tinycolor.affected.flatMap((a) => a.digests)).toEqual([]);
  });
});
