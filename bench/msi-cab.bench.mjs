// MSI and CAB extraction: Countersign's unpackers (one process, every entry read to its end) against
// the Debian reference tools on the same file: `msiextract` on an MSI built by wixl (an embedded
// MSZIP cabinet), `cabextract` on an MSZIP cabinet (gcab -z) and on an LZX cabinet (written by
// test/fixtures/msi/make-lzx-huffman-cab.mjs: no Debian tool writes LZX). Prints each ratio of wall
// times (medians) and checks that both sides extracted the same bytes.
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { measure } from './lib/measure.mjs';
import { createRng, keystream } from './lib/prng.mjs';
import { formatSeconds, MB, median } from './lib/stats.mjs';
import { hasCommand, run as runCommand, waitForIdle } from './lib/sys.mjs';

export const id = 'msi-cab';
export const title = 'MSI/CAB extraction: Countersign vs msiextract / cabextract';

/** Bump when the generated files would come out different. */
const SET_VERSION = 1;
const FILE_COUNT = 24;
/** The LZX cabinet packs the first files up to this many bytes (the encoder is plain JavaScript). */
const LZX_BYTES = 4 * 1024 * 1024;

/** Deterministic inputs: half text that compresses (~4:1), half random bytes. */
async function generateInputs(srcDir) {
  const rng = createRng('msi-cab-bench');
  const random = keystream('msi-cab-bench');
  const words = ['countersign', 'bench', 'installer', 'cabinet', 'example', 'invalid', 'update', 'resource'];
  const files = [];
  for (let i = 0; i < FILE_COUNT; i++) {
    const size = rng.int(256 * 1024, 1024 * 1024);
    const name =
      i % 2 === 0 ? `text-${String(i).padStart(2, '0')}.txt` : `blob-${String(i).padStart(2, '0')}.bin`;
    let data;
    if (i % 2 === 0) {
      const lines = [];
      let length = 0;
      while (length < size) {
        const line = `${String(length).padStart(8, '0')} ${Array.from({ length: rng.int(3, 9) }, () => rng.pick(words)).join(' ')}\n`;
        lines.push(line);
        length += line.length;
      }
      data = Buffer.from(lines.join('')).subarray(0, size);
    } else {
      data = random.next(size);
    }
    await writeFile(join(srcDir, name), data);
    files.push({ name, size });
  }
  return files;
}

function wxs(files) {
  const components = files
    .map(
      (file, i) =>
        `          <Component Id="C${i}" Guid="6F1E2D3C-4B5A-4978-8695-A4B3C2D1E0${String(i).padStart(2, '0')}">\n` +
        `            <File Id="F${i}" Name="${file.name}" Source="src/${file.name}" />\n          </Component>`,
    )
    .join('\n');
  return `<?xml version="1.0" encoding="utf-8"?>
<Wix xmlns="http://schemas.microsoft.com/wix/2006/wi">
  <Product Id="3D7A4C2B-1E0F-4A9B-8C7D-6E5F4A3B2C10" Name="BenchDesk" Language="1033" Version="1.0.0"
           Manufacturer="Example Corp" UpgradeCode="9A8B7C6D-5E4F-4A3B-2C1D-0E9F8A7B6C5D">
    <Package InstallerVersion="200" Compressed="yes" Comments="Countersign bench (inert)" />
    <Media Id="1" Cabinet="BenchDesk.cab" EmbedCab="yes" />
    <Directory Id="TARGETDIR" Name="SourceDir">
      <Directory Id="ProgramFilesFolder">
        <Directory Id="INSTALLDIR" Name="BenchDesk">
${components}
        </Directory>
      </Directory>
    </Directory>
    <Feature Id="Complete" Level="1">
${files.map((_, i) => `      <ComponentRef Id="C${i}" />`).join('\n')}
    </Feature>
  </Product>
</Wix>
`;
}

