/**
 * The Huffman-coded LZX cabinet (test/fixtures/msi/lzx/, made by make-lzx-huffman-cab.mjs): a
 * verbatim block over three 32 KiB frames with literals, explicit and repeated offsets and long
 * matches. The lzx.cab beside the other fixtures holds only an uncompressed LZX block.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { collect, positions, untypedError, within } from '../../../test/fixtures/archives/harness.js';
import { hasTool, sha256 } from '../../../test/fixtures/msi/reference.js';
import { memoryNode } from '../memory-node.js';
import { cabUnpacker } from './cab.js';

const LZX_DIR = join(dirname(fileURLToPath(import.meta.url)), '../../../test/fixtures/msi/lzx');
const NAME = 'lzx-huffman.cab';
const bytes = new Uint8Array(readFileSync(join(LZX_DIR, NAME)));

/** name -> sha256 of what cabextract extracts: run now when installed, else the recorded list. */
function cabextractListing(): { source: 'live' | 'recorded'; files: Map<string, string> } {
  if (!hasTool('cabextract')) {
    const files = new Map<string, string>();
    for (const line of readFileSync(join(LZX_DIR, `${NAME}.cabextract.txt`), 'utf8').split('\n')) {
      const match = /^([0-9a-f]{64}) {2}(.+)$/.exec(line);
      if (match?.[1] && match[2]) files.set(match[2], match[1]);
    }
    return { source: 'recorded', files };
  }
  const dir = mkdtempSync(join(tmpdir(), 'countersign-cabextract-'));
  try {
    execFileSync('cabextract', ['-q', '-d', dir, join(LZX_DIR, NAME)]);
    return {
      source: 'live',
      files: new Map(readdirSync(dir).map((name) => [name, sha256(readFileSync(join(dir, name)))])),
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

describe('when a Huffman-coded LZX cabinet is unpacked', () => {
  it('extracts every file byte for byte as cabextract does', async () => {
    const result = await collect(cabUnpacker, memoryNode(bytes, { name: NAME }));
    expect(result.error).toBeUndefined();
    const reference = cabextractListing();
    console.info(`cabextract: ${reference.source === 'live' ? 'run now' : 'not installed, recorded output'}`);
    expect(reference.files.size).toBe(3);
    const ours = new Map(
      result.entries.map((item) => [item.entry.name, sha256(item.content?.bytes ?? new Uint8Array())]),
    );
    expect(ours).toEqual(reference.files);
    const notes = result.entries.find((item) => item.entry.name === 'notes.txt');
    const folderBytes = result.entries.reduce((sum, item) => sum + (item.content?.bytes.length ?? 0), 0);
    expect(folderBytes).toBeGreaterThan(2 * 32768); // the folder spans three frames
    expect(notes?.content?.bytes.toString().split('\n').at(-2)).toMatch(/^01399 /);
  });

  it('gives entries or a typed error when cut or flipped (a few positions: 7-Zip WASM is slow)', async () => {
    for (const cut of positions(bytes.length, 12)) {
      const outcome = await within(
        10_000,
        `cut ${cut}`,
        collect(cabUnpacker, memoryNode(bytes.slice(0, cut), { name: NAME })),
      );
      expect(untypedError(outcome), `cut at ${cut}`).toBeUndefined();
    }
    for (const at of positions(bytes.length, 12)) {
      const damaged = bytes.slice();
      damaged[at] = (damaged[at] ?? 0) ^ 0xff;
      const outcome = await within(
        10_000,
        `flip ${at}`,
        collect(cabUnpacker, memoryNode(damaged, { name: NAME })),
      );
      expect(untypedError(outcome), `flip at ${at}`).toBeUndefined();
    }
  });
});
