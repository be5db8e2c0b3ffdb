import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Log } from 'sarif';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../../test/support/run-cli.js';
import { EXIT } from './exit-codes.js';

const root = fileURLToPath(new URL('../..', import.meta.url));
const release = (version: string) =>
  join(root, 'test/fixtures/vet/data/releases', `ExampleDesk-${version}.zip`);

let home: string;
beforeAll(async () => {
  home = await mkdtemp(join(tmpdir(), 'countersign-formats-'));
});
afterAll(async () => {
  await rm(home, { recursive: true, force: true });
});

const countersign = (...args: string[]) => runCli(home, args);

describe('when vet is asked for SARIF', () => {
  it('writes SARIF 2.1.0 naming both planted tamperings, and still exits on --fail-on', () => {
    const run = countersign(
      'vet',
      release('1.0.2'),
      '--baseline',
      release('1.0.1'),
      '-q',
      '-f',
      'sarif',
      '--fail-on',
      'block',
    );
    expect(run.code).toBe(EXIT.findings);
    const log = JSON.parse(run.stdout) as Log;
    expect(log.version).toBe('2.1.0');
    const results = log.runs[0]!.results!;
    const cited = results.map(
      (result) => `${result.ruleId} ${result.locations![0]!.logicalLocations![0]!.fullyQualifiedName}`,
    );
    expect(cited).toContain('component.stock-changed ExampleDesk-1.0.2.zip!/ExampleDesk/ffmpeg.dll');
    expect(cited).toContain(
      'pe.authenticode.anomaly.added ExampleDesk-1.0.2.zip!/ExampleDesk/d3dcompiler_47.dll',
    );
    expect((log.runs[0]!.properties!.verdict as { decision: string }).decision).toBe('block');
  });
});

describe('when diff and scan are asked for HTML', () => {
  it('diff writes the single-file report to -o', async () => {
    const output = join(home, 'diff.html');
    const run = countersign(
      'diff',
      release('1.0.1'),
      release('1.0.2'),
      '-q',
      '--format',
      'html',
      '-o',
      output,
    );
    expect(run.code).toBe(EXIT.ok);
    const html = await readFile(output, 'utf8');
    expect(html.startsWith('<!doctype html>')).toBe(true);
    expect(html).toContain('data-decision="block"');
    expect(html).toContain('<code>ffmpeg.dll</code>');
  });

  it('scan writes HTML and SARIF of one release', () => {
    const html = countersign('scan', release('1.0.2'), '-q', '-f', 'html');
    expect(html.code).toBe(EXIT.ok);
    expect(html.stdout).toContain('data-rule="pe.authenticode.data-after-signature"');
    const sarif = countersign('scan', release('1.0.2'), '-q', '-f', 'sarif');
    expect(sarif.code).toBe(EXIT.ok);
    const log = JSON.parse(sarif.stdout) as Log;
    expect(log.runs[0]!.results!.map((result) => result.ruleId)).toContain(
      'pe.authenticode.data-after-signature',
    );
  });
});

describe('when hunt is asked for HTML', () => {
  it('lists the hit with its line and escapes what the log said', async () => {
    const log = join(home, 'proxy.log');
    await writeFile(
      log,
      '1700000001.000 12 10.0.0.7 TCP_MISS/200 512 GET http://c2.bad.invalid/<script>x</script> - DIRECT/1.1.1.1 text/html\n',
    );
    const iocs = join(home, 'iocs.txt');
    await writeFile(iocs, 'c2.bad.invalid\n');
    const run = countersign('hunt', '--logs', '--no-store', '--ioc', iocs, '-f', 'html', log);
    expect(run.code).toBe(EXIT.findings);
    expect(run.stdout).toContain('<span class="decision">FOUND</span>');
    expect(run.stdout).toContain(`<code>${log}:1</code>`);
    expect(run.stdout).toContain('<code>c2.bad.invalid</code>');
    expect(run.stdout.match(/<script\b/g)).toHaveLength(1);
  });
});
