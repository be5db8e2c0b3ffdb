import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { scan } from '../pipeline/scan.js';
import { scanRules } from './catalogue.js';

/** A name alone is in the archive fixtures; `folder/name` is under test/fixtures. */
const fixture = (name: string) =>
  fileURLToPath(
    new URL(`../../test/fixtures/${name.includes('/') ? name : `archives/data/${name}`}`, import.meta.url),
  );

/**
 * Every scan rule with the artifacts that must trigger it and the near-misses that must not.
 * A rule missing from this table fails the catalogue test.
 */
const SAMPLES: Record<string, { positive: string[]; negative: string[] }> = {
  'archive.entry.path-traversal': {
    positive: ['slip.zip', 'traversal.tar'],
    negative: ['basic.zip', 'basic.tar'],
  },
  'archive.entry.duplicate-name': { positive: ['duplicates.zip'], negative: ['basic.zip', 'slip.zip'] },
  // basic.tar holds a symlink to ../index.js that stays inside the archive: a near-miss.
  'archive.link.points-outside': { positive: ['traversal.tar'], negative: ['basic.tar', 'basic.zip'] },
  // near-miss.zip: machine code under its own names (.node, .exe, none), a real PNG, and a script
  // holding the word `ustar` where a tar header has its magic but no checksum that adds up.
  'file.masquerade.executable': {
    positive: ['masquerade/data/masquerade.zip'],
    negative: ['masquerade/data/near-miss.zip', 'basic.zip'],
  },
  'file.masquerade.script-archive': {
    positive: ['masquerade/data/masquerade.zip'],
    negative: ['masquerade/data/near-miss.zip', 'basic.tar'],
  },
};

/** Rule families whose positive and negative samples are proven by their own catalogue test. */
const FAMILY_CATALOGUES: Record<string, string> = {
  'pe.authenticode.': 'src/rules/authenticode.test.ts',
  'msi.authenticode.': 'src/rules/msi-authenticode.test.ts',
  'js.': 'src/rules/js/catalogue.test.ts',
  'npm.': 'src/rules/npm/catalogue.test.ts',
};

describe('the rule catalogue', () => {
  it('has positive and negative samples for every rule', () => {
    for (const rule of scanRules()) {
      const family = Object.keys(FAMILY_CATALOGUES).find((prefix) => rule.id.startsWith(prefix));
      if (family) {
        expect(existsSync(new URL(`../../${FAMILY_CATALOGUES[family]}`, import.meta.url)), rule.id).toBe(
          true,
        );
        continue;
      }
      const samples = SAMPLES[rule.id];
      expect(samples, `samples for ${rule.id}`).toBeDefined();
      expect(samples!.positive.length, `positive samples for ${rule.id}`).toBeGreaterThan(0);
      expect(samples!.negative.length, `negative samples for ${rule.id}`).toBeGreaterThan(0);
    }
  });

  for (const [ruleId, samples] of Object.entries(SAMPLES)) {
    describe(`when ${ruleId} meets its samples`, () => {
      it.each(samples.positive)('fires on %s', async (name) => {
        const result = await scan([fixture(name)]);
        const hits = result.findings.filter((finding) => finding.ruleId === ruleId);
        expect(hits.length).toBeGreaterThan(0);
        for (const hit of hits) {
          expect(hit.evidence.length).toBeGreaterThan(0);
          expect(result.nodes.some((node) => node.path === hit.path)).toBe(true);
          expect(hit.fingerprint).toMatch(/^[0-9a-f]{32}$/);
        }
      });
      it.each(samples.negative)('stays quiet on %s', async (name) => {
        const result = await scan([fixture(name)]);
        expect(result.findings.filter((finding) => finding.ruleId === ruleId)).toEqual([]);
      });
    });
  }

  it('has unique rule ids', () => {
    const ids = scanRules().map((rule) => rule.id);
    expect(new Set(ids).size).toBe(ids.length);
  });

  it('gives the same fingerprints on a second run', async () => {
    const first = await scan([fixture('slip.zip')]);
    const second = await scan([fixture('slip.zip')]);
    expect(second.findings.map((finding) => finding.fingerprint)).toEqual(
      first.findings.map((finding) => finding.fingerprint),
    );
  });
});
