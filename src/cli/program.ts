import { Command, CommanderError } from 'commander';
import { isCountersignError } from '../core/errors.js';
import { TOOL_VERSION } from '../core/version.js';
import { EXIT, exitCodeForError } from './exit-codes.js';
import { registerScanCommand } from './scan-command.js';

/** The CLI owns the terminal: the library never prints; errors are mapped to exit codes here. */
export async function main(argv: readonly string[]): Promise<number> {
  const program = new Command()
    .name('countersign')
    .description('Vet third-party software before it runs, without taking the signature as proof.')
    .version(TOOL_VERSION)
    .exitOverride()
    .showHelpAfterError('(run with --help for usage)');
  registerScanCommand(program);
  (await import('./intel-command.js')).registerIntelCommand(program);
  (await import('./hunt-command.js')).registerHuntCommand(program);
  (await import('./vet-command.js')).registerVetCommand(program);
  (await import('./diff-command.js')).registerDiffCommand(program);
  (await import('./worker-command.js')).registerWorkerCommand(program);
  (await import('./rules-command.js')).registerRulesCommand(program);
  (await import('./serve-command.js')).registerServeCommand(program);
  (await import('./audit-command.js')).registerAuditCommand(program);
  try {
    await program.parseAsync([...argv], { from: 'user' });
    return typeof process.exitCode === 'number' ? process.exitCode : EXIT.ok;
  } catch (error) {
    if (error instanceof CommanderError) {
      // --help and --version end through here too, with exit code 0.
      return error.exitCode === 0 ? EXIT.ok : EXIT.usage;
    }
    if (isCountersignError(error)) {
      process.stderr.write(`countersign: ${error.message} [${error.code}]\n`);
      return exitCodeForError(error.code);
    }
    process.stderr.write(
      `countersign: internal error: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
    );
    return EXIT.internal;
  }
}
