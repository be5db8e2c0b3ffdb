// Runs one command and measures it: wall time, and peak memory two ways.
//
// - `peakRssKb`: GNU time's %M, the kernel's high-water mark (VmHWM) of the largest single
//   process it waited for. Exact, but per process, not summed over a tree.
// - `treePeakRssKb`: the sum of VmRSS over the whole process tree, sampled every `sampleMs`.
//   Catches a CLI that forks helpers; being sampled, it can miss a short spike.
// Report the larger of the two against a memory target.
// With GNU time, `cpuMs` (user + system CPU of the command and its children) is also returned: on
// a shared machine it moves less than wall time when other work competes for the cores.
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const GNU_TIME = '/usr/bin/time';

export function hasGnuTime() {
  return existsSync(GNU_TIME);
}

/** The resident pages of one process, from /proc/<pid>/statm (0 when it has exited). */
async function rssPages(pid) {
  const statm = await readFile(`/proc/${pid}/statm`, 'utf8').catch(() => '');
  return Number(statm.split(' ')[1] ?? 0) || 0;
}

/** Child processes of `pid`, from every thread's `children` list (a thread may fork too). */
async function childPids(pid) {
  const tasks = await readdir(`/proc/${pid}/task`).catch(() => []);
  const lists = await Promise.all(
    tasks.map((task) => readFile(`/proc/${pid}/task/${task}/children`, 'utf8').catch(() => '')),
  );
  return lists.flatMap((list) => list.split(' ').filter(Boolean).map(Number));
}

/**
 * The RSS of `rootPid` and its descendants. Only the tree is read (a few small files per
 * process), not every process on the machine: the sampler must not take CPU from the command
 * it measures on a 2-core machine.
 */
async function treeRssKb(rootPid) {
  let pages = 0;
  const stack = [rootPid];
  while (stack.length > 0) {
    const pid = stack.pop();
    pages += await rssPages(pid);
    stack.push(...(await childPids(pid)));
  }
  return pages * 4; // 4 KiB pages on x86-64
}

/**
 * Runs `command args` (through GNU time when present), with stdout to `stdoutPath` or discarded.
 * Resolves { wallMs, cpuMs, exitCode, signal, peakRssKb, treePeakRssKb, stderrTail }; never rejects for a
 * non-zero exit (the caller decides what a failure means).
 */
export async function measure(command, args, { cwd, env, stdoutFd = 'ignore', sampleMs = 100 } = {}) {
  const timeOut = join(tmpdir(), `countersign-bench-time-${process.pid}-${Date.now()}.txt`);
  const useTime = hasGnuTime();
  const file = useTime ? GNU_TIME : command;
  const argv = useTime ? ['-f', '%M %U %S', '-o', timeOut, command, ...args] : args;
  const started = performance.now();
  const child = spawn(file, argv, { cwd, env: env ?? process.env, stdio: ['ignore', stdoutFd, 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (chunk) => {
    stderr = (stderr + chunk.toString('utf8')).slice(-4000);
  });
  let treePeakRssKb = 0;
  let sampling = false;
  const timer = setInterval(async () => {
    if (sampling) return;
    sampling = true;
    try {
      treePeakRssKb = Math.max(treePeakRssKb, await treeRssKb(child.pid));
    } finally {
      sampling = false;
    }
  }, sampleMs);
  const { exitCode, signal } = await new Promise((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code, sig) => resolve({ exitCode: code, signal: sig }));
  }).finally(() => clearInterval(timer));
  const wallMs = performance.now() - started;
  let peakRssKb;
  let cpuMs;
  if (useTime) {
    const text = await readFile(timeOut, 'utf8').catch(() => '');
    await rm(timeOut, { force: true });
    // GNU time prefixes "Command exited with non-zero status N" when the command fails.
    const match = /^(\d+) (\d+\.\d+) (\d+\.\d+)$/.exec(text.trim().split('\n').pop() ?? '');
    if (match) {
      peakRssKb = Number(match[1]);
      cpuMs = (Number(match[2]) + Number(match[3])) * 1000;
    }
  }
  return { wallMs, cpuMs, exitCode, signal, peakRssKb, treePeakRssKb, stderrTail: stderr };
}
