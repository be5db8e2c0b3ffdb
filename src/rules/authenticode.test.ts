import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { AUTHENTICODE_DATA, pemToDer, readFixture } from '../../test/fixtures/authenticode/fixtures.js';
import { createAuthenticodeAnalyzer } from '../analyzers/authenticode.js';
import { memoryNode } from '../artifact/memory-node.js';
import { DEFAULT_LIMITS } from '../core/limits.js';
import { AUTHENTICODE_RULES, type NodeFactsInput } from './authenticode.js';

/** Each binary fixture's sidecar: the trust anchors to configure and the rule ids that must fire. */
interface Expectation {
  readonly trustAnchors: readonly string[];
  readonly findings: readonly string[];
}

const expectations = readdirSync(AUTHENTICODE_DATA)
  .filter((name) => name.endsWith('.expect.json'))
  .map((name) => ({
    fixture: name.replace(/\.expect\.json$/, ''),
    expected: JSON.parse(readFileSync(join(AUTHENTICODE_DATA, name), 'utf8')) as Expectation,
  }));

async function factsOf(fixture: string, trustAnchors: readonly string[]): Promise<NodeFactsInput> {
  const analyzer = createAuthenticodeAnalyzer({
    trustAnchors: trustAnchors.map((file) => pemToDer(readFileSync(join(AUTHENTICODE_DATA, file), 'utf8'))),
  });
  const node = memoryNode(readFixture(`${fixture}.dll`), { name: `${fixture}.dll` });
  const result = await analyzer.analyze(node, { limits: DEFAULT_LIMITS });
  expect(result.gaps).toEqual([]);
  return { path: node.path, facts: result.facts };
}

function fired(input: NodeFactsInput): string[] {
  return AUTHENTICODE_RULES.filter((rule) => [...rule.evaluate(input)].length > 0)
    .map((rule) => rule.id)
    .sort();
}

describe('when the rules run over each fixture', () => {
  it.each(expectations)('$fixture fires exactly its sidecar findings', async ({ fixture, expected }) => {
    expect(fired(await factsOf(fixture, expected.trustAnchors))).toEqual([...expected.findings].sort());
  });
});

describe('when the catalogue is checked', () => {
  it.each(AUTHENTICODE_RULES.map((rule) => [rule.id, rule] as const))(
    '%s has a positive and a negative fixture',
    (id) => {
      expect(expectations.some((e) => e.expected.findings.includes(id))).toBe(true);
      expect(expectations.some((e) => !e.expected.findings.includes(id))).toBe(true);
    },
  );

  it('uses unique ids in the pe.authenticode namespace', () => {
    const ids = AUTHENTICODE_RULES.map((rule) => rule.id);
    expect(new Set(ids).size).toBe(ids.length);
    for (const id of ids) expect(id).toMatch(/^pe\.authenticode\.[a-z-]+$/);
  });
});

describe('when the 3CX-style payload sits inside the certificate table', () => {
  it('reports data-after-signature with the offset and size, and says the signature verifies', async () => {
    const input = await factsOf('padded-3cx', ['root.pem']);
    const rule = AUTHENTICODE_RULES.find((r) => r.id === 'pe.authenticode.data-after-signature')!;
    const [hit] = [...rule.evaluate(input)];
    expect(rule.severity).toBe('high');
    expect(hit?.message).toMatch(/although the signature verifies/);
    const range = hit?.evidence[0]?.range;
    const bytes = readFixture('padded-3cx.dll');
    // The range starts right after the DER: the signer's zero padding, then the 0xFEEDFACE marker.
    const slack = Buffer.from(bytes.subarray(range?.offset ?? 0, (range?.offset ?? 0) + 8));
    expect(slack.indexOf(Buffer.from([0xfe, 0xed, 0xfa, 0xce]))).toBeGreaterThanOrEqual(0);
    expect(slack.indexOf(Buffer.from([0xfe, 0xed, 0xfa, 0xce]))).toBeLessThan(8);
    expect(range && range.offset + range.length).toBe(bytes.length);
  });
});

describe('when the image digest could not be computed for a signature', () => {
  it('reports a malformed signature with the reason', async () => {
    const input = await factsOf('signed-sha256', ['root.pem']);
    const facts = input.facts.map((fact) =>
      fact.kind === 'pe.authenticode.signature'
        ? {
            ...fact,
            imageDigest: { ...fact.imageDigest, computed: undefined, matches: false },
            problems: [
              'image digest not computable: the certificate table overlaps the headers or a section',
            ],
          }
        : fact,
    );
    const rule = AUTHENTICODE_RULES.find((r) => r.id === 'pe.authenticode.malformed-signature')!;
    const hits = [...rule.evaluate({ path: input.path, facts })];
    expect(hits).toHaveLength(1);
    expect(hits[0]?.message).toMatch(/overlaps the headers or a section/);
    expect([...rule.evaluate(input)]).toEqual([]);
  });
});
