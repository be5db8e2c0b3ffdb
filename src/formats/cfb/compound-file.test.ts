import CFB from 'cfb';
import { describe, expect, it } from 'vitest';
import { msiFixtureBytes, msiFixtures } from '../../../test/fixtures/msi/reference.js';
import { isCountersignError } from '../../core/errors.js';
import { readCompoundFile } from './compound-file.js';

const msis = msiFixtures().filter((name) => name.endsWith('.msi'));

describe('when a compound file made by wixl and osslsigncode is read', () => {
  it.each(msis)('%s gives the same streams, byte for byte, as the cfb package', (name) => {
    const bytes = msiFixtureBytes(name);
    const ours = new Map(
      readCompoundFile(bytes).map((stream) => [stream.path.join('/'), Buffer.from(stream.bytes)]),
    );
    const reference = CFB.parse(Buffer.from(bytes));
    const theirs = new Map<string, Buffer>();
    reference.FileIndex.forEach((entry, index) => {
      if (entry.type !== 2) return;
      const path = (reference.FullPaths[index] ?? '').split('/').slice(1).join('/');
      theirs.set(path, Buffer.from((entry.content as Uint8Array).subarray(0, entry.size)));
    });
    expect(ours.size).toBeGreaterThan(10);
    expect(ours).toEqual(theirs);
  });
});

describe('when the header or the tables are damaged', () => {
  // The cfb package aborts the whole process (V8 "invalid size") on some of these; ours must not.
  it('gives streams or a typed error for every header byte set to 0, 0x7f, 0xfe or 0xff', () => {
    const original = msiFixtureBytes('exampledesk-signed.msi');
    let failures = 0;
    for (let at = 0; at < 512; at++) {
      for (const value of [0, 0x7f, 0xfe, 0xff]) {
        const bytes = original.slice();
        bytes[at] = value;
        try {
          readCompoundFile(bytes);
        } catch (error) {
          expect(isCountersignError(error), `header byte ${at} = ${value}: ${String(error)}`).toBe(true);
          failures++;
        }
      }
    }
    expect(failures).toBeGreaterThan(0);
  });

  it('gives streams or a typed error for special sector numbers written over every FAT and directory word', () => {
    const original = msiFixtureBytes('exampledesk.msi');
    for (let at = 512; at < original.length; at += 4) {
      for (const value of [0xffffffff, 0xfffffffe, 0xfffffffd, 0, 1, 0x7fffffff]) {
        const bytes = original.slice();
        new DataView(bytes.buffer).setUint32(at, value, true);
        try {
          readCompoundFile(bytes);
        } catch (error) {
          expect(isCountersignError(error), `word at ${at} = ${value}: ${String(error)}`).toBe(true);
        }
      }
    }
  });
});
