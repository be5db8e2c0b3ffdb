import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { AUTHENTICODE_DATA, testRootDer } from '../../../test/fixtures/authenticode/fixtures.js';
import { certificatesFromPem } from './pem.js';

describe('when reading a PEM trust store', () => {
  it('returns each certificate as DER and ignores keys and comments', () => {
    const root = readFileSync(join(AUTHENTICODE_DATA, 'root.pem'), 'utf8');
    const rogue = readFileSync(join(AUTHENTICODE_DATA, 'rogue-root.pem'), 'utf8');
    const bundle = `# our roots\n${root}\n-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n${rogue}`;
    const certificates = certificatesFromPem(bundle);
    expect(certificates).toHaveLength(2);
    expect(Buffer.from(certificates[0]!).equals(Buffer.from(testRootDer()))).toBe(true);
    expect(certificates[1]?.[0]).toBe(0x30);
  });

  it('returns nothing for text without certificates', () => {
    expect(certificatesFromPem('not a certificate')).toEqual([]);
  });
});
