// Authenticode verification of ~200 signed PE files: Countersign in one process (the library's
// independent verification: image digest, PKCS#7 signature, chain to a trust anchor) against
// `osslsigncode verify` run once per file, as a script over a release folder would. Prints the
// ratio of wall times (medians). The files are copies of the Authenticode fixture DLL, each
// signed by osslsigncode with a throw-away test PKI into bench/.work/authenticode/.
import { existsSync } from 'node:fs';
import { mkdir, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { measure } from './lib/measure.mjs';
import { formatSeconds, median } from './lib/stats.mjs';
import { hasCommand, run as runCommand, waitForIdle } from './lib/sys.mjs';

export const id = 'authenticode';
export const title = 'Authenticode: Countersign (one process) vs osslsigncode verify (per file)';

const FILES = 200;
/** Bump when the signed set would come out different. */
const SET_VERSION = 1;

async function ensureSignedSet(workDir, repoRoot, log) {
  const dir = join(workDir, 'authenticode');
  const files = join(dir, 'signed');
  const stampPath = join(dir, '.stamp');
  const stamp = `v${SET_VERSION} ${FILES}\n`;
  if (existsSync(stampPath) && (await readFile(stampPath, 'utf8')) === stamp) return { dir, files };
  log(`authenticode: signing ${FILES} copies of the fixture DLL with osslsigncode ...`);
  await rm(dir, { recursive: true, force: true });
  await mkdir(files, { recursive: true });
  const ext = join(dir, 'ext.cnf');
  await writeFile(
    ext,
    [
      '[root]',
      'basicConstraints = critical, CA:true',
      'keyUsage = critical, keyCertSign, cRLSign',
      'subjectKeyIdentifier = hash',
      '[leaf]',
      'basicConstraints = critical, CA:false',
      'keyUsage = critical, digitalSignature',
      'extendedKeyUsage = codeSigning',
      'authorityKeyIdentifier = keyid',
      '',
    ].join('\n'),
  );
  const at = (name) => join(dir, name);
  await runCommand('openssl', [
    'req',
    '-x509',
    '-newkey',
    'rsa:2048',
    '-nodes',
    '-days',
    '3650',
    '-sha256',
    '-subj',
    '/O=Countersign Bench/CN=Countersign Bench Root CA',
    '-addext',
    'basicConstraints=critical,CA:true',
    '-addext',
    'keyUsage=critical,keyCertSign,cRLSign',
    '-keyout',
    at('root.key'),
    '-out',
    at('root.pem'),
  ]);
  await runCommand('openssl', [
    'req',
    '-new',
    '-newkey',
    'rsa:2048',
    '-nodes',
    '-subj',
    '/O=Bench Vendor/CN=Bench Vendor Code Signing',
    '-keyout',
    at('leaf.key'),
    '-out',
    at('leaf.csr'),
  ]);
  await runCommand('openssl', [
    'x509',
    '-req',
    '-in',
    at('leaf.csr'),
    '-CA',
    at('root.pem'),
    '-CAkey',
    at('root.key'),
    '-CAcreateserial',
    '-days',
    '1825',
    '-sha256',
    '-extfile',
    ext,
    '-extensions',
    'leaf',
    '-out',
    at('leaf.pem'),
  ]);
  await writeFile(
    at('chain.pem'),
    `${await readFile(at('leaf.pem'), 'utf8')}${await readFile(at('root.pem'), 'utf8')}`,
  );
  const source = join(repoRoot, 'test', 'fixtures', 'authenticode', 'data', 'unsigned.dll');
  for (let i = 0; i < FILES; i++) {
    const name = `copy-${String(i).padStart(3, '0')}.dll`;
    // A different description per copy: 200 distinct signatures over the same image.
    await runCommand('osslsigncode', [
      'sign',
      '-certs',
      at('chain.pem'),
      '-key',
      at('leaf.key'),
      '-h',
      'sha256',
      '-n',
      `Countersign bench copy ${i}`,
      '-in',
      source,
      '-out',
      join(files, name),
    ]);
  }
  await writeFile(stampPath, stamp);
  return { dir, files };
}

async function benchAuthenticode({ options, workDir, repoRoot, log }) {
  for (const tool of ['osslsigncode', 'openssl']) {
    if (!hasCommand(tool)) return { skipped: `${tool} is not installed (apt-get install -y ${tool})` };
  }
  const dist = join(repoRoot, 'dist');
  if (!existsSync(join(dist, 'formats', 'authenticode', 'inspect.js'))) {
    return { skipped: 'no build in dist/ (run `npm run build`)' };
  }
  const { dir, files } = await ensureSignedSet(workDir, repoRoot, log);
  const root = join(dir, 'root.pem');
  const names = (await readdir(files)).filter((name) => name.endsWith('.dll'));
  const outPath = join(dir, 'countersign.json');
  const countersign = () =>
    measure('sh', [
      '-c',
      `exec "$0" "$@" > "${outPath}"`,
      process.execPath,
      join(repoRoot, 'bench', 'lib', 'authenticode-worker.mjs'),
      dist,
      files,
      root,
    ]);
  const osslsigncode = () =>
    measure('sh', [
      '-c',
      'for f in "$1"/*.dll; do osslsigncode verify -CAfile "$2" -in "$f" > /dev/null 2>&1 || exit 1; done',
      'sh',
      files,
      root,
    ]);
  const ours = [];
  const theirs = [];
  for (let i = 0; i < options.runs; i++) {
    if (options.idleWaitSeconds > 0)
      await waitForIdle({ minIdle: options.minIdle, timeoutMs: options.idleWaitSeconds * 1000, log });
    const reference = await osslsigncode();
    log(
      `  osslsigncode run ${i + 1}/${options.runs}: ${formatSeconds(reference.wallMs)} (exit ${reference.exitCode})`,
    );
    theirs.push(reference);
    const run = await countersign();
    log(`  countersign  run ${i + 1}/${options.runs}: ${formatSeconds(run.wallMs)} (exit ${run.exitCode})`);
    ours.push(run);
  }
  const summary = JSON.parse((await readFile(outPath, 'utf8')).trim() || '{}');
  const oursMs = median(ours.map((r) => r.wallMs));
  const theirsMs = median(theirs.map((r) => r.wallMs));
  const failed = [...ours, ...theirs].find((r) => r.exitCode !== 0);
  return {
    files: names.length,
    countersign: {
      runsMs: ours.map((r) => r.wallMs),
      cpuMs: ours.map((r) => r.cpuMs),
      medianMs: oursMs,
      summary,
    },
    osslsigncode: {
      runsMs: theirs.map((r) => r.wallMs),
      cpuMs: theirs.map((r) => r.cpuMs),
      medianMs: theirsMs,
    },
    ratio: oursMs / theirsMs,
    cpuRatio: median(ours.map((r) => r.cpuMs)) / median(theirs.map((r) => r.cpuMs)),
    failed: failed
      ? `a run failed (exit ${failed.exitCode}): ${failed.stderrTail.trim().slice(0, 300)}`
      : undefined,
  };
}

export async function run(ctx) {
  const result = await benchAuthenticode(ctx);
  if (result.skipped) {
    return [
      {
        title,
        result,
        rows: [
          ['figure', 'value'],
          ['skipped', result.skipped],
        ],
        targets: [],
        checks: [],
      },
    ];
  }
  const { countersign, osslsigncode, files } = result;
  const rows = [
    ['figure', 'value'],
    ['signed files', `${files} (copies of the 4 KiB fixture DLL, sha256, chain of 2)`],
    [
      'osslsigncode verify, per file (median)',
      `${formatSeconds(osslsigncode.medianMs)}  (${(osslsigncode.medianMs / files).toFixed(1)} ms/file)`,
    ],
    [
      'countersign, one process (median)',
      `${formatSeconds(countersign.medianMs)}  (${(countersign.medianMs / files).toFixed(1)} ms/file)`,
    ],
    [
      'runs osslsigncode / countersign',
      `${osslsigncode.runsMs.map(formatSeconds).join(', ')} / ${countersign.runsMs.map(formatSeconds).join(', ')}`,
    ],
    ['ratio countersign / osslsigncode (wall)', result.ratio.toFixed(3)],
    [
      'ratio countersign / osslsigncode (CPU time, steadier on a busy machine)',
      Number.isFinite(result.cpuRatio) ? result.cpuRatio.toFixed(3) : '- (needs GNU time)',
    ],
  ];
  if (result.failed) rows.push(['failure', result.failed]);
  const checks = [
    {
      label: 'countersign verified every signature (valid / signatures / files)',
      value: `${countersign.summary.valid} / ${countersign.summary.signatures} / ${countersign.summary.files}`,
      status: countersign.summary.valid === files && countersign.summary.files === files ? 'PASS' : 'MISS',
    },
    {
      label: 'osslsigncode accepted every file',
      value: result.failed ? 'no' : 'yes',
      status: result.failed ? 'MISS' : 'PASS',
    },
  ];
  const targets = [
    {
      label: 'authenticode: ratio countersign / osslsigncode (reported, no target)',
      measured: result.ratio,
      shown: result.ratio.toFixed(3),
      status: result.failed ? 'MISS: a run failed' : 'INFO',
    },
  ];
  return [{ title, result, rows, targets, checks, failure: result.failed }];
}
