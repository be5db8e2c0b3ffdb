import CFB from 'cfb';
import { describe, expect, it } from 'vitest';
import { msiFixtureBytes, msiFixtures } from '../../../test/fixtures/msi/reference.js';
import { signedMsiBytes, signedMsiFixtures } from '../../../test/fixtures/msi/signed-fixtures.js';
import { isCountersignError } from '../../core/errors.js';
import { type CompoundEntry, readCompoundFile, readCompoundTree } from './compound-file.js';

function flatten(entry: CompoundEntry, parents: readonly string[] = []): Array<[string, Buffer]> {
  return entry.children.flatMap((child) =>
    child.kind === 'stream'
      ? [[[...parents, child.name].join('/'), Buffer.from(child.bytes)] as [string, Buffer]]
      : flatten(child, [...parents, child.name]),
  );
}

const inputs = [
  ...msiFixtures()
    .filter((name) => name.endsWith('.msi'))
    .map((name) => [name, msiFixtureBytes(name)] as const),
  ...signedMsiFixtures().map((name) => [`signed/${name}`, signedMsiBytes(name)] as const),
];

describe('when the storage tree of an MSI is read', () => {
  it.each(inputs)('%s holds the same streams as readCompoundFile', (_name, bytes) => {
    const tree = new Map(flatten(readCompoundTree(bytes)));
    const streams = new Map(readCompoundFile(bytes).map((s) => [s.path.join('/'), Buffer.from(s.bytes)]));
    expect(tree.size).toBeGreaterThan(10);
    expect(tree).toEqual(streams);
  });

  it.each(inputs)(
    '%s gives each entry the CLSID, state bits and size the cfb package reads',
    (_name, bytes) => {
      const tree = readCompoundTree(bytes);
      const reference = CFB.parse(Buffer.from(bytes));
      const root = reference.FileIndex[0]!;
      // An MSI database's root CLSID: {000C1084-0000-0000-C000-000000000046}, stored mixed-endian.
      expect(Buffer.from(tree.clsid).toString('hex')).toBe('84100c0000000000c000000000000046');
      expect(Buffer.from(tree.clsid).toString('hex')).toBe(root.clsid);
      const byName = new Map(reference.FileIndex.map((entry) => [entry.name, entry]));
      for (const child of tree.children) {
        const theirs = byName.get(child.name);
        expect(theirs, child.name).toBeDefined();
        expect(Buffer.from(child.clsid).toString('hex')).toBe(theirs?.clsid);
        expect(new DataView(child.stateBits.buffer, child.stateBits.byteOffset, 4).getUint32(0, true)).toBe(
          theirs?.state,
        );
        if (child.kind === 'stream') expect(child.declaredSize).toBe(theirs?.size);
      }
    },
  );
});

describe('when the tree of a damaged file is read', () => {
  it('gives a tree or a typed error at every 97th cut', () => {
    const original = signedMsiBytes('signed-dse.msi');
    for (let cut = 0; cut < original.length; cut += 97) {
      try {
        readCompoundTree(original.subarray(0, cut));
      } catch (error) {
        expect(isCountersignError(error), `cut at ${cut}: ${String(error)}`).toBe(true);
      }
    }
  });
});
