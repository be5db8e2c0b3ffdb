// Small process and machine helpers shared by the benchmarks.
import { spawn, spawnSync } from 'node:child_process';
import { readFile, statfs } from 'node:fs/promises';
import { cpus, totalmem } from 'node:os';

/** Runs a command to completion; rejects with its stderr when it fails. `input` goes to stdin. */
export function run(command, args, { cwd, env, input, stdoutFd = 'ignore' } = {}) {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, {
      cwd,
      env: env ?? process.env,
      stdio: [input === undefined ? 'ignore' : 'pipe', stdoutFd, 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (chunk) => {
      stderr = (stderr + chunk.toString('utf8')).slice(-4000);
    });
    child.on('error', reject);
    child.on('close', (code, signal) => {
      if (code === 0) resolve();
      else
        reject(
          new Error(`${command} ${args.join(' ')} failed (${signal ?? `exit ${code}`}): ${stderr.trim()}`),
        );
    });
    if (input !== undefined) child.stdin.end(input);
  });
}

export function hasCommand(name) {
  return spawnSync('sh', ['-c', `command -v ${name}`], { stdio: 'ignore' }).status === 0;
}

export async function freeBytes(path) {
  const stats = await statfs(path);
  return stats.bavail * stats.bsize;
}

function matchingLine(command, args, pattern = /./) {
  const out = spawnSync(command, args, { encoding: 'utf8' });
  if (out.status !== 0) return undefined;
  return out.stdout
    .split('\n')
    .find((line) => pattern.test(line))
    ?.trim();
}

export function machineInfo() {
  const cpuFlags = spawnSync('grep', ['-m1', '-o', '-w', 'sha_ni', '/proc/cpuinfo'], { encoding: 'utf8' });
  return {
    cpuModel: cpus()[0]?.model,
    cpus: cpus().length,
    shaNi: cpuFlags.stdout.trim() === 'sha_ni',
    memoryBytes: totalmem(),
    node: process.version,
    openssl: matchingLine('openssl', ['version']),
    zip: matchingLine('zip', ['-v'], /^This is Zip/),
  };
}

export const MiB = 1024 * 1024;
export const GiB = 1024 * MiB;

async function cpuTimes() {
  const line = (await readFile('/proc/stat', 'utf8')).split('\n')[0];
  const fields = line.trim().split(/\s+/).slice(1).map(Number);
  const idle = fields[3] + (fields[4] ?? 0); // idle + iowait
  return { idle, total: fields.reduce((a, b) => a + b, 0) };
}

/** The share of all CPUs left idle over `windowMs` (0..1), from /proc/stat. */
export async function idleShare(windowMs = 2000) {
  const before = await cpuTimes();
  await new Promise((resolve) => setTimeout(resolve, windowMs));
  const after = await cpuTimes();
  const total = after.total - before.total;
  return total > 0 ? (after.idle - before.idle) / total : 1;
}

/**
 * Waits until other work leaves at least `minIdle` of the CPUs idle, or `timeoutMs` passes; the
 * machine may be shared, and a timing taken while it is busy says more about the neighbours.
 * Resolves the last idle share seen.
 */
export async function waitForIdle({ minIdle, timeoutMs, log }) {
  const deadline = Date.now() + timeoutMs;
  let idle = await idleShare();
  let hasWaited = false;
  while (idle < minIdle && Date.now() < deadline) {
    if (!hasWaited)
      log?.(`  waiting up to ${timeoutMs / 1000} s for idle CPUs (${(idle * 100).toFixed(0)}% idle) ...`);
    hasWaited = true;
    idle = await idleShare(5000);
  }
  if (idle < minIdle) {
    log?.(`  ${(idle * 100).toFixed(0)}% of the CPUs idle (want ${minIdle * 100}%): this run will be noisy`);
  }
  return idle;
}
