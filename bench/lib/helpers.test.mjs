// Tests of the bench helpers: `node --test bench/` (node:test, so the bench needs nothing beyond
// Node; vitest's include list covers src/ and test/ only).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { deflateRawSync } from 'node:zlib';
import { parseSync } from 'oxc-parser';
import { measure } from './measure.mjs';
import { createRng, keystream } from './prng.mjs';
import { analyseReport, parseOpensslDigests } from './scan-report.mjs';
import { median, renderTable, verdict } from './stats.mjs';
import { makeLinePool, textBytes } from './text.mjs';

const hex = (n) => n.toString(16).padStart(64, '0');

describe('when the generators are seeded with a label', () => {
  it('gives the same bytes for the same label and different bytes for another', () => {
    const a = keystream('x').next(4096);
    assert.deepEqual(keystream('x').next(4096), a);
    assert.notDeepEqual(keystream('y').next(4096), a);
  });

  it('continues the stream across calls instead of restarting it', () => {
    const stream = keystream('x');
    const joined = Buffer.concat([stream.next(100), stream.next(100)]);
    assert.deepEqual(joined, keystream('x').next(200));
  });

  it('draws integers within both bounds', () => {
    const rng = createRng('bounds');
    const seen = new Set();
    for (let i = 0; i < 2000; i++) seen.add(rng.int(3, 7));
    assert.deepEqual([...seen].sort(), [3, 4, 5, 6, 7]);
  });
});

describe('when text-like content is made', () => {
  const pool = makeLinePool('test', 4096);

  it('has exactly the requested length, and is reproducible', () => {
    for (const length of [1, 17, 65_536]) {
      assert.equal(textBytes(createRng('t'), pool, length).length, length);
    }
    assert.deepEqual(textBytes(createRng('t'), pool, 10_000), textBytes(createRng('t'), pool, 10_000));
  });

  it('is valid JavaScript, as a module and as a script, at any length', () => {
    const rng = createRng('js');
    for (const length of [1, 2, 3, 4, 5, 99, 4096, 65_536]) {
      const code = textBytes(rng, pool, length).toString('utf8');
      for (const sourceType of ['module', 'script']) {
        const { errors } = parseSync('generated.js', code, { sourceType });
        assert.deepEqual(
          errors.map((e) => e.message),
          [],
          `${length} bytes as a ${sourceType}`,
        );
      }
    }
  });

  it('is printable ASCII text that deflates about as well as source code', () => {
    const text = textBytes(createRng('t'), pool, 1 << 20);
    assert.ok(text.every((byte) => byte === 10 || (byte >= 32 && byte < 127)));
    const ratio = text.length / deflateRawSync(text).length;
    assert.ok(ratio > 2 && ratio < 8, `deflate ratio ${ratio}`);
  });
});

describe('when a scan report is checked against the reference', () => {
  const node = (depth, sha, extra = {}) => ({
    depth,
    entryKind: 'file',
    size: 10,
    digests: { sha256: hex(sha), sha1: 'a', md5: 'b' },
    entropy: 4,
    ...extra,
  });
  const expected = { files: 2, directories: 0 };

  it('passes a report with every digest, however the nodes are ordered', () => {
    const report = { nodes: [node(1, 2), node(0, 1), node(1, 3)], gaps: [] };
    const analysis = analyseReport(report, { expected, referenceDigests: [hex(1), hex(2), hex(3)] });
    assert.equal(analysis.missingDigests, 0);
    assert.equal(analysis.filesBelowInput, 2);
    assert.equal(analysis.digestCoverage.md5, 3);
  });

  it('counts a digest the scan reported fewer times than the reference has it', () => {
    const report = { nodes: [node(0, 1), node(1, 2)], gaps: [] };
    const analysis = analyseReport(report, { expected, referenceDigests: [hex(1), hex(2), hex(2)] });
    assert.equal(analysis.missingDigests, 1);
  });

  it('notices file nodes without md5 or entropy, and groups gaps by code', () => {
    const bare = node(1, 2, { digests: { sha256: hex(2) }, entropy: undefined });
    const report = { nodes: [node(0, 1), bare], gaps: [{ code: 'E_X' }, { code: 'E_X' }] };
    const analysis = analyseReport(report, { expected, referenceDigests: [hex(1), hex(2)] });
    assert.equal(analysis.digestCoverage.md5, 1);
    assert.equal(analysis.digestCoverage.entropy, 1);
    assert.deepEqual(analysis.gapsByCode, { E_X: 2 });
  });

  it('accepts the input reported only as a subject', () => {
    const report = { subjects: [{ digests: { sha256: hex(1) } }], nodes: [node(1, 2)], gaps: [] };
    const analysis = analyseReport(report, { expected, referenceDigests: [hex(1), hex(2)] });
    assert.equal(analysis.missingDigests, 0);
  });

  it('says so when the JSON has no nodes', () => {
    assert.equal(analyseReport({}, { expected, referenceDigests: [] }).isReadable, false);
  });

  it('reads digests from openssl output, paths with spaces included', () => {
    const text = `SHA2-256(a b.txt)= ${hex(1)}\nSHA2-256(c)= ${hex(2)}\n`;
    assert.deepEqual(parseOpensslDigests(text), [hex(1), hex(2)]);
  });
});

describe('when figures are summarised', () => {
  it('takes the median of odd and even counts', () => {
    assert.equal(median([3, 1, 2]), 2);
    assert.equal(median([4, 1, 3, 2]), 2.5);
  });

  it('says PASS, MISS or SKIP', () => {
    assert.equal(verdict(2.0, 2.0, '<='), 'PASS');
    assert.equal(verdict(2.01, 2.0, '<='), 'MISS');
    assert.equal(verdict(300, 300, '<'), 'MISS');
    assert.equal(verdict(undefined, 300, '<'), 'SKIP');
  });

  it('aligns table columns', () => {
    const lines = renderTable([
      ['a', 'b'],
      ['long cell', 'x'],
    ]).split('\n');
    assert.equal(lines[0].indexOf('b'), lines[2].indexOf('x'));
  });
});

describe('when a command is measured', () => {
  it('reports its exit code without throwing', async () => {
    const result = await measure('sh', ['-c', 'exit 3']);
    assert.equal(result.exitCode, 3);
  });

  it('sees the peak memory of a process that touches 200 MB', async () => {
    const script = 'const b = Buffer.alloc(200e6, 1); setTimeout(() => console.log(b[5]), 400);';
    const result = await measure(process.execPath, ['-e', script]);
    assert.equal(result.exitCode, 0);
    const peakKb = Math.max(result.peakRssKb ?? 0, result.treePeakRssKb);
    assert.ok(peakKb > 190_000, `peak ${peakKb} KiB`);
    assert.ok(result.treePeakRssKb > 190_000, `sampled tree peak ${result.treePeakRssKb} KiB`);
  });
});
