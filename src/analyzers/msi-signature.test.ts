import { describe, expect, it } from 'vitest';
import { msiFixtureBytes } from '../../test/fixtures/msi/reference.js';
import {
  osslsigncodeMsiVerdict,
  signedMsiBytes,
  signedMsiFixtures,
  signedMsiRootDer,
} from '../../test/fixtures/msi/signed-fixtures.js';
import { memoryNode } from '../artifact/memory-node.js';
import { factsOfKind } from '../core/facts.js';
import { DEFAULT_LIMITS } from '../core/limits.js';
import { createMsiSignatureAnalyzer } from './msi-signature.js';

async function analyze(bytes: Uint8Array, trustAnchors = [signedMsiRootDer()]) {
  const analyzer = createMsiSignatureAnalyzer({ trustAnchors });
  // Typed as a compound file even when a cut or flip spoils the magic: the analyzer must cope.
  const node = memoryNode(bytes, { name: 'package.msi', type: 'cfb' });
  expect(analyzer.accepts(node)).toBe(true);
  return analyzer.analyze(node, { limits: DEFAULT_LIMITS });
}

describe('when Countersign and osslsigncode verify the same signed MSIs', () => {
  it.each(signedMsiFixtures())('%s: same verdict and signer', async (name) => {
    const reference = osslsigncodeMsiVerdict(name);
    const { facts, gaps } = await analyze(signedMsiBytes(name));
    console.info(
      `${name}: osslsigncode ${reference.source}, says ${reference.succeeded ? 'valid' : 'invalid'}`,
    );
    expect(gaps).toEqual([]);
    const signatures = factsOfKind(facts, 'msi.authenticode.signature');
    expect(signatures).toHaveLength(name.startsWith('nested') ? 2 : 1);
    expect(signatures.every((signature) => signature.isValid)).toBe(reference.succeeded);
    // The same digest either way; osslsigncode names the signers only once the digest matched.
    expect(signatures[0]?.imageDigest.computed).toBe(reference.calculatedDigest);
    if (reference.signers.length > 0) {
      expect(signatures.map((signature) => signature.signer?.subject)).toEqual(reference.signers);
    }
    expect(signatures[0]?.indirectDataType).toBe('1.3.6.1.4.1.311.2.1.30'); // SpcSipInfo
    expect(signatures[0]?.chain.status).toBe('trusted');
  });
});

describe('when one stream byte changed after signing', () => {
  it('reports the digest mismatch with both digests, and the chain still trusted', async () => {
    const { facts } = await analyze(signedMsiBytes('tampered-content.msi'));
    const [signature] = factsOfKind(facts, 'msi.authenticode.signature');
    expect(signature?.imageDigest.matches).toBe(false);
    expect(signature?.imageDigest.declared).not.toBe(signature?.imageDigest.computed);
    expect(signature?.signature).toBe('valid'); // the signer's signature itself is intact
    expect(signature?.isValid).toBe(false);
  });
});

describe('when the package carries MsiDigitalSignatureEx', () => {
  it('records the metadata digest as matching on the signed package', async () => {
    const { facts } = await analyze(signedMsiBytes('signed-dse.msi'));
    const [stream] = factsOfKind(facts, 'msi.authenticode.stream');
    expect(stream?.extended).toMatchObject({ algorithm: 'sha256', matches: true });
  });

  it('catches a changed time that the content digest alone would not', async () => {
    const { facts } = await analyze(signedMsiBytes('tampered-metadata-dse.msi'));
    const [stream] = factsOfKind(facts, 'msi.authenticode.stream');
    const [signature] = factsOfKind(facts, 'msi.authenticode.signature');
    expect(stream?.extended?.matches).toBe(false);
    expect(signature?.imageDigest.matches).toBe(false);
  });
});

