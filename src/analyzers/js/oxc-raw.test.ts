import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseSync } from 'oxc-parser';
import { describe, expect, it } from 'vitest';
import { extractJsCapabilities, type ParserChoice } from './extract.js';
import { addressSpaceLimited, rawParser } from './oxc-raw.js';

const raw = await rawParser();
const options = { lang: 'jsx', sourceType: 'unambiguous', preserveParens: false } as const;
/** BigInt and RegExp values do not survive JSON; compare them as text. */
const plain = (value: unknown) =>
  JSON.stringify(value, (_key, v) =>
    typeof v === 'bigint' ? `${v}n` : v instanceof RegExp ? String(v) : (v as unknown),
  );

describe('oxc raw transfer on this Node', () => {
  it('runs here (Node 20 on x64, as in CI)', () => {
    expect(raw).toBeDefined();
  });

  it('builds the tree parseSync builds: UTF-16 offsets after non-ASCII text, comments, errors', () => {
    const sources = [
      "// héllo 😀 ünï\nconst s = 'ça 😀'; eval(s) /* é */; x = /a+/g; y = 10n; a.b?.c();\n",
      "#!/usr/bin/env node\nimport x from 'y'; export default () => <div a={1}>é</div>;\n",
      'const broken = (;\nfetch("https://a.invalid");\n',
    ];
    for (const source of sources) {
      const viaRaw = raw!('a.js', source, options);
      const viaJson = parseSync('a.js', source, options);
      expect(plain(viaRaw.program)).toBe(plain(viaJson.program));
      expect(plain(viaRaw.comments)).toBe(plain(viaJson.comments));
      expect(plain(viaRaw.errors)).toBe(plain(viaJson.errors));
    }
  });

  it('reads TypeScript through its own deserialiser', () => {
    const source = 'const a: Record<string, number> = {}; enum E { A } let b = a as unknown as E;\n';
    const ts = { ...options, lang: 'ts' } as const;
    expect(plain(raw!('a.ts', source, ts).program)).toBe(plain(parseSync('a.ts', source, ts).program));
  });

  it('reuses one buffer: a long file then a short one leaves nothing of the first behind', () => {
    const long = `${'fetch("https://x.invalid");\n'.repeat(5000)}`;
    raw!('long.js', long, options);
    const short = raw!('short.js', 'eval(a);', options);
    expect(plain(short.program)).toBe(plain(parseSync('short.js', 'eval(a);', options).program));
  });
});

describe('under a limit on address space (ulimit -v)', () => {
  const limits = (soft: string) =>
    `Limit                     Soft Limit           Hard Limit           Units\nMax stack size            8388608              unlimited            bytes\nMax address space         ${soft}            unlimited            bytes\n`;

  it('reads the soft limit from /proc/self/limits', () => {
    expect(addressSpaceLimited(limits('unlimited'))).toBe(false);
    expect(addressSpaceLimited(limits('21474836480'))).toBe(true);
    // Not Linux: no such file, no such limit.
    expect(addressSpaceLimited(undefined)).toBe(false);
  });

  it('parses without raw transfer rather than take 6 GiB that V8 may need (a real process)', () => {
    const module = JSON.stringify(
      pathToFileURL(fileURLToPath(new URL('./oxc-raw.ts', import.meta.url))).href,
    );
    const script = `import { rawParser } from ${module}; process.stdout.write((await rawParser()) ? 'raw' : 'none');`;
    const run = (prefix: string) =>
      spawnSync(
        'bash',
        ['-c', `${prefix} exec "$0" --import tsx --input-type=module -e "$1"`, process.execPath, script],
        {
          encoding: 'utf8',
          env: { ...process.env, NODE_OPTIONS: '' },
        },
      );
    const limited = run('ulimit -v 41943040;');
    expect(limited.stderr).toBe('');
    expect(limited.stdout).toBe('none');
    expect(run('').stdout).toBe('raw');
    // And the switch for comparisons.
    expect(run('COUNTERSIGN_JS_RAW_TRANSFER=0').stdout).toBe('none');
  });
});

describe('the parser choices', () => {
  const dir = fileURLToPath(new URL('../../../test/fixtures/js/data/', import.meta.url));
  const fixtures = readdirSync(dir).filter((name) => name.endsWith('.js'));

  it('find the same facts in every capability fixture, whichever parser builds the tree', () => {
    expect(fixtures.length).toBeGreaterThan(10);
    let facts = 0;
    for (const name of fixtures) {
      const source = readFileSync(`${dir}${name}`, 'utf8');
      const results = (['auto', 'acorn', 'oxc-json'] as ParserChoice[]).map((parser) =>
        extractJsCapabilities(source, { filename: name, alwaysParse: true, parser }),
      );
      facts += results[0]!.facts.length;
      expect(results[1], name).toEqual(results[0]);
      expect(results[2], name).toEqual(results[0]);
    }
    expect(facts).toBeGreaterThan(100);
  });
});
