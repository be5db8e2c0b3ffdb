import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  SIGNED_MSI_DIR,
  signedMsiBytes,
  signedMsiFixtures,
  signedMsiRootDer,
} from '../../test/fixtures/msi/signed-fixtures.js';
import { createMsiSignatureAnalyzer } from '../analyzers/msi-signature.js';
import { memoryNode } from '../artifact/memory-node.js';
import { DEFAULT_LIMITS } from '../core/limits.js';
import { MSI_AUTHENTICODE_RULES, type NodeFactsInput } from './authenticode.js';

/** Each signed MSI's sidecar: the rule ids that must fire (the test root is trusted). */
const expectations = signedMsiFixtures().map((name) => ({
  fixture: name,
  findings: (
    JSON.parse(readFileSync(join(SIGNED_MSI_DIR, name.replace(/\.msi$/, '.expect.json')), 'utf8')) as {
      findings: string[];
    }
  ).findings,
}));

async function factsOf(fixture: string): Promise<NodeFactsInput> {
  const analyzer = createMsiSignatureAnalyzer({ trustAnchors: [signedMsiRootDer()] });
  const node = memoryNode(signedMsiBytes(fixture), { name: fixture });
  const result = await analyzer.analyze(node, { limits: DEFAULT_LIMITS });
  expect(result.gaps).toEqual([]);
  return { path: node.path, facts: result.facts };
}

function fired(input: NodeFactsInput): string[] {
  return MSI_AUTHENTICODE_RULES.filter((rule) => [...rule.evaluate(input)].length > 0)
    .map((rule) => rule.id)
    .sort();
}

describe('when the MSI rules run over each signed fixture', () => {
  it.each(expectations)('$fixture fires exactly its sidecar findings', async ({ fixture, findings }) => {
    expect(fired(await factsOf(fixture))).toEqual([...findings].sort());
  });
});

describe('when the MSI catalogue is checked', () => {
  it.each(MSI_AUTHENTICODE_RULES.map((rule) => [rule.id, rule] as const))(
    '%s has a positive and a negative fixture',
    (id) => {
      expect(expectations.some((e) => e.findings.includes(id))).toBe(true);
      expect(expectations.some((e) => !e.findings.includes(id))).toBe(true);
    },
  );

  it('uses unique ids in the msi.authenticode namespace', () => {
    const ids = MSI_AUTHENTICODE_RULES.map((rule) => rule.id);
    expect(new Set(ids).size).toBe(ids.length);
    for (const id of ids) expect(id).toMatch(/^msi\.authenticode\.[a-z-]+$/);
  });
});

describe('when bytes ride after the signature in [5]DigitalSignature', () => {
  it('says so with the byte counts, and that the signature still verifies', async () => {
    const [hit] = [...MSI_AUTHENTICODE_RULES[0]!.evaluate(await factsOf('appended-after-signature.msi'))];
    expect(hit?.message).toMatch(/^\d+ bytes \(not all zero\) follow the \d+-byte PKCS#7 signature/);
    expect(hit?.message).toMatch(/although the signature verifies$/);
  });
});

describe('when only the metadata changed under MsiDigitalSignatureEx', () => {
  it('reports both the signed digest and the Ex digest', async () => {
    const rule = MSI_AUTHENTICODE_RULES.find((r) => r.id === 'msi.authenticode.digest-mismatch')!;
    const messages = [...rule.evaluate(await factsOf('tampered-metadata-dse.msi'))].map((hit) => hit.message);
    expect(messages).toHaveLength(2);
    expect(messages[1]).toMatch(
      /MsiDigitalSignatureEx holds [0-9a-f]{64}; the names, sizes and times hash to/,
    );
  });
});
