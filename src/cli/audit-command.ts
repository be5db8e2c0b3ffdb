import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { Command } from 'commander';
import { CountersignError } from '../core/errors.js';
import { openStore } from '../store/open-store.js';
import { EXIT } from './exit-codes.js';
import { defaultServerDataDir } from './serve-command.js';

interface AuditFlags {
  dataDir?: string;
  databaseUrl?: string;
  schema?: string;
  json?: boolean;
}

/**
 * `countersign audit verify`: walks the audit log's hash chain. Exit 0 when every entry's hash and
 * link match; exit 1 with the first broken sequence number otherwise (a row edited, deleted or
 * inserted behind the server's back).
 */
export function registerAuditCommand(program: Command): void {
  const audit = program.command('audit').description("the server's hash-chained audit log");
  audit
    .command('verify')
    .description('check that the audit log has not been tampered with (exit 1 at the first broken entry)')
    .option(
      '--data-dir <dir>',
      'server data directory (default: $COUNTERSIGN_HOME/server or ~/.countersign/server)',
    )
    .option(
      '--database-url <url>',
      'PostgreSQL URL (postgres://…) instead of the SQLite store of the data directory',
    )
    .option('--schema <name>', 'PostgreSQL schema of the store')
    .option('--json', 'JSON output')
    .action(async (flags: AuditFlags) => {
      const url =
        flags.databaseUrl ?? join(resolve(flags.dataDir ?? defaultServerDataDir()), 'countersign.db');
      if (!flags.databaseUrl && !existsSync(url)) {
        throw new CountersignError(
          'E_INPUT_NOT_FOUND',
          `no server database at ${url} (--data-dir, --database-url)`,
        );
      }
      // Never migrate here: verifying must not change the database it checks.
      const store = await openStore({
        url,
        migrate: false,
        ...(flags.schema ? { schema: flags.schema } : {}),
      });
      try {
        const result = await store.verifyAudit();
        if (flags.json) process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
        else if (result.ok) process.stdout.write(`audit log intact: ${result.entries} entries\n`);
        else {
          process.stdout.write(
            `audit log BROKEN at seq ${result.brokenAt}${result.reason ? `: ${result.reason}` : ''} (${result.entries} entries checked)\n`,
          );
        }
        if (!result.ok) process.exitCode = EXIT.findings;
      } finally {
        await store.close();
      }
    });
}
