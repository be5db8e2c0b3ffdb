import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { fileExists, readFixture, testRootDer } from '../../test/fixtures/authenticode/fixtures.js';
import { memoryNode } from '../artifact/memory-node.js';
import { factsOfKind } from '../core/facts.js';
import { DEFAULT_LIMITS } from '../core/limits.js';
import { authenticodeAnalyzer, createAuthenticodeAnalyzer } from './authenticode.js';

const ctx = { limits: DEFAULT_LIMITS };
const trusting = createAuthenticodeAnalyzer({ trustAnchors: [testRootDer()] });

async function analyze(name: string, analyzer = trusting) {
  return analyzer.analyze(memoryNode(readFixture(name), { name }), ctx);
}

describe('when deciding which nodes to analyze', () => {
  it('accepts PE files only', () => {
    expect(trusting.accepts(memoryNode(readFixture('unsigned.dll'), { name: 'a.dll' }))).toBe(true);
    expect(trusting.accepts(memoryNode(new TextEncoder().encode('MZ? no'), { name: 'a.txt' }))).toBe(false);
  });
});

describe('when the file is not signed', () => {
  it('produces no Authenticode facts and no gaps', async () => {
    expect(await analyze('unsigned.dll')).toEqual({ facts: [], gaps: [] });
  });
});

describe('when the file is signed by a vendor under the trusted test root', () => {
  it('reports the signer, digest match, valid signature and a trusted chain', async () => {
    const { facts } = await analyze('signed-sha256.dll');
    const [signature] = factsOfKind(facts, 'pe.authenticode.signature');
    expect(signature?.signer?.subject).toBe('/O=Example Vendor/CN=Example Vendor Code Signing');
    expect(signature?.signer?.issuer).toBe('/O=Countersign Test/CN=Countersign Test Code Signing CA');
    expect(signature?.signer?.serialNumber).toMatch(/^[0-9A-F]+$/);
    expect(signature?.signer?.sha1Thumbprint).toMatch(/^[0-9a-f]{40}$/);
    expect(signature?.imageDigest.matches).toBe(true);
    expect(signature?.signature).toBe('valid');
    expect(signature?.chain.status).toBe('trusted');
    expect(signature?.chain.path.map((c) => c.subject)).toEqual([
      '/O=Example Vendor/CN=Example Vendor Code Signing',
      '/O=Countersign Test/CN=Countersign Test Code Signing CA',
      '/O=Countersign Test/CN=Countersign Test Root CA',
    ]);
    expect(signature?.digestAlgorithmNames).toEqual(['sha256']);
    expect(signature?.signingTime).toBe('2026-01-01T00:00:00.000Z');
    expect(signature?.isValid).toBe(true);
    const [table] = factsOfKind(facts, 'pe.authenticode.table');
    expect(table?.entries).toHaveLength(1);
    expect(table?.entries[0]?.bytesBeyondPadding).toBe(0);
    expect(table?.bytesAfterTable).toBe(0);
  });
});

describe('when no trust store is configured', () => {
  it('reports "chains to an untrusted root" as a fact, not an error', async () => {
    const { facts, gaps } = await analyze('signed-sha256.dll', authenticodeAnalyzer);
    const [signature] = factsOfKind(facts, 'pe.authenticode.signature');
    expect(gaps).toEqual([]);
    expect(signature?.chain.status).toBe('untrusted-root');
    expect(signature?.imageDigest.matches).toBe(true);
    expect(signature?.isValid).toBe(false);
  });
});

describe('when the signer was issued by a certificate that is not a CA', () => {
  it('reports the chain as issuer-not-ca, even though every signature in it verifies', async () => {
    const [signature] = factsOfKind(
      (await analyze('signed-by-non-ca.dll')).facts,
      'pe.authenticode.signature',
    );
    expect(signature?.signature).toBe('valid');
    expect(signature?.chain.status).toBe('issuer-not-ca');
    expect(signature?.chain.path.map((c) => c.subject)).toEqual([
      '/O=Example Vendor/CN=Issued By A Leaf',
      '/O=Example Vendor/CN=Example Vendor Code Signing',
    ]);
    expect(signature?.chain.path[1]?.extendedKeyUsages).toEqual(['1.3.6.1.5.5.7.3.3']);
    expect(signature?.isValid).toBe(false);
  });
});

