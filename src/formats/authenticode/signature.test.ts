import { describe, expect, it } from 'vitest';
import { readFixture } from '../../../test/fixtures/authenticode/fixtures.js';
import { isCountersignError } from '../../core/errors.js';
import { getAuthenticodeLayout } from '../pe/authenticode-layout.js';
import { formatName } from './certificate.js';
import { parseCertificateTable } from './certificate-table.js';
import { flattenSignatures, parseAuthenticodeSignature } from './signature.js';

function derOf(name: string): Uint8Array {
  const bytes = readFixture(name);
  const table = getAuthenticodeLayout(bytes).certificateTable!;
  const entry = parseCertificateTable(bytes.subarray(table.offset, table.offset + table.size)).entries[0]!;
  return entry.content.subarray(0, entry.derLength);
}

describe('when parsing a plain sha256 signature', () => {
  const signature = parseAuthenticodeSignature(derOf('signed-sha256.dll'));

  it('reads the image digest, the signer and the certificates', () => {
    expect(signature.imageDigestAlgorithm).toBe('sha256');
    expect(signature.imageDigest).toHaveLength(32);
    expect(signature.signer.digestAlgorithm).toBe('sha256');
    expect(signature.signer.issuer).toBe('/O=Countersign Test/CN=Countersign Test Code Signing CA');
    expect(signature.signer.signedAttributes?.[0]).toBe(0x31);
    expect(signature.signer.messageDigest).toHaveLength(32);
    expect(signature.signer.signingTime?.toISOString()).toBe('2026-01-01T00:00:00.000Z');
    expect(signature.certificates.map((c) => formatName(c.subject))).toContain(
      '/O=Example Vendor/CN=Example Vendor Code Signing',
    );
    expect(signature.timestamps).toHaveLength(0);
    expect(signature.nested).toHaveLength(0);
  });
});

describe('when a second signature is nested', () => {
  it('parses it with its own digest algorithm and signer', () => {
    const all = flattenSignatures(parseAuthenticodeSignature(derOf('nested-two-signers.dll')));
    expect(all.map((s) => [s.depth, s.imageDigestAlgorithm])).toEqual([
      [0, 'sha1'],
      [1, 'sha256'],
    ]);
    expect(all[0]?.signer.serialNumber).not.toBe(all[1]?.signer.serialNumber);
  });
});

describe('when the signature carries an RFC 3161 timestamp', () => {
  it('reads the TSA time and the imprint', () => {
    const [stamp] = parseAuthenticodeSignature(derOf('signed-timestamped.dll')).timestamps;
    expect(stamp?.kind).toBe('rfc3161');
    if (stamp?.kind !== 'rfc3161') return;
    expect(stamp.genTime.toISOString()).toBe('2026-01-01T01:00:00.000Z');
    expect(stamp.imprintAlgorithm).toBe('sha256');
    expect(stamp.imprint).toHaveLength(32);
  });
});

describe('when the PKCS#7 bytes are damaged', () => {
  it('throws E_FORMAT_MALFORMED', () => {
    expect(() => parseAuthenticodeSignature(derOf('malformed-signature.dll'))).toThrow(
      expect.objectContaining({ code: 'E_FORMAT_MALFORMED' }),
    );
  });

  it('gives a result or a typed error when cut at every offset (truncation sweep)', () => {
    const der = derOf('signed-timestamped.dll');
    let errors = 0;
    for (let cut = 0; cut < der.length; cut += 1) {
      try {
        parseAuthenticodeSignature(der.subarray(0, cut));
      } catch (error) {
        expect(isCountersignError(error), `cut at ${cut}: ${String(error)}`).toBe(true);
        errors++;
      }
    }
    expect(errors).toBe(der.length);
  });
});
