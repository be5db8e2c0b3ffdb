/**
 * The cabinets whose folders go through 7-Zip WASM, written by the scripts in test/fixtures/msi/
 * (no tool here writes them): `lzx/lzx-huffman.cab`, a Huffman-coded LZX verbatim block over three
 * 32 KiB frames with literals, explicit and repeated offsets and long matches (the lzx.cab beside
 * the other fixtures holds only an uncompressed LZX block), and `quantum/quantum.cab`, Quantum's
 * adaptive arithmetic code over all four literal models with many model rescales; and
 * `lzx/exampledesk-lzx.msi`, the wixl MSI with its embedded cabinet swapped for an LZX one.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { collect, positions, untypedError, within } from '../../../test/fixtures/archives/harness.js';
import { hasTool, referenceExtraction, sha256 } from '../../../test/fixtures/msi/reference.js';
import { memoryNode } from '../memory-node.js';
import { cabUnpacker } from './cab.js';
import { msiUnpacker } from './msi.js';

const MSI_FIXTURES = join(dirname(fileURLToPath(import.meta.url)), '../../../test/fixtures/msi');

/** name -> sha256 of what cabextract extracts: run now when installed, else the recorded list. */
function cabextractListing(path: string): { source: 'live' | 'recorded'; files: Map<string, string> } {
  if (!hasTool('cabextract')) {
    const files = new Map<string, string>();
    for (const line of readFileSync(`${path}.cabextract.txt`, 'utf8').split('\n')) {
      const match = /^([0-9a-f]{64}) {2}(.+)$/.exec(line);
      if (match?.[1] && match[2]) files.set(match[2], match[1]);
    }
    return { source: 'recorded', files };
  }
  const dir = mkdtempSync(join(tmpdir(), 'countersign-cabextract-'));
  try {
    execFileSync('cabextract', ['-q', '-d', dir, path]);
    return {
      source: 'live',
      files: new Map(readdirSync(dir).map((name) => [name, sha256(readFileSync(join(dir, name)))])),
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

describe.each([
  ['lzx/lzx-huffman.cab', 3, 'a Huffman-coded LZX folder'],
  ['quantum/quantum.cab', 2, 'a Quantum folder'],
])('when %s (%s files, %s) is unpacked', (relative, count) => {
  const path = join(MSI_FIXTURES, relative);
  const bytes = new Uint8Array(readFileSync(path));
  const name = relative.split('/').pop() ?? relative;

  it('extracts every file byte for byte as cabextract does', async () => {
    const result = await collect(cabUnpacker, memoryNode(bytes, { name }));
    expect(result.error).toBeUndefined();
    const reference = cabextractListing(path);
    console.info(`cabextract: ${reference.source === 'live' ? 'run now' : 'not installed, recorded output'}`);
    expect(reference.files.size).toBe(count);
    const ours = new Map(
      result.entries.map((item) => [item.entry.name, sha256(item.content?.bytes ?? new Uint8Array())]),
    );
    expect(ours).toEqual(reference.files);
    for (const item of result.entries) expect(item.content?.bytes.length).toBe(item.entry.declaredSize);
  });

  it('gives entries or a typed error when cut or flipped (a few positions: 7-Zip WASM is slow)', async () => {
    for (const cut of positions(bytes.length, 12)) {
      const outcome = await within(
        10_000,
        `cut ${cut}`,
        collect(cabUnpacker, memoryNode(bytes.slice(0, cut), { name })),
      );
      expect(untypedError(outcome), `cut at ${cut}`).toBeUndefined();
    }
    for (const at of positions(bytes.length, 12)) {
      const damaged = bytes.slice();
      damaged[at] = (damaged[at] ?? 0) ^ 0xff;
      const outcome = await within(10_000, `flip ${at}`, collect(cabUnpacker, memoryNode(damaged, { name })));
      expect(untypedError(outcome), `flip at ${at}`).toBeUndefined();
    }
  });
});

describe('when the Huffman-coded LZX folder spans frames', () => {
  it('decodes all three 32 KiB frames', async () => {
    const bytes = new Uint8Array(readFileSync(join(MSI_FIXTURES, 'lzx/lzx-huffman.cab')));
    const result = await collect(cabUnpacker, memoryNode(bytes, { name: 'lzx-huffman.cab' }));
    const folderBytes = result.entries.reduce((sum, item) => sum + (item.content?.bytes.length ?? 0), 0);
    expect(folderBytes).toBeGreaterThan(2 * 32768);
    const notes = result.entries.find((item) => item.entry.name === 'notes.txt');
    expect(notes?.content?.bytes.toString().split('\n').at(-2)).toMatch(/^01399 /);
  });
});

describe('when an MSI embeds an LZX cabinet (as WiX builds often do)', () => {
  it('installs the same files, byte for byte, as msiextract gives from the MSZIP build', async () => {
    const bytes = new Uint8Array(readFileSync(join(MSI_FIXTURES, 'lzx/exampledesk-lzx.msi')));
    const result = await collect(msiUnpacker, memoryNode(bytes, { name: 'exampledesk-lzx.msi' }));
    expect(result.error).toBeUndefined();
    const files = result.entries.filter((item) => item.entry.name.startsWith('ProgramFilesFolder/'));
    // msiextract cannot read LZX (libgcab: MSZIP only): its output for the MSZIP build is the reference.
    const reference = referenceExtraction('msiextract', 'exampledesk.msi');
    console.info(`msiextract: ${reference.source === 'live' ? 'run now' : 'not installed, recorded output'}`);
    const ours = new Map(
      files.map((item) => [
        item.entry.name.replace(/^ProgramFilesFolder\//, 'Program Files/'),
        sha256(item.content?.bytes ?? new Uint8Array()),
      ]),
    );
    expect(ours.size).toBe(3);
    expect(ours).toEqual(reference.files);
  });
});
