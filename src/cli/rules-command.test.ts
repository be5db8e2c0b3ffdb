import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { ruleCatalogue } from '../report/rule-catalogue.js';
import { EXIT } from './exit-codes.js';

const root = fileURLToPath(new URL('../..', import.meta.url));

/** Runs the real CLI from the sources in a child process, as a user would. */
function countersign(...args: string[]) {
  const run = spawnSync(process.execPath, ['--import', 'tsx', join(root, 'src/cli/main.ts'), ...args], {
    cwd: root,
    encoding: 'utf8',
    timeout: 60_000,
  });
  return { code: run.status, stdout: run.stdout, stderr: run.stderr };
}

describe('countersign rules', () => {
  it('lists every scan, diff and intel rule with its severity, confidence and title', () => {
    const run = countersign('rules');
    expect(run.code).toBe(EXIT.ok);
    const rules = ruleCatalogue();
    for (const rule of rules) {
      expect(run.stdout).toMatch(
        new RegExp(
          `^${rule.id.replace(/\./g, '\\.')} +${rule.family} +${rule.severity}/${rule.confidence} +`,
          'm',
        ),
      );
    }
    expect(run.stdout).toContain(`${rules.length} rule(s)`);
  });

  it('with --json --family diff gives only the diff rules, with every field', () => {
    const run = countersign('rules', '--json', '--family', 'diff');
    expect(run.code).toBe(EXIT.ok);
    const { rules } = JSON.parse(run.stdout) as { rules: Array<Record<string, unknown>> };
    expect(rules.map((rule) => rule.id)).toEqual(ruleCatalogue(['diff']).map((rule) => rule.id));
    expect(rules.find((rule) => rule.id === 'component.stock-changed')).toMatchObject({
      family: 'diff',
      severity: 'high',
      confidence: 'medium',
      identifies: 'threat.binary.tampered-component',
      scope: 'diff',
      rationale: expect.any(String),
      references: expect.arrayContaining([expect.stringMatching(/^https:/)]),
    });
  });

  it('refuses an unknown family with the usage exit code', () => {
    const run = countersign('rules', '--family', 'bogus');
    expect(run.code).toBe(EXIT.usage);
    expect(run.stderr).toContain('Allowed choices are scan, diff, intel');
  });
});