async function ensureInputs(workDir, repoRoot, log) {
  const dir = join(workDir, 'msi-cab');
  const stampPath = join(dir, '.stamp');
  const stamp = `v${SET_VERSION} ${FILE_COUNT} ${LZX_BYTES}\n`;
  const paths = {
    dir,
    msi: join(dir, 'bench.msi'),
    mszip: join(dir, 'mszip.cab'),
    lzx: join(dir, 'lzx.cab'),
  };
  if (existsSync(stampPath) && (await readFile(stampPath, 'utf8')) === stamp) return paths;
  log('msi-cab: generating the inputs (wixl, gcab, the LZX encoder) ...');
  await rm(dir, { recursive: true, force: true });
  const srcDir = join(dir, 'src');
  await mkdir(srcDir, { recursive: true });
  const files = await generateInputs(srcDir);
  await writeFile(join(dir, 'bench.wxs'), wxs(files));
  await runCommand('wixl', ['-o', paths.msi, 'bench.wxs'], {
    cwd: dir,
    env: { ...process.env, SOURCE_DATE_EPOCH: '1700000000' },
  });
  await runCommand('gcab', ['-c', '-z', paths.mszip, ...files.map((file) => file.name)], { cwd: srcDir });
  const lzxFiles = [];
  let total = 0;
  for (const file of files) {
    if (total + file.size > LZX_BYTES) break;
    lzxFiles.push(join(srcDir, file.name));
    total += file.size;
  }
  await runCommand(process.execPath, [
    join(repoRoot, 'test', 'fixtures', 'msi', 'make-lzx-huffman-cab.mjs'),
    paths.lzx,
    '--files',
    ...lzxFiles,
  ]);
  await writeFile(stampPath, stamp);
  return paths;
}

async function hashTree(root) {
  const out = new Map();
  const walk = async (dir) => {
    for (const entry of await readdir(dir, { withFileTypes: true })) {
      const full = join(dir, entry.name);
      if (entry.isDirectory()) await walk(full);
      else
        out.set(
          relative(root, full),
          createHash('sha256')
            .update(await readFile(full))
            .digest('hex'),
        );
    }
  };
  await walk(root);
  return out;
}

