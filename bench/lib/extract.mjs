// Extracts the artifact with the reference tools (unzip, tar) into bench/.work/extracted/, so the
// reference hash runs over exactly the bytes a recursive scan must digest: the input itself, every
// nested container, and every file inside them. (A .tgz counts as one level: the scan's gzip
// unpacker yields the tar's entries directly, so the intermediate .tar is no node of its own.)
import { existsSync } from 'node:fs';
import { mkdir, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { freeBytes, GiB, run } from './sys.mjs';

async function listFiles(root) {
  const out = [];
  const walk = async (dir) => {
    const entries = await readdir(dir, { withFileTypes: true });
    entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    for (const entry of entries) {
      const full = join(dir, entry.name);
      if (entry.isDirectory()) await walk(full);
      else if (entry.isFile() && entry.name !== '.stamp') out.push(full);
    }
  };
  await walk(root);
  return out;
}

/**
 * Returns { root, files, bytes } where `files` is the artifact plus every extracted file at every
 * level; extracts first unless the stamp says this artifact is already there.
 */
export async function ensureExtracted(workDir, manifest, log) {
  const root = join(workDir, 'extracted');
  const stampPath = join(root, '.stamp');
  const stamp = `${manifest.variant} ${manifest.artifactSha256}\n`;
  const isCurrent = existsSync(stampPath) && (await readFile(stampPath, 'utf8')) === stamp;
  if (!isCurrent) {
    await rm(root, { recursive: true, force: true });
    const needed = manifest.artifactBytes + manifest.expected.leafBytes;
    const free = await freeBytes(workDir);
    if (free < needed * 1.1) {
      throw new Error(
        `not enough disk to extract: ${(free / GiB).toFixed(1)} GiB free, ${(needed / GiB).toFixed(1)} GiB needed`,
      );
    }
    log(`reference: extracting ${manifest.variant} artifact into ${root} (unzip, tar) ...`);
    const outer = join(root, 'outer');
    await mkdir(outer, { recursive: true });
    await run('unzip', ['-q', manifest.artifact, '-d', outer]);
    const smallDir = join(root, 'small-files.zip.d');
    await run('unzip', ['-q', join(outer, 'small-files.zip'), '-d', smallDir]);
    const packageDir = join(root, 'package.tgz.d');
    await mkdir(packageDir, { recursive: true });
    await run('tar', ['-xzf', join(outer, 'package.tgz'), '-C', packageDir]);
    await writeFile(stampPath, stamp);
  }
  const files = [manifest.artifact, ...(await listFiles(root))];
  let bytes = 0;
  for (const file of files) bytes += (await stat(file)).size;
  const extractedFiles = files.length - 1;
  const expectedFiles = manifest.expected.files;
  if (extractedFiles !== expectedFiles) {
    throw new Error(
      `extraction gave ${extractedFiles} files, the generator made ${expectedFiles}: ` +
        `check ${relative(process.cwd(), root)}`,
    );
  }
  return { root, files, bytes };
}

export async function removeExtracted(workDir) {
  await rm(join(workDir, 'extracted'), { recursive: true, force: true });
}
