// One process verifying every PE file in a folder with Countersign's Authenticode code (from the
// build in dist/): the layout, the image digest, the PKCS#7 signature and the chain to a trust
// anchor. Prints one JSON line: how many files, signatures, and how many verified.
// Usage: node authenticode-worker.mjs <dist dir> <folder> <trust anchor PEM>
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';

const [dist, folder, anchorPem] = process.argv.slice(2);
const load = (path) => import(pathToFileURL(join(dist, path)).href);
const { getAuthenticodeLayout } = await load('formats/pe/authenticode-layout.js');
const { inspectAuthenticode } = await load('formats/authenticode/inspect.js');

const pem = await readFile(anchorPem, 'utf8');
const anchor = new Uint8Array(Buffer.from(pem.replace(/-----[^-]+-----/g, '').replace(/\s+/g, ''), 'base64'));
const names = (await readdir(folder)).filter((name) => /\.(dll|exe|efi|sys)$/.test(name)).sort();
const summary = { files: names.length, signatures: 0, valid: 0, invalidFiles: [] };
for (const name of names) {
  const bytes = new Uint8Array(await readFile(join(folder, name)));
  const report = await inspectAuthenticode(bytes, getAuthenticodeLayout(bytes), { trustAnchors: [anchor] });
  summary.signatures += report.signatures.length;
  const valid = report.signatures.filter((signature) => signature.isValid).length;
  summary.valid += valid;
  if (valid === 0 || report.malformed.length > 0) summary.invalidFiles.push(name);
}
console.log(JSON.stringify(summary));
