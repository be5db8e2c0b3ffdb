import { describe, expect, it } from 'vitest';
import { positionReadCheck } from '../../../../test/support/position-read-check.js';
import { rawParsers } from '../oxc-raw.js';
import { FIELDS } from './layout.generated.js';
import { PositionReader } from './read.js';
import { PositionVisitors, walkPositions } from './walk.js';

const parsers = (await rawParsers())!;

/** Callees and first arguments in every shape the helpers unwrap or read. */
const SHAPES = [
  "require('child_process').exec('id');",
  "(0, cp.exec)('x'); (cp).spawn(`ls`); cp?.execSync?.('y'); cp['spawnSync']('z');",
  "await import('node:fs'); (await getFs()).writeFileSync('/tmp/a', `b`);",
  "this.run('a'); import.meta.resolve('b'); new.target.make('c'); a.b.c.d.e.f.g.h.i.j('deep');",
  // biome-ignore lint/suspicious/noTemplateCurlyInString: the source under test, not a template
  "fetch(`https://a.invalid/${path}`); new WebSocket('wss://b.invalid'); x.#y?.('c');",
  "eval('\\uD800 lone'); String.raw`\\u{`; tag`\\u{`; atob('aGk=');",
  "obj[`key`]('v'); obj[key]('w'); obj[0]('n'); (function () {})(); new (getClass())();",
  "globalThis['fe' + 'tch']('x'); window.fetch?.('y'); self.XMLHttpRequest.call(null);",
].join('\n');

describe('PositionReader', () => {
  it("relies on oxc's layout only where it holds: calls and `new`s, both member types alike", () => {
    expect(FIELDS.NewExpression.callee).toBe(FIELDS.CallExpression.callee);
    expect(FIELDS.NewExpression.arguments).toBe(FIELDS.CallExpression.arguments);
    expect(FIELDS.ComputedMemberExpression.object).toBe(FIELDS.StaticMemberExpression.object);
  });

  it("answers what ast.ts answers on the ESTree, for every call's callee and first argument", () => {
    for (const [filename, source] of [
      ['shapes.mjs', SHAPES],
      [
        'shapes.ts',
        `${SHAPES}\n(cp as any).exec('t'); cp!.spawn('u'); (<Cp>cp).fork('v'); (cp satisfies X).run('w');`,
      ],
      ['non-ascii.js', `// é 😀\n${SHAPES}\nconst é = 'ü'; é.run('ça 😀');`],
    ] as const) {
      const check = positionReadCheck(parsers, filename, source);
      expect(check.calls, filename).toBeGreaterThan(20);
      expect(check.differences, filename).toEqual([]);
    }
  });

  it('reads names, strings and paths, not just agrees: a few answers spelled out', () => {
    // biome-ignore lint/suspicious/noTemplateCurlyInString: the source under test, not a template
    const source = "cp?.['exec'](`a${1}`); (x as Y).z.w('é 😀'); f(`plain`);";
    const tree = parsers.parseToBuffer('a.ts', source, {
      lang: 'ts',
      sourceType: 'module',
      preserveParens: false,
    });
    const reader = new PositionReader();
    reader.reset(tree, source);
    const seen: unknown[] = [];
    walkPositions(
      tree,
      new PositionVisitors({
        CallExpression: (pos) => {
          const callee = pos + FIELDS.CallExpression.callee;
          const first = reader.argument(pos, 0);
          seen.push([reader.dottedPath(callee), reader.memberName(callee), reader.stringValue(first)]);
          expect(reader.argument(pos, 1)).toBe(-1); // one argument each
        },
      }),
    );
    expect(seen).toEqual([
      ['cp.exec', 'exec', undefined],
      ['x.z.w', 'w', 'é 😀'],
      ['f', undefined, 'plain'],
    ]);
  });
});
