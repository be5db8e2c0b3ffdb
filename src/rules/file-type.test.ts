import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { scan } from '../pipeline/scan.js';

const fixture = (name: string) =>
  fileURLToPath(new URL(`../../test/fixtures/masquerade/data/${name}`, import.meta.url));

const hitsOf = (findings: ReadonlyArray<{ ruleId: string; path: string }>, ruleId: string) =>
  findings
    .filter((finding) => finding.ruleId === ruleId)
    .map((finding) => finding.path.slice(finding.path.indexOf('!/') + 2))
    .sort();

describe('when a package holds files that are not what their names say', () => {
  it('flags the executables named as script or image, and the script that is also a tar', async () => {
    const result = await scan([fixture('masquerade.zip')]);
    expect(hitsOf(result.findings, 'file.masquerade.executable')).toEqual([
      'package/assets/logo.png',
      'package/lib/update.js',
    ]);
    expect(hitsOf(result.findings, 'file.masquerade.script-archive')).toEqual(['package/index.js']);
    const executable = result.findings.find((finding) => finding.ruleId === 'file.masquerade.executable');
    expect(executable?.severity).toBe('high');
    expect(executable?.message).toMatch(/named as text or media but its bytes are a (PE|ELF) executable/);
    // The polyglot is still read as the script Node would run.
    const polyglot = result.nodes.find((node) => node.path.endsWith('package/index.js'));
    expect(polyglot?.type).toBe('tar');
    expect(
      result.findings.some((finding) => finding.path === polyglot?.path && finding.ruleId.startsWith('js.')),
    ).toBe(true);
  });
});

describe('when machine code ships under the names machine code has', () => {
  it('stays quiet: addons, helpers and extension-less tools, a real image, a script that says ustar', async () => {
    const result = await scan([fixture('near-miss.zip')]);
    expect(result.findings.filter((finding) => finding.ruleId.startsWith('file.masquerade.'))).toEqual([]);
    const types = Object.fromEntries(
      result.nodes.map((node) => [node.path.slice(node.path.indexOf('!/') + 2), node.type]),
    );
    expect(types).toMatchObject({
      'package/bin/tool': 'elf',
      'package/build/Release/addon.node': 'elf',
      'package/prebuilds/win32-x64/helper.exe': 'pe',
      'package/lib/headers.js': 'javascript',
      'package/assets/logo.png': 'png',
    });
  });
});