describe('when the signer certificate has expired', () => {
  it('says so, and whether a timestamp vouches for the signing time', async () => {
    const [bare] = factsOfKind(
      (await analyze('expired-no-timestamp.dll')).facts,
      'pe.authenticode.signature',
    );
    expect(bare?.isSignerExpired).toBe(true);
    expect(bare?.hasUsableTimestamp).toBe(false);
    expect(bare?.isValid).toBe(false);
    const [stamped] = factsOfKind(
      (await analyze('expired-timestamped.dll')).facts,
      'pe.authenticode.signature',
    );
    expect(stamped?.isSignerExpired).toBe(true);
    expect(stamped?.hasUsableTimestamp).toBe(true);
    expect(stamped?.timestamps[0]?.kind).toBe('rfc3161');
    expect(stamped?.timestamps[0]?.time).toBe('2020-10-01T00:00:00.000Z');
    expect(stamped?.validityCheckedAgainst).toBe('timestamp');
    expect(stamped?.isValid).toBe(true);
  });

  it('judges expiry at the configured time', async () => {
    const then = createAuthenticodeAnalyzer({
      trustAnchors: [testRootDer()],
      now: () => new Date('2020-06-01'),
    });
    const [signature] = factsOfKind(
      (await analyze('expired-no-timestamp.dll', then)).facts,
      'pe.authenticode.signature',
    );
    expect(signature?.isSignerExpired).toBe(false);
    expect(signature?.isValid).toBe(true);
  });
});

describe('when the signature carries a legacy (PKCS#9) countersignature', () => {
  it('verifies the timestamp against the outer signature and reports its time and signer', async () => {
    const [signature] = factsOfKind(
      (await analyze('signed-legacy-timestamp.dll')).facts,
      'pe.authenticode.signature',
    );
    const [stamp] = signature?.timestamps ?? [];
    expect(stamp?.kind).toBe('legacy');
    expect(stamp?.signer?.subject).toBe('/O=Countersign Test/CN=Countersign Test TSA');
    expect(stamp?.imprintMatches).toBe(true);
    expect(stamp?.signature).toBe('valid');
    expect(stamp?.chain.status).toBe('trusted');
    expect(Number.isNaN(Date.parse(stamp?.time ?? ''))).toBe(false);
    expect(signature?.validityCheckedAgainst).toBe('timestamp');
    expect(signature?.isValid).toBe(true);
  });
});

describe('when the PKCS#7 is damaged', () => {
  it('records a malformed fact with a stable code', async () => {
    const { facts } = await analyze('malformed-signature.dll');
    expect(factsOfKind(facts, 'pe.authenticode.signature')).toEqual([]);
    expect(factsOfKind(facts, 'pe.authenticode.malformed')).toEqual([
      expect.objectContaining({ entryIndex: 0, code: 'E_FORMAT_MALFORMED' }),
    ]);
  });
});

describe('when the PE headers cannot be read', () => {
  it('returns a typed gap instead of throwing', async () => {
    const bytes = readFixture('signed-sha256.dll').subarray(0, 200);
    const result = await trusting.analyze(memoryNode(bytes, { name: 'cut.dll', type: 'pe' }), ctx);
    expect(result.facts).toEqual([]);
    expect(result.gaps).toEqual([
      expect.objectContaining({ code: expect.stringMatching(/^E_PE_/), stage: 'analyze' }),
    ]);
  });
});

describe("when analyzing Debian's shimx64.efi (two WIN_CERTIFICATE entries)", () => {
  const path = '/usr/lib/shim/shimx64.efi.signed';
  it('verifies both Microsoft signatures cryptographically', async (context) => {
    if (!fileExists(path)) return context.skip(`${path} is absent (apt-get install -y shim-signed)`);
    const bytes = new Uint8Array(readFileSync(path));
    const { facts } = await authenticodeAnalyzer.analyze(memoryNode(bytes, { name: 'shimx64.efi' }), ctx);
    const signatures = factsOfKind(facts, 'pe.authenticode.signature');
    expect(signatures.map((s) => s.entryIndex)).toEqual([0, 1]);
    expect(signatures.every((s) => s.imageDigest.matches && s.signature === 'valid')).toBe(true);
    expect(signatures.every((s) => s.timestamps.some((t) => t.kind === 'rfc3161' && t.imprintMatches))).toBe(
      true,
    );
    expect(signatures.every((s) => s.signer?.subject.includes('O=Microsoft Corporation'))).toBe(true);
  });
});
