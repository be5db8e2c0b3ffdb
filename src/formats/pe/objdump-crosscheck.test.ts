import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
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

function objdumpResourceLeaves(text: string): string[] {
  return [...text.matchAll(/Leaf: Addr: 0x([0-9a-f]+), Size: 0x([0-9a-f]+)/g)]
    .map((m) => `${Number.parseInt(m[1]!, 16)}+${Number.parseInt(m[2]!, 16)}`)
    .sort();
}

function ourImports(pe: ReturnType<typeof parsePe>): string[] {
  return pe.imports
    .flatMap((m) => m.functions.map((f) => `${m.dll.toLowerCase()}!${f.name ?? `#${f.ordinal}`}`))
    .sort();
}

describe.skipIf(!objdump).each(mingwFixtureNames())('when objdump reads %s too', (name) => {
  const text = objdump
    ? execFileSync(objdump, ['-p', `${PE_FIXTURE_DIR}bin/${name}`], { encoding: 'utf8' })
    : '';
  const pe = parsePe(peFixture(name));

  it('lists the same imported functions per DLL', () => {
    const ours = ourImports(pe);
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

  it('finds the same resource leaves (RVA and size)', () => {
    expect(pe.resources.map((r) => `${r.rva}+${r.size}`).sort()).toEqual(objdumpResourceLeaves(text));
  });
});

/**
 * Optional: the same comparison over a folder of real-world PE files (for example the MSVC-built
 * launchers that pip and setuptools ship). Files objdump cannot read (ARM64 here) are left out.
 */
const corpusDir = process.env.COUNTERSIGN_PE_CORPUS_DIR;
if (!corpusDir || !existsSync(corpusDir)) {
  console.log(
    '[pe objdump cross-check] real-world corpus not run: set COUNTERSIGN_PE_CORPUS_DIR to a folder of PE files',
  );
}

describe.skipIf(!objdump || !corpusDir || !existsSync(corpusDir))(
  'when objdump reads a folder of real PE files',
  () => {
    it('lists the same imports, exports and resources for every file both can read', () => {
      let compared = 0;
      const mismatches: string[] = [];
      for (const name of readdirSync(corpusDir!).sort()) {
        const path = `${corpusDir}/${name}`;
        if (!statSync(path).isFile()) continue;
        let text: string;
        try {
          text = execFileSync(objdump!, ['-p', path], {
            encoding: 'utf8',
            stdio: ['ignore', 'pipe', 'ignore'],
            maxBuffer: 1 << 28,
          });
        } catch {
          continue;
        }
        const pe = parsePe(new Uint8Array(readFileSync(path)));
        compared++;
        const same =
          JSON.stringify(ourImports(pe)) === JSON.stringify(objdumpImports(text)) &&
          JSON.stringify((pe.exports?.entries ?? []).flatMap((e) => (e.name ? [e.name] : [])).sort()) ===
            JSON.stringify(objdumpExports(text).names) &&
          JSON.stringify(pe.resources.map((r) => `${r.rva}+${r.size}`).sort()) ===
            JSON.stringify(objdumpResourceLeaves(text));
        if (!same) mismatches.push(name);
      }
      console.log(`[pe objdump cross-check] ${compared} real PE files compared, ${mismatches.length} differ`);
      expect(mismatches).toEqual([]);
    });
  },
);
