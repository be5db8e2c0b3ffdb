import { describe, expect, it } from 'vitest';
import { byName, collect } from '../../../test/fixtures/archives/harness.js';
import {
  msiFixtureBytes,
  msiFixtureNode,
  referenceExtraction,
  sha256,
} from '../../../test/fixtures/msi/reference.js';
import { isCountersignError } from '../../core/errors.js';
import { memoryNode } from '../memory-node.js';
import { cabUnpacker } from './cab.js';

describe.each([
  ['mszip.cab', 'MSZIP folders (gcab -z)'],
  ['stored.cab', 'uncompressed folders (gcab)'],
  ['lzx.cab', 'an LZX folder, through 7-Zip WASM'],
])('when %s (%s) is unpacked', (name) => {
  it('extracts every file byte for byte as cabextract does', async () => {
    const result = await collect(cabUnpacker, msiFixtureNode(name));
    expect(result.error).toBeUndefined();
    const reference = referenceExtraction('cabextract', name);
    if (reference.source === 'recorded')
      console.info('cabextract is not installed: comparing with its recorded output');
    expect(reference.files.size).toBeGreaterThan(0);
    const ours = new Map(
      result.entries.map((item) => [item.entry.name, sha256(item.content?.bytes ?? new Uint8Array())]),
    );
    expect(ours).toEqual(reference.files);
    for (const item of result.entries) {
      expect(item.content?.error).toBeUndefined();
      expect(item.content?.bytes.length).toBe(item.entry.declaredSize);
      expect(item.entry.mtime).toBeInstanceOf(Date);
    }
  });
});

describe('when a file spans MSZIP blocks', () => {
  it('decodes later blocks against the previous block as their dictionary', async () => {
    const result = await collect(cabUnpacker, msiFixtureNode('mszip.cab'));
    const dll = byName(result, 'ffmpeg.dll')?.content?.bytes.toString() ?? '';
    expect(dll.length).toBeGreaterThan(32768);
    expect(dll.split('\n').at(-2)).toBe('filler line 3000');
  });
});

/** Rewrites one little-endian field of a copy of `bytes`. */
function patched(bytes: Uint8Array, offset: number, value: number, width: 2 | 4): Uint8Array {
  const copy = bytes.slice();
  const view = new DataView(copy.buffer);
  if (width === 2) view.setUint16(offset, value, true);
  else view.setUint32(offset, value, true);
  return copy;
}

describe('when the cabinet is hostile', () => {
  const original = msiFixtureBytes('mszip.cab');
  const filesOffset = new DataView(original.buffer).getUint32(16, true);

  it('refuses a file that refers to a folder that does not exist', async () => {
    const bytes = patched(original, filesOffset + 8, 7, 2);
    const result = await collect(cabUnpacker, memoryNode(bytes, { name: 'bad-folder.cab' }));
    expect(isCountersignError(result.error) && result.error.code).toBe('E_ARCHIVE_CORRUPT');
  });

  it('gives a file that reaches past its folder a typed read error, and still reads the others', async () => {
    const bytes = patched(original, filesOffset, 0x7fffffff, 4); // ffmpeg.dll claims 2 GiB
    const result = await collect(cabUnpacker, memoryNode(bytes, { name: 'long-file.cab' }), {
      maxBytesPerEntry: 1 << 20,
    });
    const dll = byName(result, 'ffmpeg.dll');
    expect(isCountersignError(dll?.content?.error) && dll?.content?.error.code).toBe('E_ARCHIVE_CORRUPT');
    expect(byName(result, 'ExampleDesk.exe')?.content?.bytes.length).toBe(84);
  });

  it('reports a continued file of a cabinet set as external content', async () => {
    const bytes = patched(original, filesOffset + 8, 0xfffd, 2);
    const result = await collect(cabUnpacker, memoryNode(bytes, { name: 'continued.cab' }));
    expect(byName(result, 'ffmpeg.dll')?.entry.problem?.code).toBe('E_ARCHIVE_EXTERNAL_CONTENT');
  });

  it('reports a damaged MSZIP block as corrupt, not as a crash', async () => {
    const folderData = new DataView(original.buffer).getUint32(36, true);
    const bytes = original.slice();
    bytes[folderData + 8] = 0x58; // 'CK' -> 'XK'
    const result = await collect(cabUnpacker, memoryNode(bytes, { name: 'bad-block.cab' }));
    const dll = byName(result, 'ffmpeg.dll');
    expect(isCountersignError(dll?.content?.error) && dll?.content?.error.code).toBe('E_ARCHIVE_CORRUPT');
  });

  it('reports an LZX folder that 7-Zip cannot decode as corrupt', async () => {
    const lzx = msiFixtureBytes('lzx.cab');
    const dataOffset = new DataView(lzx.buffer).getUint32(36, true);
    const bytes = patched(lzx, dataOffset + 8, 0xffff, 2); // a block type no LZX stream has
    const result = await collect(cabUnpacker, memoryNode(bytes, { name: 'bad-lzx.cab' }));
    const first = result.entries[0];
    expect(isCountersignError(first?.openError) || isCountersignError(first?.content?.error)).toBe(true);
  });
});
