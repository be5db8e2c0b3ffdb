import * as asn1js from 'asn1js';
import { describe, expect, it } from 'vitest';
import { readFixture, testRootDer } from '../../../test/fixtures/authenticode/fixtures.js';
import { getAuthenticodeLayout } from '../pe/authenticode-layout.js';
import { toHex } from './certificate.js';
import { parseCertificateTable } from './certificate-table.js';
import { computeAuthenticodeDigest } from './digest.js';
import { type AuthenticodeSignature, parseAuthenticodeSignature } from './signature.js';
import { verifyAuthenticodeSignature } from './verify.js';

const bytes = readFixture('signed-sha256.dll');
const layout = getAuthenticodeLayout(bytes);

function signatureOf(): AuthenticodeSignature {
  const table = layout.certificateTable!;
  const entry = parseCertificateTable(bytes.subarray(table.offset, table.offset + table.size)).entries[0]!;
  return parseAuthenticodeSignature(entry.content.subarray(0, entry.derLength));
}

const options = {
  trustAnchors: [testRootDer()],
  computeImageDigest: (algorithm: 'md5' | 'sha1' | 'sha256' | 'sha384' | 'sha512') =>
    computeAuthenticodeDigest(bytes, layout, algorithm),
};

describe('when the SignerInfo names its certificate by subjectKeyIdentifier', () => {
  it('finds the certificate by that key identifier and verifies', async () => {
    const signature = signatureOf();
    const leaf = signature.certificates.find((c) =>
      c.subject.typesAndValues.some((t) => t.value.valueBlock.value === 'Example Vendor Code Signing'),
    )!;
    const extension = leaf.extensions?.find((e) => e.extnID === '2.5.29.14');
    const keyId = asn1js.fromBER(extension!.extnValue.getValue()).result as asn1js.OctetString;
    const { issuer: _issuer, serialNumber: _serial, ...rest } = signature.signer;
    const bySki = { ...signature, signer: { ...rest, subjectKeyIdentifier: toHex(keyId.getValue()) } };
    const result = await verifyAuthenticodeSignature(bySki, options);
    expect(result.signer?.subject).toBe('/O=Example Vendor/CN=Example Vendor Code Signing');
    expect(result.signature).toBe('valid');
    const wrong = { ...signature, signer: { ...rest, subjectKeyIdentifier: '00'.repeat(20) } };
    expect((await verifyAuthenticodeSignature(wrong, options)).signature).toBe('no-certificate');
  });
});

describe('when the signed attributes were altered', () => {
  it('reports the signature over them as invalid', async () => {
    const signature = signatureOf();
    const attributes = Uint8Array.from(signature.signer.signedAttributes!);
    attributes[attributes.length - 1]! ^= 1;
    const altered = { ...signature, signer: { ...signature.signer, signedAttributes: attributes } };
    const result = await verifyAuthenticodeSignature(altered, options);
    expect(result.signature).toBe('invalid');
    expect(result.isValid).toBe(false);
  });
});

describe('when the embedded chain is missing its intermediate', () => {
  it('reports the chain as incomplete and names the missing issuer', async () => {
    const signature = signatureOf();
    const withoutIntermediate = {
      ...signature,
      certificates: signature.certificates.filter(
        (c) =>
          !c.subject.typesAndValues.some(
            (t) => t.value.valueBlock.value === 'Countersign Test Code Signing CA',
          ),
      ),
    };
    const result = await verifyAuthenticodeSignature(withoutIntermediate, options);
    expect(result.chain.status).toBe('incomplete');
    expect(result.chain.missingIssuer).toBe('/O=Countersign Test/CN=Countersign Test Code Signing CA');
    expect(result.signature).toBe('valid');
  });
});