/** Countersign's entries, named as the reference tool names the files it writes. */
function countersignFiles(summary, kind) {
  const files = new Map();
  for (const entry of summary.entries) {
    if (!entry.sha256) continue;
    if (kind === 'msi') {
      if (!entry.name.startsWith('ProgramFilesFolder/')) continue; // streams and tables: not files
      files.set(entry.name.replace(/^ProgramFilesFolder\//, 'Program Files/'), entry.sha256);
    } else files.set(entry.name, entry.sha256);
  }
  return files;
}

async function benchOne({ options, workDir, repoRoot, log }, kind, input, tool) {
  const outDir = join(workDir, 'msi-cab', `out-${tool}`);
  const summaryPath = join(
    workDir,
    'msi-cab',
    `countersign-${relative(join(workDir, 'msi-cab'), input)}.json`,
  );
  const dist = join(repoRoot, 'dist');
  const reference = async () => {
    await rm(outDir, { recursive: true, force: true });
    await mkdir(outDir, { recursive: true });
    const args = tool === 'msiextract' ? ['-C', outDir, input] : ['-q', '-d', outDir, input];
    return measure(tool, args);
  };
  const countersign = () =>
    measure('sh', [
      '-c',
      `exec "$0" "$@" > "${summaryPath}"`,
      process.execPath,
      join(repoRoot, 'bench', 'lib', 'unpack-worker.mjs'),
      dist,
      input,
    ]);
  const theirs = [];
  const ours = [];
  for (let i = 0; i < options.runs; i++) {
    if (options.idleWaitSeconds > 0) {
      await waitForIdle({ minIdle: options.minIdle, timeoutMs: options.idleWaitSeconds * 1000, log });
    }
    const ref = await reference();
    log(
      `  ${tool} ${kind} run ${i + 1}/${options.runs}: ${formatSeconds(ref.wallMs)} (exit ${ref.exitCode})`,
    );
    theirs.push(ref);
    const run = await countersign();
    log(
      `  countersign ${kind} run ${i + 1}/${options.runs}: ${formatSeconds(run.wallMs)} (exit ${run.exitCode})`,
    );
    ours.push(run);
  }
  const referenceFiles = await hashTree(outDir);
  const summary = JSON.parse((await readFile(summaryPath, 'utf8')).trim() || '{"entries":[]}');
  const ourFiles = countersignFiles(summary, kind);
  const mismatched = [...referenceFiles]
    .filter(([name, digest]) => ourFiles.get(name) !== digest)
    .map(([n]) => n);
  const extra = [...ourFiles.keys()].filter((name) => !referenceFiles.has(name));
  const oursMs = median(ours.map((r) => r.wallMs));
  const theirsMs = median(theirs.map((r) => r.wallMs));
  const failed = [...ours, ...theirs].find((r) => r.exitCode !== 0);
  return {
    kind,
    tool,
    input,
    inputBytes: (await stat(input)).size,
    extractedBytes: summary.bytes,
    files: referenceFiles.size,
    reference: { runsMs: theirs.map((r) => r.wallMs), cpuMs: theirs.map((r) => r.cpuMs), medianMs: theirsMs },
    countersign: { runsMs: ours.map((r) => r.wallMs), cpuMs: ours.map((r) => r.cpuMs), medianMs: oursMs },
    ratio: oursMs / theirsMs,
    cpuRatio: median(ours.map((r) => r.cpuMs)) / median(theirs.map((r) => r.cpuMs)),
    sameBytes: mismatched.length === 0 && extra.length === 0 && referenceFiles.size > 0,
    mismatched: [...mismatched, ...extra.map((name) => `${name} (only countersign)`)].slice(0, 10),
    failed: failed
      ? `a run failed (exit ${failed.exitCode}): ${failed.stderrTail.trim().slice(0, 300)}`
      : undefined,
  };
}

export async function run(ctx) {
  const missing = ['wixl', 'gcab', 'msiextract', 'cabextract'].filter((tool) => !hasCommand(tool));
  const dist = join(ctx.repoRoot, 'dist', 'artifact', 'unpackers', 'msi.js');
  const skipped = missing.length
    ? `missing ${missing.join(', ')} (apt-get install -y msitools wixl gcab cabextract)`
    : existsSync(dist)
      ? undefined
      : 'no build in dist/ (run `npm run build`)';
  if (skipped)
    return [
      {
        title,
        result: { skipped },
        rows: [
          ['figure', 'value'],
          ['skipped', skipped],
        ],
        targets: [],
        checks: [],
      },
    ];
  const paths = await ensureInputs(ctx.workDir, ctx.repoRoot, ctx.log);
  // Node's start and the import of the unpackers, measured on a 256-byte cabinet: a fixed cost in
  // every Countersign run that the native tools do not pay; shown so the ratios can be read.
  const tiny = join(ctx.repoRoot, 'test', 'fixtures', 'msi', 'data', 'stored.cab');
  const startups = [];
  for (let i = 0; i < ctx.options.runs; i++) {
    const run = await measure(process.execPath, [
      join(ctx.repoRoot, 'bench', 'lib', 'unpack-worker.mjs'),
      join(ctx.repoRoot, 'dist'),
      tiny,
    ]);
    startups.push(run.wallMs);
  }
  const startupMs = median(startups);
  const results = [
    await benchOne(ctx, 'msi', paths.msi, 'msiextract'),
    await benchOne(ctx, 'cab-mszip', paths.mszip, 'cabextract'),
    await benchOne(ctx, 'cab-lzx', paths.lzx, 'cabextract'),
  ];
  const rows = [
    [
      'input',
      'size',
      'read by countersign',
      'reference (median)',
      'countersign (median)',
      'ratio',
      'ratio without start-up',
    ],
  ];
  for (const r of results) {
    rows.push([
      `${r.kind} (${r.tool})`,
      `${(r.inputBytes / MB).toFixed(1)} MB`,
      `${(r.extractedBytes / MB).toFixed(1)} MB (${r.files} files${r.kind === 'msi' ? ' + streams' : ''})`,
      formatSeconds(r.reference.medianMs),
      formatSeconds(r.countersign.medianMs),
      r.ratio.toFixed(2),
      ((r.countersign.medianMs - startupMs) / r.reference.medianMs).toFixed(2),
    ]);
  }
  rows.push(['start-up only (256-byte cabinet)', '', '', '', formatSeconds(startupMs), '', '']);
  const checks = results.map((r) => ({
    label: `${r.kind}: same files and bytes as ${r.tool}`,
    value: r.sameBytes ? `${r.files} files` : `differs: ${r.mismatched.join(', ')}`,
    status: r.sameBytes && !r.failed ? 'PASS' : 'MISS',
  }));
  const targets = results.map((r) => ({
    label: `msi-cab: ratio countersign / ${r.tool} on ${r.kind} (reported, no target)`,
    measured: r.ratio,
    shown: r.ratio.toFixed(2),
    status: r.failed ? 'MISS: a run failed' : 'INFO',
  }));
  const failure = results.map((r) => r.failed).find(Boolean);
  return [{ title, result: { startupMs, results }, rows, targets, checks, failure }];
}
