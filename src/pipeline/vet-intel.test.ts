import { copyFile, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { digestsForIntel } from '../intel/scan-needs.js';
import { importIntelSource, type LoadedIntel, loadIntel } from '../intel/store-files.js';
import { vet } from './vet.js';

const tarballs = fileURLToPath(new URL('../../test/fixtures/intel/npm-tarball/', import.meta.url));
const KNOWN_BAD = 'inert stand-in for a trojanised ffmpeg.dll\n';

let root: string;
let intel: LoadedIntel;

async function put(path: string, content: string | Buffer): Promise<void> {
  await mkdir(dirname(path), { recursive: true });
  await writeFile(path, content);
}

/** A release folder: an app file, plus the given extra files (relative path -> content or fixture). */
async function release(name: string, extra: Record<string, string | { fixture: string }> = {}) {
  const dir = join(root, name);
  await put(join(dir, 'app/main.js'), "module.exports = () => 'hello';\n");
  for (const [path, content] of Object.entries(extra)) {
    if (typeof content === 'string') await put(join(dir, path), content);
    else {
      await mkdir(dirname(join(dir, path)), { recursive: true });
      await copyFile(join(tarballs, content.fixture), join(dir, path));
    }
  }
  return [dir];
}

const evilManifest = JSON.stringify({ name: 'evil-pkg', version: '1.0.0' });
const fineManifest = JSON.stringify({ name: 'evil-pkg', version: '1.0.1' });

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'countersign-vet-intel-'));
  const store = join(root, 'intel');
  const { createHash } = await import('node:crypto');
  await put(
    join(root, 'in/hashes.txt'),
    `# test list\n${createHash('md5').update(KNOWN_BAD).digest('hex')};inert ffmpeg stand-in\n`,
  );
  await put(
    join(root, 'in/osv/MAL-2099-0002.json'),
    JSON.stringify({
      id: 'MAL-2099-0002',
      modified: '2099-01-01T00:00:00Z',
      summary: 'Malicious code in evil-pkg (npm)',
      affected: [{ package: { ecosystem: 'npm', name: 'evil-pkg' }, versions: ['1.0.0'] }],
    }),
  );
  await copyFile(join(tarballs, 'MAL-2099-0001.json'), join(root, 'in/osv/MAL-2099-0001.json'));
  await importIntelSource(join(root, 'in/hashes.txt'), { name: 'hashes', dir: store });
  await importIntelSource(join(root, 'in/osv'), { name: 'osv', kind: 'osv', dir: store });
  intel = await loadIntel({ dir: store });
}, 60_000);

afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

const options = () => ({ intel, digests: digestsForIntel(intel), fuzzy: false });
const intelIds = (findings: readonly { ruleId: string }[]) =>
  findings.map((f) => f.ruleId).filter((id) => id.startsWith('intel.'));

describe('when a release is vetted with intel loaded', () => {
  it('computes the md5 the hash list needs, and no digest it does not', () => {
    expect(digestsForIntel(intel)).toEqual(['sha256', 'md5']);
  });

  it('blocks a known-bad file even when the trusted baseline had it too', async () => {
    const baseline = await release('bad-base', { 'app/ffmpeg.dll': KNOWN_BAD });
    const candidate = await release('bad-cand', { 'app/ffmpeg.dll': KNOWN_BAD, 'app/new.js': '1;\n' });
    const result = await vet(candidate, baseline, options());
    const hash = result.findings.find((f) => f.ruleId === 'intel.ioc.hash');
    expect(hash?.origin).toBe('candidate');
    expect(hash?.path).toBe('bad-cand/app/ffmpeg.dll');
    expect(result.verdict.decision).toBe('block');
    expect(result.verdict.reasons[0]).toContain('intel.ioc.hash');
    // Without intel the same pair is a harmless addition of one file.
    const plain = await vet(candidate, baseline, { fuzzy: false });
    expect(intelIds(plain.findings)).toEqual([]);
    expect(plain.verdict.decision).not.toBe('block');
  }, 60_000);

  it('blocks a package version that a MAL record names, and passes the next version', async () => {
    const baseline = await release('pkg-base');
    const bad = await release('pkg-bad', { 'node_modules/evil-pkg/package.json': evilManifest });
    const result = await vet(bad, baseline, options());
    expect(intelIds(result.findings)).toEqual(['intel.malicious-package']);
    expect(result.findings.find((f) => f.ruleId === 'intel.malicious-package')?.message).toContain(
      'MAL-2099-0002',
    );
    expect(result.verdict.decision).toBe('block');
    const fine = await release('pkg-fine', { 'node_modules/evil-pkg/package.json': fineManifest });
    expect(intelIds((await vet(fine, baseline, options())).findings)).toEqual([]);
  }, 60_000);

  it('blocks a tarball named by digest under another name, and not the same files packed again', async () => {
    const baseline = await release('tgz-base');
    const named = await release('tgz-named', {
      'vendor/innocent-looking-2.0.0.tgz': { fixture: 'renamed-2.0.0.tgz' },
    });
    const result = await vet(named, baseline, options());
    const malicious = result.findings.filter((f) => f.ruleId === 'intel.malicious-package');
    expect(malicious.map((f) => f.path)).toEqual([
      'tgz-named/vendor/innocent-looking-2.0.0.tgz!/package/package.json',
    ]);
    expect(malicious[0]!.message).toContain('MAL-2099-0001');
    expect(malicious[0]!.message).toContain('sha512');
    expect(result.verdict.decision).toBe('block');
    const rebuilt = await release('tgz-rebuilt', {
      'vendor/innocent-looking-2.0.0.tgz': { fixture: 'renamed-2.0.0-rebuilt.tgz' },
    });
    expect(intelIds((await vet(rebuilt, baseline, options())).findings)).toEqual([]);
  }, 60_000);
});
