import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { defaultAnalyzers } from '../../analyzers/index.js';
import { withNpmAnalyzers } from '../../analyzers/npm/index.js';
import { type VetResult, vet } from '../../pipeline/vet.js';

const pairs = fileURLToPath(new URL('../../../test/fixtures/vet/data/pairs', import.meta.url));

/** A release as the tarball in one side's folder (baseline: the real one as fetched from npm). */
function tarballOf(name: string, side: 'baseline' | 'candidate'): string {
  const folder = join(pairs, name, side);
  const [file] = readdirSync(folder).filter((entry) => entry.endsWith('.tgz'));
  return join(folder, file!);
}

async function vetted(name: string): Promise<VetResult> {
  return vet([tarballOf(name, 'candidate')], [tarballOf(name, 'baseline')], {
    digests: ['sha256'],
    analyzers: withNpmAnalyzers(defaultAnalyzers()),
  });
}

/**
 * Inert re-creations of historical npm incidents, each applied to a real predecessor tarball
 * (test/fixtures/vet/npm-real, built by make-pairs.mjs): the verdict and the rules that must name it.
 */
const INCIDENTS: ReadonlyArray<{ name: string; decision: 'review' | 'block'; rules: string[] }> = [
  {
    name: 'npm-incident-ua-parser-js',
    decision: 'block',
    rules: ['npm.install-script.added', 'npm.install-script.risky-code'],
  },
  {
    name: 'npm-incident-coa',
    decision: 'block',
    rules: ['npm.install-script.added', 'npm.install-script.risky-code'],
  },
  {
    name: 'npm-incident-rc',
    decision: 'block',
    rules: ['npm.install-script.added', 'npm.install-script.risky-code'],
  },
  { name: 'npm-incident-debug', decision: 'block', rules: ['js.capability.added', 'file.obfuscated.added'] },
  { name: 'npm-incident-chalk', decision: 'block', rules: ['js.capability.added', 'file.obfuscated.added'] },
  { name: 'npm-incident-node-ipc', decision: 'review', rules: ['js.capability.added'] },
  {
    name: 'npm-incident-shai-hulud',
    decision: 'block',
    rules: ['npm.install-script.added', 'file.obfuscated.added', 'npm.install-script.risky-code'],
  },
  {
    name: 'npm-incident-nx',
    decision: 'block',
    rules: ['npm.install-script.added', 'npm.install-script.risky-code'],
  },
  { name: 'npm-incident-axios', decision: 'review', rules: ['npm.dependency.added-unused'] },
];

describe('when an incident shape is vetted against its real predecessor', () => {
  it.each(INCIDENTS)('$name is $decision and names $rules', async ({ name, decision, rules }) => {
    const result = await vetted(name);
    expect(result.gaps).toEqual([]);
    expect(result.verdict.decision).toBe(decision);
    const named = new Set(result.findings.map((finding) => finding.ruleId));
    for (const rule of rules) expect(named, rule).toContain(rule);
  });
});

describe('when the real predecessor is only re-versioned', () => {
  it('passes with no new finding above info', async () => {
    const result = await vetted('npm-real-debug-rebuilt');
    expect(result.verdict.decision).toBe('pass');
    const fresh = result.findings.filter(
      (finding) => finding.origin !== 'inherited' && finding.severity !== 'info',
    );
    expect(fresh).toEqual([]);
  });
});
