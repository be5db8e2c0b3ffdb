import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { defaultAnalyzers } from '../analyzers/index.js';
import { withNpmAnalyzers } from '../analyzers/npm/index.js';
import { type Fact, factsOfKind } from '../core/facts.js';
import type { NodePath } from '../core/node-path.js';
import type { ScanNode } from '../core/scan-result.js';
import { parsePackument } from '../formats/npm/packument.js';
import { scan } from '../pipeline/scan.js';
import { scanRules } from './catalogue.js';
import { evaluateRules, type NodeRule } from './evaluate.js';

const fixtures = (folder: string) => fileURLToPath(new URL(`../../test/fixtures/${folder}`, import.meta.url));

function fileNode(path: string, facts: Fact[]): ScanNode {
  return {
    path: path as NodePath,
    depth: 0,
    name: path,
    entryKind: 'file',
    type: 'javascript',
    size: 1,
    flags: [],
    facts,
  } as unknown as ScanNode;
}

const jsFile = { kind: 'js.file' } as unknown as Fact;

describe('factsOfKind', () => {
  it('gives the facts of one kind in order, and sees facts appended since it was last asked', () => {
    const facts: Fact[] = [jsFile];
    expect(factsOfKind(facts, 'js.file')).toEqual([jsFile]);
    expect(factsOfKind(facts, 'js.capability')).toEqual([]);
    const second = { kind: 'js.file', lines: 2 } as unknown as Fact;
    facts.push(second);
    expect(factsOfKind(facts, 'js.file')).toEqual([jsFile, second]);
  });
});

describe('evaluateRules', () => {
  it('asks a rule that names its fact kinds only about nodes holding one of them', () => {
    const asked: string[] = [];
    const rule: NodeRule = {
      id: 'test.kinds',
      version: 1,
      title: 't',
      identifies: 'capability.code.minified',
      severity: 'info',
      confidence: 'high',
      scope: 'node',
      factKinds: ['js.file'],
      rationale: 'r',
      references: [],
      *evaluate({ node }) {
        asked.push(node.path);
        yield { path: node.path, message: 'm', evidence: [] };
      },
    };
    const everyNode: NodeRule = { ...rule, id: 'test.all', factKinds: undefined };
    const nodes = [fileNode('a.js', [jsFile]), fileNode('b.js', [])];
    const { findings } = evaluateRules([rule, everyNode], nodes);
    expect(asked).toEqual(['a.js', 'a.js', 'b.js']);
    expect(findings.map((finding) => `${finding.ruleId} ${finding.path}`)).toEqual([
      'test.kinds a.js',
      'test.all a.js',
      'test.all b.js',
    ]);
  });

  // The kinds a rule names are a promise that it finds nothing in a node without them. Checked on
  // real scans of the fixtures that make each such rule fire: stripped of the kinds it names, no
  // node gives the rule a finding.
  describe('over the rule fixtures', () => {
    let nodes: readonly ScanNode[] = [];
    beforeAll(async () => {
      const npm = fixtures('npm');
      const packuments = readdirSync(npm)
        .filter((name) => name.endsWith('.packument.json'))
        .map((name) => parsePackument(readFileSync(`${npm}/${name}`, 'utf8')));
      const result = await scan(['authenticode', 'msi', 'npm', 'js', 'pe'].map(fixtures), {
        digests: ['sha256'],
        analyzers: withNpmAnalyzers(defaultAnalyzers(), { packuments }),
      });
      nodes = result.nodes;
    }, 120_000);

    const rules = scanRules().filter(
      (rule): rule is NodeRule & { factKinds: NonNullable<NodeRule['factKinds']> } =>
        rule.scope === 'node' && rule.factKinds !== undefined,
    );

    it('includes rules that name their fact kinds, and fixtures that make most of them fire', () => {
      expect(rules.length).toBeGreaterThan(40);
      const firing = rules.filter((rule) => nodes.some((node) => [...rule.evaluate({ node })].length > 0));
      expect(firing.length).toBeGreaterThan(rules.length / 2);
    });

    it.each(rules.map((rule) => [rule.id, rule] as const))(
      '%s finds nothing without its kinds',
      (_id, rule) => {
        for (const node of nodes) {
          const stripped = {
            ...node,
            facts: node.facts.filter((fact) => !rule.factKinds.includes(fact.kind)),
          };
          expect([...rule.evaluate({ node: stripped })], node.path).toEqual([]);
        }
      },
    );
  });
});
