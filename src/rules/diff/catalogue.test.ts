import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { defaultAnalyzers } from '../../analyzers/index.js';
import { withNpmAnalyzers } from '../../analyzers/npm/index.js';
import type { ScanResult } from '../../core/scan-result.js';
import { alignTrees } from '../../diff/align.js';
import type { TreeDiff } from '../../diff/tree-diff.js';
import { parsePackument } from '../../formats/npm/packument.js';
import { scan } from '../../pipeline/scan.js';
import { diffRules } from './catalogue.js';
import { evaluateDiffRules } from './evaluate.js';

const pairDir = (name: string, side: 'baseline' | 'candidate') =>
  fileURLToPath(new URL(`../../../test/fixtures/vet/data/pairs/${name}/${side}`, import.meta.url));

/**
 * Every diff rule with the release pairs (test/fixtures/vet, one change each) that must trigger it
 * and the near-misses that must not. A rule missing from this table fails the catalogue test.
 */
const SAMPLES: Record<string, { positive: string[]; negative: string[] }> = {
  'pe.capability.added': {
    positive: ['pe-capability-added', 'stock-rebuilt'],
    negative: ['pe-relinked', 'stock-version-bump', 'pe-signer-lost'],
  },
  'pe.signer.changed-or-lost': {
    positive: ['pe-signer-lost', 'pe-signer-changed'],
    negative: ['pe-resigned-timestamped', 'pe-signature-padded'],
  },
  'pe.authenticode.anomaly.added': {
    positive: ['pe-signature-padded', 'pe-table-padded-4k'],
    negative: ['pe-padding-kept', 'pe-resigned-timestamped', 'pe-signer-changed'],
  },
  'pe.certificate-table.grew': {
    positive: ['pe-table-padded-4k'],
    negative: ['pe-resigned-timestamped', 'pe-signer-changed', 'pe-signature-padded'],
  },
  'pe.overlay.grew': { positive: ['pe-overlay-appended'], negative: ['pe-relinked', 'pe-table-padded-4k'] },
  'component.stock-changed': {
    positive: ['stock-rebuilt'],
    negative: ['stock-version-bump', 'pe-relinked', 'pe-resigned-timestamped'],
  },
  'binary.native.added': {
    positive: ['npm-native-added', 'pe-unsigned-added'],
    negative: ['npm-version-bump', 'pe-capability-added'],
  },
  'pe.section.entropy-jump': {
    positive: ['pe-section-randomised'],
    negative: ['pe-relinked', 'stock-rebuilt', 'pe-capability-added', 'pe-table-padded-4k'],
  },
  'pe.unsigned.added': {
    positive: ['pe-unsigned-added'],
    negative: ['npm-native-added', 'pe-signer-lost', 'pe-resigned-timestamped'],
  },
  'npm.install-script.added': {
    positive: ['npm-install-script-added'],
    negative: [
      'npm-install-script-kept',
      'npm-version-bump',
      'npm-install-script-tool-switched',
      'npm-prepare-changed',
    ],
  },
  'js.capability.added': {
    positive: ['npm-capability-added'],
    negative: ['npm-version-bump', 'npm-obfuscated-added', 'npm-install-script-added'],
  },
  'file.obfuscated.added': {
    positive: ['npm-obfuscated-added'],
    negative: ['npm-version-bump', 'npm-capability-added'],
  },
  'npm.dependency.added': {
    positive: ['npm-dependency-added-unused', 'npm-dependency-added-used'],
    negative: ['npm-version-bump', 'npm-bin-added', 'npm-install-script-added'],
  },
  'npm.dependency.added-unused': {
    positive: ['npm-dependency-added-unused'],
    negative: ['npm-dependency-added-used', 'npm-version-bump'],
  },
  'npm.bin.added': {
    positive: ['npm-bin-added'],
    negative: ['npm-version-bump', 'npm-dependency-added-used', 'npm-bin-retargeted'],
  },
  'npm.native-binary.added': {
    positive: ['npm-native-added'],
    negative: ['npm-prebuild-platform-added', 'npm-version-bump', 'pe-unsigned-added'],
  },
  'npm.provenance.lost': {
    positive: ['npm-provenance-lost'],
    negative: ['npm-registry-bump', 'npm-publisher-takeover', 'npm-version-bump'],
  },
  'npm.publisher.changed': {
    positive: ['npm-publisher-takeover'],
    negative: ['npm-publisher-co-maintainer', 'npm-registry-bump'],
  },
  'npm.maintainers.changed': {
    positive: ['npm-publisher-takeover'],
    negative: ['npm-publisher-co-maintainer', 'npm-registry-bump', 'npm-provenance-lost'],
  },
  'npm.version.out-of-order': {
    positive: ['npm-version-backport'],
    negative: ['npm-registry-bump', 'npm-publisher-takeover'],
  },
};

