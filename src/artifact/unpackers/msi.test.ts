import { describe, expect, it } from 'vitest';
import { byName, collect } from '../../../test/fixtures/archives/harness.js';
import {
  msiFixtureNode,
  referenceExtraction,
  referenceSignatureStream,
  sha256,
} from '../../../test/fixtures/msi/reference.js';
import { isCountersignError } from '../../core/errors.js';
import { memoryNode } from '../memory-node.js';
import { msiUnpacker } from './msi.js';

/** msiextract names the standard folder ProgramFilesFolder by its English folder name. */
function asMsiextractPath(installPath: string): string {
  return installPath.replace(/^ProgramFilesFolder\//, 'Program Files/');
}

describe('when an MSI built by wixl is unpacked', () => {
  it('yields the files of its embedded cabinet under their installed paths, as msiextract does', async () => {
    const result = await collect(msiUnpacker, msiFixtureNode('exampledesk.msi'));
    expect(result.error).toBeUndefined();
    const files = result.entries.filter((item) => item.entry.name.startsWith('ProgramFilesFolder/'));
    expect(files.map((item) => item.entry.name).sort()).toEqual([
      'ProgramFilesFolder/ExampleDesk/ExampleDesk.exe',
      'ProgramFilesFolder/ExampleDesk/ffmpeg.dll',
      'ProgramFilesFolder/ExampleDesk/resources/app-config.json',
    ]);
    const reference = referenceExtraction('msiextract', 'exampledesk.msi');
    if (reference.source === 'recorded')
      console.info('msiextract is not installed: comparing with its recorded output');
    const ours = new Map(
      files.map((item) => [
        asMsiextractPath(item.entry.name),
        sha256(item.content?.bytes ?? new Uint8Array()),
      ]),
    );
    expect(ours).toEqual(reference.files);
    for (const item of files) expect(item.content?.bytes.length).toBe(item.entry.declaredSize);
  });

  it('names a file by its long file name, not by its File key', async () => {
    const result = await collect(msiUnpacker, msiFixtureNode('exampledesk.msi'));
    // The .wxs gives this file the key `app.asar.txt`: that is its name inside the cabinet only.
    expect(result.entries.some((item) => item.entry.name.includes('app.asar.txt'))).toBe(false);
    expect(
      byName(result, 'ProgramFilesFolder/ExampleDesk/resources/app-config.json')?.content?.bytes.toString(),
    ).toContain('exampledesk');
  });

  it('does not yield the cabinet stream again, nor the table streams', async () => {
    const result = await collect(msiUnpacker, msiFixtureNode('exampledesk.msi'));
    const names = result.entries.map((item) => item.entry.name);
    expect(names).not.toContain('ExampleDesk.cab');
    expect(names).not.toContain('File');
    expect(names).toContain('[5]SummaryInformation');
  });
});

describe('when the MSI carries custom-action code in its Binary table', () => {
  it('exposes the stream as Binary.<key>, with the bytes build.sh put there', async () => {
    const result = await collect(msiUnpacker, msiFixtureNode('exampledesk.msi'));
    const helper = byName(result, 'Binary.SetupHelper');
    expect(helper?.content?.bytes.toString()).toBe('inert stand-in for a custom action DLL\n');
  });
});

describe('when the MSI is signed', () => {
  it('exposes the \\x05DigitalSignature stream as the entry [5]DigitalSignature, as msiinfo extracts it', async () => {
    const result = await collect(msiUnpacker, msiFixtureNode('exampledesk-signed.msi'));
    const signature = byName(result, '[5]DigitalSignature');
    expect(signature?.content?.bytes[0]).toBe(0x30); // a DER SEQUENCE: the PKCS#7 SignedData
    const reference = referenceSignatureStream('exampledesk-signed.msi');
    if (reference.source === 'recorded')
      console.info('msiinfo is not installed: comparing with its recorded output');
    expect(sha256(signature?.content?.bytes ?? new Uint8Array())).toBe(
      reference.files.get('[5]DigitalSignature'),
    );
  });

  it('has no such entry when unsigned', async () => {
    const result = await collect(msiUnpacker, msiFixtureNode('exampledesk.msi'));
    expect(byName(result, '[5]DigitalSignature')).toBeUndefined();
  });
});

describe('when the cabinet lies beside the MSI (EmbedCab="no")', () => {
  it('records each file as external content, named by its installed path', async () => {
    const result = await collect(msiUnpacker, msiFixtureNode('exampledesk-external.msi'));
    expect(result.error).toBeUndefined();
    const dll = byName(result, 'ProgramFilesFolder/ExampleDesk/ffmpeg.dll')?.entry;
    expect(dll?.problem?.code).toBe('E_ARCHIVE_EXTERNAL_CONTENT');
    expect(dll?.problem?.details).toEqual({ cabinet: 'ExampleDesk.cab' });
    // The File table still gives its size: the same as the embedded copy in exampledesk.msi.
    const embedded = await collect(msiUnpacker, msiFixtureNode('exampledesk.msi'));
    expect(dll?.declaredSize).toBe(
      byName(embedded, 'ProgramFilesFolder/ExampleDesk/ffmpeg.dll')?.content?.bytes.length,
    );
    expect(dll?.open).toBeUndefined();
  });
});

describe('when the input is a compound file but not an MSI', () => {
  it('gives a typed error for bytes that are not a compound file at all', async () => {
    const bytes = new Uint8Array(600);
    bytes.set([0xd0, 0xcf, 0x11, 0xe0, 0xa1, 0xb1, 0x1a, 0xe1]);
    const result = await collect(msiUnpacker, memoryNode(bytes, { name: 'broken.msi' }));
    expect(isCountersignError(result.error)).toBe(true);
  });
});