describe('when bytes follow the PKCS#7 DER inside the DigitalSignature stream', () => {
  it('counts them although the signature verifies (osslsigncode calls it valid too)', async () => {
    const { facts } = await analyze(signedMsiBytes('appended-after-signature.msi'));
    const [stream] = factsOfKind(facts, 'msi.authenticode.stream');
    const [signature] = factsOfKind(facts, 'msi.authenticode.signature');
    expect(signature?.isValid).toBe(true);
    expect(stream?.bytesAfterSignature).toBeGreaterThanOrEqual(16);
    expect(stream?.isAfterSignatureAllZero).toBe(false);
    expect(stream?.derLength).toBe((stream?.size ?? 0) - (stream?.bytesAfterSignature ?? 0));
  });

  it('counts none in a clean signature', async () => {
    const { facts } = await analyze(signedMsiBytes('signed.msi'));
    expect(factsOfKind(facts, 'msi.authenticode.stream')[0]).toMatchObject({
      bytesAfterSignature: 0,
      extended: undefined,
    });
  });
});

describe('when the signature carries an RFC 3161 timestamp or a nested signature', () => {
  it('verifies the timestamp against the trust store and judges validity at its time', async () => {
    const { facts } = await analyze(signedMsiBytes('signed-timestamped.msi'));
    const [signature] = factsOfKind(facts, 'msi.authenticode.signature');
    expect(signature?.timestamps).toHaveLength(1);
    expect(signature?.timestamps[0]).toMatchObject({ kind: 'rfc3161', isValid: true, imprintMatches: true });
    expect(signature?.validityCheckedAgainst).toBe('timestamp');
    expect(signature?.hasUsableTimestamp).toBe(true);
  });

  it('verifies a nested SHA-1 signature against the same MSI digest, with SHA-1', async () => {
    const { facts } = await analyze(signedMsiBytes('nested-sha1.msi'));
    const signatures = factsOfKind(facts, 'msi.authenticode.signature');
    expect(signatures.map((signature) => [signature.depth, signature.imageDigest.algorithm])).toEqual([
      [0, 'sha256'],
      [1, 'sha1'],
    ]);
    expect(signatures.every((signature) => signature.isValid)).toBe(true);
  });
});

describe('when the trust store does not hold the root', () => {
  it('reports chains to an untrusted root as a fact, digest still matching', async () => {
    const { facts } = await analyze(msiFixtureBytes('exampledesk-signed.msi'));
    const [signature] = factsOfKind(facts, 'msi.authenticode.signature');
    expect(signature?.chain.status).toBe('untrusted-root');
    expect(signature?.imageDigest.matches).toBe(true);
    expect(signature?.signer?.subject).toBe('/CN=Countersign MSI fixture signer');
  });
});

describe('when the package is not signed', () => {
  it('gives no facts and no gaps', async () => {
    expect(await analyze(msiFixtureBytes('exampledesk.msi'))).toEqual({ facts: [], gaps: [] });
  });
});

describe('when a signed package is cut or damaged', () => {
  // Every 128th cut and every 307th flipped byte: the full sweep of the compound-file reader runs in
  // its own tests; here the signature path (digest, DER, verification) must stay typed too.
  const original = signedMsiBytes('signed-dse.msi');
  it('gives facts or a typed gap at every cut', async () => {
    for (let at = 0; at < original.length; at += 128) {
      const { facts, gaps } = await analyze(original.subarray(0, at));
      for (const gap of gaps) expect(gap.code, `cut at ${at}`).toMatch(/^E_/);
      expect(facts.length + gaps.length, `cut at ${at}`).toBeGreaterThan(0);
    }
  });

  it('gives facts or a typed gap for every flipped byte, and flips in covered data break the signature', async () => {
    let broken = 0;
    let total = 0;
    for (let at = 0; at < original.length; at += 307) {
      const bytes = original.slice();
      bytes[at] = (bytes[at] ?? 0) ^ 0xff;
      const { facts, gaps } = await analyze(bytes);
      for (const gap of gaps) expect(gap.code, `flip at ${at}`).toMatch(/^E_/);
      const signatures = factsOfKind(facts, 'msi.authenticode.signature');
      total++;
      // A flip in unused space (free sectors, slack after a stream) changes nothing that is signed.
      if (!signatures.some((signature) => signature.isValid)) broken++;
    }
    console.info(`${broken} of ${total} flips left no valid signature`);
    expect(broken).toBeGreaterThan(total / 2);
  });
});
