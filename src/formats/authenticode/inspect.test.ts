import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import {
  AUTHENTICODE_DATA,
  DEBIAN_EFI_BINARIES,
  derToPem,
  fileExists,
  hasTool,
  liveOsslsigncodeVerdict,
  readFixture,
  recordedOsslsigncodeVerdict,
  SIGNED_FIXTURES,
  testRootDer,
} from '../../../test/fixtures/authenticode/fixtures.js';
import { isCountersignError } from '../../core/errors.js';
import { getAuthenticodeLayout } from '../pe/authenticode-layout.js';
import { certificateDer, summarizeCertificate } from './certificate.js';
import { parseCertificateTable } from './certificate-table.js';
import { type AuthenticodeReport, inspectAuthenticode, type SignatureReport } from './inspect.js';
import { parseAuthenticodeSignature } from './signature.js';

const scratch = mkdtempSync(join(tmpdir(), 'countersign-authenticode-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

async function inspect(bytes: Uint8Array, trustAnchors = [testRootDer()]): Promise<AuthenticodeReport> {
  return inspectAuthenticode(bytes, getAuthenticodeLayout(bytes), { trustAnchors });
}

/** Our file-level verdict in osslsigncode's terms: every signature valid, nothing malformed. */
function verdictOf(report: AuthenticodeReport) {
  return {
    succeeded:
      report.malformed.length === 0 &&
      report.signatures.length > 0 &&
      report.signatures.every((s) => s.isValid),
    signers: report.signatures.map((s) => s.signer?.subject),
  };
}

/** What sbverify checks: digest, signed attributes, signature, chain; no validity times, no timestamps. */
function isCryptographicallyValid(signature: SignatureReport | undefined): boolean {
  return (
    signature?.imageDigest.matches === true &&
    signature.messageDigestMatches &&
    signature.signature === 'valid' &&
    signature.chain.status === 'trusted'
  );
}

function sbverify(path: string, certificatePem: string): boolean {
  const run = spawnSync('sbverify', ['--cert', certificatePem, path], { encoding: 'utf8' });
  return run.status === 0 && /Signature verification OK/.test(run.stdout + run.stderr);
}

/** The DER of the embedded certificate with this thumbprint, found through our own parsers. */
function signerCertificateDer(bytes: Uint8Array, sha256Thumbprint: string | undefined): Uint8Array {
  const table = getAuthenticodeLayout(bytes).certificateTable!;
  const entry = parseCertificateTable(bytes.subarray(table.offset, table.offset + table.size)).entries[0]!;
  const signature = parseAuthenticodeSignature(entry.content.subarray(0, entry.derLength));
  const found = signature.certificates.find(
    (c) => summarizeCertificate(c).sha256Thumbprint === sha256Thumbprint,
  );
  if (!found) throw new Error('signer certificate not embedded');
  return certificateDer(found);
}

const fixtureNames = [...SIGNED_FIXTURES, 'unsigned'] as const;

describe('when verifying each fixture, our verdict agrees with osslsigncode (as recorded by build.sh)', () => {
  it.each(fixtureNames)('%s', async (fixture) => {
    const ours = verdictOf(await inspect(readFixture(`${fixture}.dll`)));
    const theirs = recordedOsslsigncodeVerdict(fixture);
    expect(ours.succeeded).toBe(theirs.succeeded);
    if (theirs.signers.length > 0) expect(ours.signers).toEqual(theirs.signers);
  });
});

describe('when osslsigncode is installed, our verdict agrees with it run now', () => {
  const available = hasTool('osslsigncode');
  it.for(fixtureNames)('%s', async (fixture, context) => {
    if (!available) return context.skip('osslsigncode is not installed (apt-get install -y osslsigncode)');
    const path = join(AUTHENTICODE_DATA, `${fixture}.dll`);
    const ours = verdictOf(await inspect(readFixture(`${fixture}.dll`)));
    const theirs = liveOsslsigncodeVerdict(path);
    expect(ours.succeeded).toBe(theirs.succeeded);
    if (theirs.signers.length > 0) expect(ours.signers).toEqual(theirs.signers);
  });
});

describe('when sbverify is installed, our cryptographic verdict agrees with it', () => {
  const available = hasTool('sbverify');
  // sbverify knows only SHA-256 and ignores validity periods, so only those checks are compared.
  const sha256Fixtures = [
    'signed-sha256',
    'signed-timestamped',
    'signed-legacy-timestamp',
    'signed-untrusted-root',
    'signed-by-non-ca',
    'signed-ecc-explicit',
    'expired-no-timestamp',
    'padded-3cx',
    'padded-after-entry',
    'digest-mismatch',
    'data-after-table',
    'malformed-signature',
    'unsigned',
  ];
  it.for(sha256Fixtures)('%s', async (fixture, context) => {
    if (!available) return context.skip('sbverify is not installed (apt-get install -y sbsigntool)');
    const report = await inspect(readFixture(`${fixture}.dll`));
    const theirs = sbverify(join(AUTHENTICODE_DATA, `${fixture}.dll`), join(AUTHENTICODE_DATA, 'root.pem'));
    expect(isCryptographicallyValid(report.signatures[0])).toBe(theirs);
  });
});

describe("when checking Debian's signed EFI binaries", () => {
  it.for(DEBIAN_EFI_BINARIES)('%s: signers and validity agree with sbverify', async (path, context) => {
    if (!fileExists(path)) {
      return context.skip(`${path} is absent (apt-get install -y shim-signed grub-efi-amd64-signed)`);
    }
    if (!hasTool('sbverify'))
      return context.skip('sbverify is not installed (apt-get install -y sbsigntool)');
    const bytes = new Uint8Array(readFileSync(path));
    const untrusted = await inspect(bytes, []);
    expect(untrusted.malformed).toEqual([]);
    expect(untrusted.signatures.length).toBeGreaterThan(0);
    // Without a trust store the chain cannot be trusted, but the digest and signature hold.
    for (const signature of untrusted.signatures) {
      expect(signature.imageDigest.matches).toBe(true);
      expect(signature.signature).toBe('valid');
      expect(signature.chain.status).not.toBe('trusted');
      expect(signature.isValid).toBe(false);
    }
    const listed = spawnSync('sbverify', ['--list', path], { encoding: 'utf8' }).stdout;
    for (const signature of untrusted.signatures)
      expect(listed).toContain(`subject: ${signature.signer?.subject}`);
    // Trust the first signer's own certificate, in sbverify and in ours: both must then say valid.
    const first = untrusted.signatures[0]!;
    const signerDer = signerCertificateDer(bytes, first.signer?.sha256Thumbprint);
    const pem = join(scratch, 'signer.pem');
    writeFileSync(pem, derToPem(signerDer));
    const trusted = await inspect(bytes, [signerDer]);
    expect(isCryptographicallyValid(trusted.signatures[0])).toBe(true);
    expect(sbverify(path, pem)).toBe(true);
    // One flipped byte in a section: both must say invalid.
    const layout = getAuthenticodeLayout(bytes);
    const section = layout.sections.find((s) => s.sizeOfRawData > 0)!;
    const tampered = Uint8Array.from(bytes);
    tampered[section.pointerToRawData + 100]! ^= 0xff;
    const tamperedPath = join(scratch, 'tampered.efi');
    writeFileSync(tamperedPath, tampered);
    expect(isCryptographicallyValid((await inspect(tampered, [signerDer])).signatures[0])).toBe(false);
    expect(sbverify(tamperedPath, pem)).toBe(false);
  });
});

describe('when data is hidden inside the certificate table (3CX)', () => {
  it('still verifies, as osslsigncode says, but reports the bytes beyond the padding', async () => {
    const report = await inspect(readFixture('padded-3cx.dll'));
    expect(recordedOsslsigncodeVerdict('padded-3cx').succeeded).toBe(true);
    expect(report.signatures[0]?.isValid).toBe(true);
    const [entry] = report.table?.entries ?? [];
    expect(entry?.isSlackAllZero).toBe(false);
    expect(entry?.bytesBeyondPadding).toBeGreaterThan(0);
    const clean = (await inspect(readFixture('signed-sha256.dll'))).table?.entries[0];
    expect(clean?.bytesBeyondPadding).toBe(0);
    expect(clean?.isSlackAllZero).toBe(true);
  });
});

describe('when the whole file is cut at every offset (truncation sweep)', () => {
  it('gives a report or a typed error, never anything else', async () => {
    const bytes = readFixture('signed-timestamped.dll');
    let reports = 0;
    for (let cut = 0; cut <= bytes.length; cut++) {
      const part = bytes.subarray(0, cut);
      try {
        await inspectAuthenticode(part, getAuthenticodeLayout(part), { trustAnchors: [] });
        reports++;
      } catch (error) {
        expect(isCountersignError(error), `cut at ${cut}: ${String(error)}`).toBe(true);
      }
    }
    expect(reports).toBeGreaterThan(0);
  });
});

describe('when random bytes of the certificate table are changed (property, on a time budget)', () => {
  it('gives a report with a signature or a malformed fact, never a crash', async () => {
    const original = readFixture('signed-timestamped.dll');
    const table = getAuthenticodeLayout(original).certificateTable!;
    const anchors = [testRootDer()];
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.tuple(fc.nat({ max: table.size - 1 }), fc.integer({ min: 1, max: 255 })), {
          minLength: 1,
          maxLength: 4,
        }),
        async (edits) => {
          const bytes = Uint8Array.from(original);
          for (const [at, xor] of edits) bytes[table.offset + at]! ^= xor;
          const report = await inspectAuthenticode(bytes, getAuthenticodeLayout(bytes), {
            trustAnchors: anchors,
          });
          expect(report.table).toBeDefined();
          expect(report.signatures.length + report.malformed.length).toBeGreaterThan(0);
        },
      ),
      { numRuns: 150, interruptAfterTimeLimit: 8_000 },
    );
  });
});