/** Releases with no relevant change: a version bump, a rebuild, a re-signature. Every rule stays quiet. */
const QUIET = [
  'npm-version-bump',
  'npm-install-script-kept',
  'pe-relinked',
  'pe-resigned-timestamped',
  'pe-padding-kept',
  'stock-version-bump',
  'npm-registry-bump',
  'npm-publisher-co-maintainer',
  'npm-readme-changed',
];

const scans = new Map<string, Promise<ScanResult>>();
function scanned(path: string): Promise<ScanResult> {
  let result = scans.get(path);
  if (!result) {
    // An npm pair with registry metadata keeps its packument beside baseline/ and candidate/.
    const packumentFile = fileURLToPath(new URL('packument.json', `file://${path}/../`));
    const packuments = existsSync(packumentFile) ? [parsePackument(readFileSync(packumentFile, 'utf8'))] : [];
    result = scan([path], {
      digests: ['sha256'],
      analyzers: withNpmAnalyzers(defaultAnalyzers(), { packuments }),
    });
    scans.set(path, result);
  }
  return result;
}
async function diffOf(name: string): Promise<TreeDiff> {
  return alignTrees(await scanned(pairDir(name, 'baseline')), await scanned(pairDir(name, 'candidate')));
}
async function findingsOf(name: string) {
  const { findings, failures } = evaluateDiffRules(diffRules(), await diffOf(name));
  expect(failures).toEqual([]);
  return findings;
}

describe('the diff rule catalogue', () => {
  it('has positive and negative samples for every diff rule, and unique ids', () => {
    const ids = diffRules().map((rule) => rule.id);
    expect(new Set(ids).size).toBe(ids.length);
    for (const rule of diffRules()) {
      expect(rule.scope).toBe('diff');
      expect(SAMPLES[rule.id]?.positive.length ?? 0, `positive samples for ${rule.id}`).toBeGreaterThan(0);
      expect(SAMPLES[rule.id]?.negative.length ?? 0, `negative samples for ${rule.id}`).toBeGreaterThan(0);
    }
    expect(Object.keys(SAMPLES).sort()).toEqual([...ids].sort());
  });

  for (const [ruleId, samples] of Object.entries(SAMPLES)) {
    describe(`when ${ruleId} meets its samples`, () => {
      it.each(samples.positive)('fires on %s, on the candidate node, with evidence', async (name) => {
        const diff = await diffOf(name);
        const { findings } = evaluateDiffRules(diffRules(), diff);
        const hits = findings.filter((finding) => finding.ruleId === ruleId);
        expect(hits.length).toBeGreaterThan(0);
        for (const hit of hits) {
          expect(diff.pairs.some((pair) => pair.candidate?.path === hit.path)).toBe(true);
          expect(hit.evidence.some((item) => item.role === 'primary' && item.node === hit.path)).toBe(true);
          expect(hit.message.length).toBeGreaterThan(10);
          expect(hit.fingerprint).toMatch(/^[0-9a-f]{32}$/);
        }
      });
      it.each(samples.negative)('stays quiet on %s', async (name) => {
        const findings = await findingsOf(name);
        expect(findings.filter((finding) => finding.ruleId === ruleId)).toEqual([]);
      });
    });
  }

  it.each(QUIET)('says nothing about %s, a release with no relevant change', async (name) => {
    expect((await findingsOf(name)).map((finding) => finding.ruleId)).toEqual([]);
  });

  it('gives the same fingerprints on a second evaluation', async () => {
    const first = await findingsOf('stock-rebuilt');
    scans.clear();
    const second = await findingsOf('stock-rebuilt');
    expect(second.map((finding) => finding.fingerprint)).toEqual(first.map((finding) => finding.fingerprint));
  });
});
