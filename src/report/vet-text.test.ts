import { existsSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { type VetResult, vet } from '../pipeline/vet.js';
import { renderDiffText } from './vet-diff-text.js';
import { renderVetJson } from './vet-json.js';
import { renderVetText } from './vet-text.js';

const fixture = (path: string) => fileURLToPath(new URL(`../../test/fixtures/vet/${path}`, import.meta.url));

/** Compares with a golden file; `UPDATE_GOLDEN=1 npx vitest run …` rewrites it after a reviewed change. */
async function expectGolden(name: string, actual: string): Promise<void> {
  const path = fixture(`golden/${name}`);
  if (process.env.UPDATE_GOLDEN === '1' || !existsSync(path)) {
    await writeFile(path, actual);
    console.warn(`golden file written: ${path}; review it before committing`);
  }
  expect(actual).toBe(await readFile(path, 'utf8'));
}

let trojanized: VetResult;
beforeAll(async () => {
  trojanized = await vet(
    [fixture('data/releases/ExampleDesk-1.0.2.zip')],
    [fixture('data/releases/ExampleDesk-1.0.1.zip')],
  );
});

describe('when the 3CX-style release is reported', () => {
  it('prints the text report as in its golden file, with no colour off a terminal', async () => {
    const text = renderVetText(trojanized);
    expect(text).not.toContain('\u001b[');
    await expectGolden('vet-exampledesk-1.0.2.txt', text);
  });

  it('prints the diff as in its golden file', async () => {
    await expectGolden('diff-exampledesk-1.0.1-1.0.2.txt', renderDiffText(trojanized));
  });

  it('colours the verdict on a terminal', () => {
    expect(renderVetText(trojanized, { color: true }).split('\n')[0]).toContain('\u001b[31m');
  });

  it('writes JSON whose findings carry ruleId, severity, confidence, path, message, evidence and origin', () => {
    const report = JSON.parse(renderVetJson(trojanized)) as {
      findings: Array<Record<string, unknown>>;
      verdict: { decision: string };
      diff: { pairs: Array<{ status: string; facts: Array<{ change: string; kind: string; key: string }> }> };
    };
    expect(report.verdict.decision).toBe('block');
    for (const finding of report.findings) {
      for (const field of ['ruleId', 'severity', 'confidence', 'path', 'message', 'evidence', 'origin']) {
        expect(finding[field], field).toBeDefined();
      }
    }
    const facts = report.diff.pairs.flatMap((pair) =>
      pair.facts.map((fact) => `${fact.change} ${fact.kind} ${fact.key}`),
    );
    expect(facts).toContain('added pe.capability network');
  });
});
