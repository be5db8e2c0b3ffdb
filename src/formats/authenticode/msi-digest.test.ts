import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
  osslsigncodeMsiVerdict,
  signedMsiBytes,
  signedMsiFixtures,
} from '../../../test/fixtures/msi/signed-fixtures.js';
import { type CompoundEntry, readCompoundTree } from '../cfb/compound-file.js';
import { toHex } from './certificate.js';
import { computeMsiDigest, computeMsiMetadataDigest, rootStream } from './msi-digest.js';

function entry(name: string, kind: CompoundEntry['kind'], fill: Partial<CompoundEntry> = {}): CompoundEntry {
  return {
    name,
    kind,
    clsid: new Uint8Array(16),
    stateBits: new Uint8Array(4),
    creationTime: new Uint8Array(8),
    modifiedTime: new Uint8Array(8),
    declaredSize: fill.bytes?.length ?? 0,
    bytes: new Uint8Array(0),
    children: [],
    ...fill,
  };
}

const text = (value: string) => new Uint8Array(Buffer.from(value));
const sha256 = (...parts: Uint8Array[]) => {
  const hash = createHash('sha256');
  for (const part of parts) hash.update(part);
  return hash.digest('hex');
};

describe('when streams are put in hashing order', () => {
  it('compares raw UTF-16LE bytes (low byte first), not code units', () => {
    // Code-unit order puts 'b' (0x0062) before 'Ā' (0x0100); byte order puts 'Ā' (00 01) first.
    const clsid = new Uint8Array(16).fill(7);
    const root = entry('Root Entry', 'root', {
      clsid,
      children: [entry('b', 'stream', { bytes: text('B') }), entry('\u0100', 'stream', { bytes: text('A') })],
    });
    expect(computeMsiDigest(root, 'sha256', { withMetadata: false })).toBe(
      sha256(text('A'), text('B'), clsid),
    );
  });

  it('puts a name before its extensions, hashes storages in place with their CLSID after their children', () => {
    const inner = new Uint8Array(16).fill(1);
    const outer = new Uint8Array(16).fill(2);
    const root = entry('Root Entry', 'root', {
      clsid: outer,
      children: [
        entry('ab', 'stream', { bytes: text('3') }),
        entry('a', 'storage', { clsid: inner, children: [entry('x', 'stream', { bytes: text('2') })] }),
        entry('A', 'stream', { bytes: text('1') }),
      ],
    });
    expect(computeMsiDigest(root, 'sha256', { withMetadata: false })).toBe(
      sha256(text('1'), text('2'), inner, text('3'), outer),
    );
  });

  it('leaves the signature streams out at the root only', () => {
    const signature = entry('\u0005DigitalSignature', 'stream', { bytes: text('SIG') });
    const plain = entry('Root Entry', 'root', { children: [entry('a', 'stream', { bytes: text('1') })] });
    const signed = { ...plain, children: [...plain.children, signature] };
    expect(computeMsiDigest(signed, 'sha256', { withMetadata: false })).toBe(
      computeMsiDigest(plain, 'sha256', { withMetadata: false }),
    );
    const nested = entry('Root Entry', 'root', {
      children: [entry('s', 'storage', { children: [signature] })],
    });
    expect(computeMsiDigest(nested, 'sha256', { withMetadata: false })).toBe(
      sha256(text('SIG'), new Uint8Array(16), new Uint8Array(16)),
    );
  });

  it('covers names, sizes, state bits and times in the metadata digest, but not content', () => {
    const stream = entry('a', 'stream', { bytes: text('1'), modifiedTime: new Uint8Array(8).fill(9) });
    const root = entry('Root Entry', 'root', { children: [stream] });
    const sameSizeOtherContent = { ...root, children: [{ ...stream, bytes: text('2') }] };
    const otherTime = { ...root, children: [{ ...stream, modifiedTime: new Uint8Array(8) }] };
    const digest = toHex(computeMsiMetadataDigest(root, 'sha256'));
    expect(toHex(computeMsiMetadataDigest(sameSizeOtherContent, 'sha256'))).toBe(digest);
    expect(toHex(computeMsiMetadataDigest(otherTime, 'sha256'))).not.toBe(digest);
  });
});

describe('when the digests of the osslsigncode-signed fixtures are computed', () => {
  it.each(signedMsiFixtures())('%s gives the digests osslsigncode calculates', (name) => {
    const reference = osslsigncodeMsiVerdict(name);
    const root = readCompoundTree(signedMsiBytes(name));
    const ex = rootStream(root, '\u0005MsiDigitalSignatureEx');
    const algorithm = reference.calculatedDigest?.length === 40 ? 'sha1' : 'sha256';
    console.info(`${name}: osslsigncode output ${reference.source}`);
    expect(reference.calculatedDigest).toMatch(/^[0-9a-f]{40,64}$/);
    expect(computeMsiDigest(root, algorithm, { withMetadata: ex !== undefined })).toBe(
      reference.calculatedDigest,
    );
    if (ex) expect(toHex(computeMsiMetadataDigest(root, algorithm))).toBe(reference.calculatedExDigest);
    else expect(reference.calculatedExDigest).toBeUndefined();
  });
});
