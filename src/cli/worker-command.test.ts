import { describe, expect, it } from 'vitest';
import { EXIT } from './exit-codes.js';
import { main } from './program.js';
import { pauseFromEnv } from './worker-command.js';

/** Runs the CLI with standard error captured: the exit code and what it wrote there. */
async function runQuietly(args: string[]): Promise<{ code: number; errors: string }> {
  const chunks: string[] = [];
  const write = process.stderr.write.bind(process.stderr);
  process.stderr.write = ((chunk: string) => {
    chunks.push(String(chunk));
    return true;
  }) as typeof process.stderr.write;
  try {
    return { code: await main(args), errors: chunks.join('') };
  } finally {
    process.stderr.write = write;
  }
}

describe('countersign worker', () => {
  describe('when the database is not PostgreSQL', () => {
    it('refuses with a usage error: SQLite jobs run inside `countersign serve`', async () => {
      const { code, errors } = await runQuietly([
        'worker',
        '--database-url',
        'sqlite:/tmp/none.sqlite',
        '--data-dir',
        '/tmp',
      ]);
      expect(code).toBe(EXIT.usage);
      expect(errors).toContain('[E_USAGE]');
    });
  });

  it('rejects a concurrency below one', async () => {
    const { code } = await runQuietly([
      'worker',
      '--database-url',
      'postgres://127.0.0.1/none',
      '--data-dir',
      '/tmp',
      '--concurrency',
      '0',
    ]);
    expect(code).toBe(EXIT.usage);
  });

  it('rejects a thread count that is not a whole number', async () => {
    const { code, errors } = await runQuietly([
      'worker',
      '--database-url',
      'postgres://127.0.0.1/none',
      '--data-dir',
      '/tmp',
      '--threads',
      'two',
    ]);
    expect(code).toBe(EXIT.usage);
    expect(errors).toContain('--threads');
  });

  describe('the test pause hook', () => {
    it('is off unless the environment sets it', () => {
      expect(pauseFromEnv({})).toBeUndefined();
    });

    it('reads <stage>:<ms>', () => {
      expect(pauseFromEnv({ COUNTERSIGN_TEST_PAUSE_AT: 'stored:2500' })).toEqual({
        stage: 'stored',
        ms: 2500,
      });
    });

    it('refuses an unknown stage or a missing time', () => {
      expect(() => pauseFromEnv({ COUNTERSIGN_TEST_PAUSE_AT: 'somewhere:10' })).toThrow(
        /COUNTERSIGN_TEST_PAUSE_AT/,
      );
      expect(() => pauseFromEnv({ COUNTERSIGN_TEST_PAUSE_AT: 'stored' })).toThrow(
        /COUNTERSIGN_TEST_PAUSE_AT/,
      );
    });
  });
});

describe('the database URL', () => {
  it('may come from COUNTERSIGN_DATABASE_URL instead of the command line', async () => {
    const errors: string[] = [];
    const write = process.stderr.write.bind(process.stderr);
    process.stderr.write = ((chunk: string) => {
      errors.push(String(chunk));
      return true;
    }) as typeof process.stderr.write;
    process.env.COUNTERSIGN_DATABASE_URL = 'sqlite:/tmp/none.sqlite';
    try {
      // Reaches the URL check (not commander's "required option" error): the env was taken.
      expect(await main(['worker', '--data-dir', '/tmp'])).toBe(EXIT.usage);
    } finally {
      delete process.env.COUNTERSIGN_DATABASE_URL;
      process.stderr.write = write;
    }
    expect(errors.join('')).toContain('[E_USAGE]');
  });
});
