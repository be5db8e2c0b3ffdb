// One process unpacking an MSI or a CAB with Countersign's unpackers (from the build in dist/),
// reading every entry's content to its end, as a scan does. Prints one JSON line: the entries
// with the sha256 of their content, so the bench can compare them with the reference tool's files.
// Usage: node unpack-worker.mjs <dist dir> <file.msi|file.cab>
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { pathToFileURL } from 'node:url';

const [dist, input] = process.argv.slice(2);
const load = (path) => import(pathToFileURL(join(dist, path)).href);
const { memoryNode } = await load('artifact/memory-node.js');
const { DEFAULT_LIMITS } = await load('core/limits.js');
const { msiUnpacker } = await load('artifact/unpackers/msi.js');
const { cabUnpacker } = await load('artifact/unpackers/cab.js');

const unpacker = input.endsWith('.msi') ? msiUnpacker : cabUnpacker;
const node = memoryNode(new Uint8Array(await readFile(input)), { name: basename(input) });
const entries = [];
let bytes = 0;
for await (const entry of unpacker.unpack(node, { limits: DEFAULT_LIMITS })) {
  if (!entry.open) {
    entries.push({ name: entry.name, problem: entry.problem?.code ?? 'no content' });
    continue;
  }
  const hash = createHash('sha256');
  let size = 0;
  for await (const chunk of await entry.open()) {
    hash.update(chunk);
    size += chunk.length;
  }
  bytes += size;
  entries.push({ name: entry.name, size, sha256: hash.digest('hex') });
}
console.log(JSON.stringify({ entries, bytes }));
