import { Command, CommanderError } from 'commander';
import { isCountersignError } from '../core/errors.js';
import { TOOL_VERSION } from '../core/version.js';
import { EXIT, exitCodeForError } from './exit-codes.js';

interface CommandModule {
  readonly name: string;
  register(program: Command): Promise<void>;
}

const COMMANDS: readonly CommandModule[] = [
  { name: 'scan', register: async (p) => (await import('./scan-command.js')).registerScanCommand(p) },
  { name: 'intel', register: async (p) => (await import('./intel-command.js')).registerIntelCommand(p) },
  { name: 'hunt', register: async (p) => (await import('./hunt-command.js')).registerHuntCommand(p) },
  { name: 'vet', register: async (p) => (await import('./vet-command.js')).registerVetCommand(p) },
  { name: 'diff', register: async (p) => (await import('./diff-command.js')).registerDiffCommand(p) },
  { name: 'rules', register: async (p) => (await import('./rules-command.js')).registerRulesCommand(p) },
  { name: 'serve', register: async (p) => (await import('./serve-command.js')).registerServeCommand(p) },
  { name: 'worker', register: async (p) => (await import('./worker-command.js')).registerWorkerCommand(p) },
  { name: 'audit', register: async (p) => (await import('./audit-command.js')).registerAuditCommand(p) },
];

/** The CLI owns the terminal: the library never prints; errors are mapped to exit codes here. */
export async function main(argv: readonly string[]): Promise<number> {
  const program = new Command()
    .name('countersign')
    .description('Vet third-party software before it runs, without taking the signature as proof.')
    .version(TOOL_VERSION)
    .exitOverride()
    .showHelpAfterError('(run with --help for usage)');
  // Only the command being run is loaded: the server alone costs a second of start-up, which
  // every `hunt` or `scan` would otherwise pay. Help (no command, or an unknown one) loads all;
  // the version alone, none.
  const wanted = argv.find((arg) => !arg.startsWith('-'));
  const chosen = COMMANDS.filter((command) => command.name === wanted);
  const versionOnly = wanted === undefined && argv.some((arg) => arg === '--version' || arg === '-V');
  const toLoad = versionOnly ? [] : chosen.length > 0 ? chosen : COMMANDS;
  for (const command of toLoad) await command.register(program);
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
