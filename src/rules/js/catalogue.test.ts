import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { jsCapabilitiesAnalyzer } from '../../analyzers/js/analyzer.js';
import { memoryNode } from '../../artifact/memory-node.js';
import type { NodePath } from '../../core/node-path.js';
import type { ScanNode } from '../../core/scan-result.js';
import { evaluateRules } from '../evaluate.js';
import { jsRules } from './index.js';

const FIXTURES = fileURLToPath(new URL('../../../test/fixtures/js/data/', import.meta.url));

interface Annotation {
  readonly file: string;
  readonly line: number;
  readonly ruleId: string;
  readonly kind: 'expect' | 'ok';
}

/** `// expect: a, b; ok: c`: alone on a line it annotates the next line, trailing its own line. */
function annotationsOf(file: string, source: string): Annotation[] {
  const annotations: Annotation[] = [];
  source.split('\n').forEach((text, index) => {
    const comment = /\/\/\s*((?:expect|ok):.*)$/.exec(text);
    if (!comment) return;
    const line = text.slice(0, comment.index).trim() === '' ? index + 2 : index + 1;
    for (const segment of comment[1]!.split(';')) {
      const parsed = /^\s*(expect|ok):\s*(.+)$/.exec(segment);
      if (!parsed) continue;
      for (const ruleId of parsed[2]!
        .split(',')
        .map((id) => id.trim())
        .filter(Boolean)) {
        annotations.push({ file, line, ruleId, kind: parsed[1] as 'expect' | 'ok' });
      }
    }
  });
  return annotations;
}

async function findingsOf(file: string, source: string) {
  const view = memoryNode(new TextEncoder().encode(source), { name: file, type: 'javascript' });
  const { facts } = await jsCapabilitiesAnalyzer.analyze(view, { limits: {} as never });
  const node: ScanNode = {
    path: file as NodePath,
    depth: 0,
    name: file,
    entryKind: 'file',
    size: view.size,
    type: 'javascript',
    flags: [],
    facts,
  };
  const { findings, failures } = evaluateRules(jsRules(), [node]);
  expect(failures).toEqual([]);
  return findings;
}

const files = readdirSync(FIXTURES).filter((name) => name.endsWith('.js'));
const samples = files.map((file) => {
  const source = readFileSync(`${FIXTURES}${file}`, 'utf8');
  return { file, source, annotations: annotationsOf(file, source) };
});

describe('the JavaScript rule catalogue', () => {
  it('has an expected and an ok line for every rule, and no annotation naming an unknown rule', () => {
    const known = new Set(jsRules().map((rule) => rule.id));
    const all = samples.flatMap((sample) => sample.annotations);
    for (const annotation of all)
      expect(known, `${annotation.file}:${annotation.line}`).toContain(annotation.ruleId);
    for (const id of known) {
      expect(
        all.some((a) => a.ruleId === id && a.kind === 'expect'),
        `expect sample for ${id}`,
      ).toBe(true);
      expect(
        all.some((a) => a.ruleId === id && a.kind === 'ok'),
        `ok sample for ${id}`,
      ).toBe(true);
    }
  });

  for (const sample of samples) {
    describe(`when the rules read ${sample.file}`, () => {
      it('flags every expected line and no ok line', async () => {
        const findings = await findingsOf(sample.file, sample.source);
        const flagged = (ruleId: string, line: number) =>
          findings.some(
            (finding) =>
              finding.ruleId === ruleId &&
              finding.evidence.some((item) => item.role === 'primary' && item.line?.start === line),
          );
        const wrong = sample.annotations
          .filter((a) => (a.kind === 'expect') !== flagged(a.ruleId, a.line))
          .map((a) => `${a.kind} ${a.ruleId} at line ${a.line}`);
        expect(wrong).toEqual([]);
        for (const finding of findings) {
          expect(finding.fingerprint).toMatch(/^[0-9a-f]{32}$/);
          expect(finding.message.length).toBeGreaterThan(0);
        }
      });
    });
  }
});
