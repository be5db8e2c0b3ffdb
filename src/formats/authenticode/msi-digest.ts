import { createHash, type Hash } from 'node:crypto';
import type { CompoundEntry } from '../cfb/compound-file.js';
import type { AuthenticodeDigest } from './algorithms.js';

/**
 * The MSI Authenticode digests, computed over a compound file's storage tree as the MSI SIP does
 * (osslsigncode's msi.c documents the same procedure):
 *
 * - content digest: at each level, the children sorted by their raw UTF-16LE names compared
 *   byte for byte (`memcmp`, terminator included, so `A` sorts before `AB` and code units compare
 *   low byte first); each stream's bytes, each storage recursively, then this level's CLSID. At
 *   the root the two signature streams are left out.
 * - metadata pre-hash (only when `\x05MsiDigitalSignatureEx` exists; it stores this digest):
 *   the root's CLSID and state bits, then in the same order each stream's name, size (low 32
 *   bits), state bits, creation and modification times, and each storage's name, CLSID, state
 *   bits and times followed by its children. The signed digest is then H(pre-hash ‖ content).
 */

export const DIGITAL_SIGNATURE_STREAM = '\u0005DigitalSignature';
export const DIGITAL_SIGNATURE_EX_STREAM = '\u0005MsiDigitalSignatureEx';

function isSignatureStream(entry: CompoundEntry): boolean {
  return (
    entry.kind === 'stream' &&
    (entry.name === DIGITAL_SIGNATURE_STREAM || entry.name === DIGITAL_SIGNATURE_EX_STREAM)
  );
}

/** The name as the directory entry stores it: UTF-16LE with its two-byte terminator. */
function storedName(entry: CompoundEntry): Buffer {
  return Buffer.from(`${entry.name}\0`, 'utf16le');
}

/** Children in hashing order, signature streams dropped at the root. */
function hashOrder(storage: CompoundEntry): CompoundEntry[] {
  const named = storage.children
    .filter((child) => !(storage.kind === 'root' && isSignatureStream(child)))
    .map((child) => ({ child, name: storedName(child) }));
  // Sibling names differ, and a terminated name is never a prefix of another: memcmp decides.
  named.sort((a, b) => Buffer.compare(a.name, b.name));
  return named.map(({ child }) => child);
}

function hashContent(storage: CompoundEntry, hash: Hash): void {
  for (const child of hashOrder(storage)) {
    if (child.kind === 'stream') hash.update(child.bytes);
    else hashContent(child, hash);
  }
  hash.update(storage.clsid);
}

function sizeField(entry: CompoundEntry): Uint8Array {
  const size = new Uint8Array(4);
  new DataView(size.buffer).setUint32(0, entry.declaredSize, true);
  return size;
}

function hashMetadata(entry: CompoundEntry, hash: Hash): void {
  if (entry.kind !== 'root') hash.update(Buffer.from(entry.name, 'utf16le'));
  hash.update(entry.kind === 'stream' ? sizeField(entry) : entry.clsid);
  hash.update(entry.stateBits);
  if (entry.kind !== 'root') {
    hash.update(entry.creationTime);
    hash.update(entry.modifiedTime);
  }
}

function hashMetadataTree(storage: CompoundEntry, hash: Hash): void {
  hashMetadata(storage, hash);
  for (const child of hashOrder(storage)) {
    if (child.kind === 'stream') hashMetadata(child, hash);
    else hashMetadataTree(child, hash);
  }
}

/** The digest of the names, sizes and times (what `\x05MsiDigitalSignatureEx` holds). */
export function computeMsiMetadataDigest(root: CompoundEntry, algorithm: AuthenticodeDigest): Uint8Array {
  const hash = createHash(algorithm);
  hashMetadataTree(root, hash);
  return new Uint8Array(hash.digest());
}

/**
 * The digest an MSI signature's SpcIndirectDataContent vouches for (lower-case hex): the content
 * digest, preceded by the metadata digest when the package carries MsiDigitalSignatureEx.
 */
export function computeMsiDigest(
  root: CompoundEntry,
  algorithm: AuthenticodeDigest,
  options: { readonly withMetadata: boolean },
): string {
  const hash = createHash(algorithm);
  if (options.withMetadata) hash.update(computeMsiMetadataDigest(root, algorithm));
  hashContent(root, hash);
  return hash.digest('hex');
}

/** A stream directly under the root, by raw name. */
export function rootStream(root: CompoundEntry, name: string): CompoundEntry | undefined {
  return root.children.find((child) => child.kind === 'stream' && child.name === name);
}
