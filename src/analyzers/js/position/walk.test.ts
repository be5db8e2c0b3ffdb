import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import {
  GENERATED_LAYOUT,
  GENERATED_WALKER,
  generateLayout,
  generatePositionWalker,
} from '../../../../scripts/generate-oxc-position-walker.js';
import { positionWalkCoverage } from '../../../../test/support/position-walk-coverage.js';
import { rawParsers } from '../oxc-raw.js';
import { PositionVisitors, positionWalkAvailable, walkPositions } from './walk.js';

const parsers = (await rawParsers())!;
const js = { lang: 'js', sourceType: 'unambiguous', preserveParens: false } as const;

/** Code in each place oxc's own lazy walker does not follow. */
const SKIPPED_BY_OXC: ReadonlyArray<readonly [string, string]> = [
  ['directives.js', "'use strict';\nfunction f() { 'use asm'; return 1; }\n"],
  ['extends.js', "class A extends load('./x.invalid') {}\n"],
  ['rest-parameter.js', "function f(a, ...[b = run('y')]) {}\n"],
  ['rest-patterns.js', 'const [p, ...q] = r;\nconst { s, ...t } = u;\n'],
  ['rest-targets.js', '[v, ...w] = x;\n({ y, ...z } = x2);\n'],
  ['namespace.ts', "namespace N { 'use strict'; export const x = fetch('https://a.invalid'); }\n"],
];

/** Type annotations oxc's lazy walker skips; the ESTree has them, so the walk follows them too. */
const SKIPPED_ANNOTATIONS = [
  'function g(this: Window & { hook: typeof thisParameter }, a: string) {}',
  'let k: typeof declarator;',
  'try {} catch (e: Record<string, typeof catchParameter>) {}',
  'class C extends Base<typeof superTypeArgument> {}',
].join('\n');

type WalkFunction = typeof walkPositions;

/** The names of the identifier references a walk reaches. */
function referencedNames(filename: string, source: string, walk: WalkFunction): string[] {
  const tree = parsers.parseToBuffer(filename, source, { ...js, lang: 'ts' });
  const int32 = tree.buffer.int32;
  const names: string[] = [];
  walk(
    tree,
    new PositionVisitors({
      IdentifierReference: (pos) => names.push(source.slice(int32[pos >> 2], int32[(pos >> 2) + 1])),
    }),
  );
  return names;
}

describe('the generated position walker', () => {
  it('and its layout are what the generator makes from the installed oxc-parser (`npm run generate:oxc-walker` after an upgrade)', () => {
    expect(readFileSync(GENERATED_WALKER, 'utf8')).toBe(generatePositionWalker());
    expect(readFileSync(GENERATED_LAYOUT, 'utf8')).toBe(generateLayout());
    expect(positionWalkAvailable()).toBe(true);
  });

  it("reaches every identifier and literal of the ESTree, in the places oxc's lazy walker skips too", () => {
    for (const [filename, source] of SKIPPED_BY_OXC) {
      const result = positionWalkCoverage(parsers, filename, source);
      expect(result.leaves, filename).toBeGreaterThan(1);
      expect(result.missed, filename).toEqual([]);
    }
  });

  it('follows the type annotations it adds back (the coverage check leaves types out)', () => {
    const names = referencedNames('a.ts', SKIPPED_ANNOTATIONS, walkPositions);
    expect(names).toEqual(
      expect.arrayContaining(['thisParameter', 'declarator', 'catchParameter', 'superTypeArgument']),
    );
  });

  describe("oxc's lazy walker as it comes (the check's negative control)", () => {
    const dir = mkdtempSync(join(tmpdir(), 'cs-oxc-walk-'));
    afterAll(() => rmSync(dir, { recursive: true, force: true }));

    async function unpatchedWalk(): Promise<WalkFunction> {
      const file = join(dir, 'walk.mjs');
      writeFileSync(file, generatePositionWalker(undefined, { addMissingChildren: false }));
      const { walkProgram } = (await import(pathToFileURL(file).href)) as {
        walkProgram: (pos: number, ast: unknown, slots: unknown[]) => void;
      };
      return (tree, visitors) => {
        walkProgram(tree.programPos, tree, visitors.slots);
        return true;
      };
    }

    it('misses code in each of those places, and the annotations', async () => {
      const unpatched = await unpatchedWalk();
      for (const [filename, source] of SKIPPED_BY_OXC) {
        const result = positionWalkCoverage(parsers, filename, source, undefined, unpatched);
        expect(result.missed.length, filename).toBeGreaterThan(0);
      }
      const names = referencedNames('a.ts', SKIPPED_ANNOTATIONS, unpatched);
      expect(names).not.toContain('thisParameter');
      expect(names).not.toContain('declarator');
      expect(names).not.toContain('catchParameter');
      expect(names).not.toContain('superTypeArgument');
    });
  });
});

describe('walkPositions', () => {
  it('calls enter before the children and exit after them, in source order', () => {
    const source = "outer(inner('a'), b);\n";
    const tree = parsers.parseToBuffer('a.js', source, js);
    const int32 = tree.buffer.int32;
    const events: string[] = [];
    const at = (pos: number) => source.slice(int32[pos >> 2], int32[(pos >> 2) + 1]);
    const visitors = new PositionVisitors({
      CallExpression: (pos) => events.push(`enter ${at(pos)}`),
      'CallExpression:exit': (pos) => events.push(`exit ${at(pos)}`),
      IdentifierReference: (pos) => events.push(at(pos)),
      StringLiteral: (pos) => events.push(at(pos)),
    });
    expect(walkPositions(tree, visitors)).toBe(true);
    expect(events).toEqual([
      "enter outer(inner('a'), b)",
      'outer',
      "enter inner('a')",
      'inner',
      "'a'",
      "exit inner('a')",
      'b',
      "exit outer(inner('a'), b)",
    ]);
  });

  it('answers false, without throwing, when a tree is deeper than the stack', () => {
    // 40,000 operators: a tree 40,000 levels deep, which the nesting pre-scan would keep from
    // the parser; oxc parses it here, and the recursive walk runs out of stack.
    const tree = parsers.parseToBuffer('deep.js', `x = ${'a+'.repeat(40_000)}a;`, js);
    expect(walkPositions(tree, new PositionVisitors({ IdentifierReference() {} }))).toBe(false);
    const shallow = parsers.parseToBuffer('flat.js', `x = ${'a+'.repeat(100)}a;`, js);
    expect(walkPositions(shallow, new PositionVisitors({ IdentifierReference() {} }))).toBe(true);
  });

  it('refuses a visitor for a type oxc does not have', () => {
    expect(() => new PositionVisitors({ MemberExpression() {} })).toThrow(
      /no oxc node type MemberExpression/,
    );
  });
});
