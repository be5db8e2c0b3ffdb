import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The repository root (test/support/../..). */
export const REPO_ROOT = fileURLToPath(new URL('../..', import.meta.url));

export interface CliRun {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/**
 * Runs the real CLI from the sources in a child process, as a user would (no TTY), with its own
 * COUNTERSIGN_HOME: intel and the analysis cache live there, never in the developer's own home.
 */
export function runCli(home: string, args: readonly string[], timeoutMs = 60_000): CliRun {
  const run = spawnSync(process.execPath, ['--import', 'tsx', join(REPO_ROOT, 'src/cli/main.ts'), ...args], {
    cwd: REPO_ROOT,
    encoding: 'utf8',
    timeout: timeoutMs,
    env: { ...process.env, COUNTERSIGN_HOME: home },
  });
  return { code: run.status, stdout: run.stdout, stderr: run.stderr };
}
