import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { mingwFixtureNames, PE_FIXTURE_DIR, peFixture } from '../../../test/fixtures/pe/fixtures.js';
import { parsePe } from './pe.js';

/**
 * Cross-check against GNU objdump (binutils-mingw-w64), which interprets the import and export
 * tables independently of us. objdump does not list delay-load imports, so those are compared only
 * against the sources in pe.test.ts.
 */
const OBJDUMP_CANDIDATES = ['x86_64-w64-mingw32-objdump', 'i686-w64-mingw32-objdump', 'objdump'];

function findObjdump(): string | undefined {
  for (const tool of OBJDUMP_CANDIDATES) {
    try {
      const help = execFileSync(tool, ['--help'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
      if (/pei-/.test(execFileSync(tool, ['-i'], { encoding: 'utf8' })) && help.length > 0) return tool;
    } catch {
      // not installed: try the next one
    }
  }
  return undefined;
}

const objdump = findObjdump();
if (!objdump) {
  console.log(
    '[pe objdump cross-check] not run: no objdump with PE support (apt-get install -y binutils-mingw-w64)',
  );
}

function objdumpImports(text: string): string[] {
  const imports: string[] = [];
  let dll: string | undefined;
  for (const line of text.split('\n')) {
    const name = /^\tDLL Name: (.+)$/.exec(line);
    if (name) {
      dll = name[1]!.toLowerCase();
      continue;
    }
    if (line.trim() === '') dll = undefined;
    const member = /^\t[0-9a-f]+\t\s*(\d+)\s+(\S+)/.exec(line);
    if (dll && member) imports.push(`${dll}!${member[2] === '<none>' ? `#${member[1]}` : member[2]}`);
  }
  return imports.sort();
}

function objdumpExports(text: string): { names: string[]; forwarders: string[] } {
  const names = [...text.matchAll(/^\t\[\s*\d+\] (\S+)$/gm)].map((m) => m[1]!).sort();
  const forwarders = [...text.matchAll(/\+base\[\s*(\d+)\] [0-9a-f]+ Forwarder RVA -- (\S+)/g)]
    .map((m) => `${m[1]}:${m[2]}`)
    .sort();
  return { names, forwarders };
}

describe.skipIf(!objdump).each(mingwFixtureNames())('when objdump reads %s too', (name) => {
  const text = objdump
    ? execFileSync(objdump, ['-p', `${PE_FIXTURE_DIR}bin/${name}`], { encoding: 'utf8' })
    : '';
  const pe = parsePe(peFixture(name));

  it('lists the same imported functions per DLL', () => {
    const ours = pe.imports
      .flatMap((m) => m.functions.map((f) => `${m.dll.toLowerCase()}!${f.name ?? `#${f.ordinal}`}`))
      .sort();
    const theirs = objdumpImports(text);
    expect(theirs.length).toBeGreaterThan(0);
    expect(ours).toEqual(theirs);
  });

  it('lists the same export names and forwarders', () => {
    const theirs = objdumpExports(text);
    const entries = pe.exports?.entries ?? [];
    expect(entries.flatMap((e) => (e.name ? [e.name] : [])).sort()).toEqual(theirs.names);
    expect(entries.flatMap((e) => (e.forwarder ? [`${e.ordinal}:${e.forwarder}`] : [])).sort()).toEqual(
      theirs.forwarders,
    );
  });
});
