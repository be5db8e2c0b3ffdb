import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { defaultAnalyzers } from '../../analyzers/index.js';
import { withNpmAnalyzers } from '../../analyzers/npm/index.js';
import type { ScanResult } from '../../core/scan-result.js';
import { parsePackument } from '../../formats/npm/packument.js';
import { scan } from '../../pipeline/scan.js';
import { npmRules } from './index.js';

/** `project/<case>` names a project folder (test/fixtures/projects), anything else a package. */
const fixture = (name: string) =>
  fileURLToPath(
    new URL(
      name.startsWith('project/')
        ? `../../../test/fixtures/projects/data/${name.slice('project/'.length)}`
        : `../../../test/fixtures/npm/data/${name}`,
      import.meta.url,
    ),
  );

/**
 * Every npm scan rule with the packages (test/fixtures/npm) that must trigger it and the
 * near-misses that must not. A rule missing here fails the catalogue test.
 */
const SAMPLES: Record<string, { positive: string[]; negative: string[] }> = {
  'npm.install-script.present': {
    positive: ['install-node-gyp', 'install-esbuild', 'install-curl-sh', 'install-node-setup'],
    negative: ['plain', 'download-not-lifecycle', 'remote-deps'],
  },
  'npm.install-script.downloads': {
    positive: ['install-curl-sh', 'install-certutil'],
    negative: [
      'download-not-lifecycle',
      'install-node-gyp',
      'install-esbuild',
      'install-powershell-file',
      'plain',
    ],
  },
  'npm.install-script.runs-encoded-shell': {
    positive: ['install-powershell-enc'],
    negative: ['install-powershell-file', 'install-curl-sh', 'install-node-gyp'],
  },
  'npm.install-script.risky-target': {
    positive: ['install-shell-rc'],
    negative: ['install-build-config', 'install-curl-sh', 'install-node-gyp', 'plain'],
  },
  'npm.install-script.risky-code': {
    positive: ['install-node-setup'],
    negative: ['install-node-setup-benign', 'install-esbuild', 'install-node-gyp'],
  },
  'npm.package.native-binary': {
    positive: ['prebuilt-addon'],
    negative: ['install-node-gyp', 'plain', 'large-file'],
  },
  'npm.package.large-file': {
    positive: ['large-file'],
    negative: ['almost-large-file', 'plain', 'install-node-gyp'],
  },
  'npm.manifest-confusion': {
    positive: ['confusion'],
    negative: ['confusion-consistent', 'plain'],
  },
  'npm.dependency.remote-spec': {
    positive: ['remote-deps'],
    negative: ['remote-dev-only', 'plain', 'confusion-consistent'],
  },
  'npm.lockfile.installed-mismatch': {
    positive: ['project/installed-version-mismatch', 'project/installed-integrity-mismatch'],
    // installed-match holds an alias (example-colors-legacy is example-colors@0.9.0) and leaves out
    // an optional package for another platform; not-installed lacks packages but changes none.
    negative: ['project/installed-match', 'project/not-installed', 'plain'],
  },
};

const LARGE_FILE_BYTES = 4 * 1024;

const scans = new Map<string, Promise<ScanResult>>();
function scanned(name: string): Promise<ScanResult> {
  let result = scans.get(name);
  if (!result) {
    const packumentFile = fixture(`${name}.packument.json`);
    const packuments = existsSync(packumentFile) ? [parsePackument(readFileSync(packumentFile, 'utf8'))] : [];
    result = scan([fixture(name)], {
      digests: ['sha256'],
      analyzers: withNpmAnalyzers(defaultAnalyzers(), { packuments }),
      // A small threshold keeps the large-file fixtures small (the default is 1 MiB).
      rules: npmRules({ largeFileBytes: LARGE_FILE_BYTES }),
    });
    scans.set(name, result);
  }
  return result;
}

describe('the npm rule catalogue', () => {
  it('has positive and negative samples for every npm rule, and unique ids', () => {
    const ids = npmRules().map((rule) => rule.id);
    expect(new Set(ids).size).toBe(ids.length);
    expect(Object.keys(SAMPLES).sort()).toEqual([...ids].sort());
    for (const samples of Object.values(SAMPLES)) {
      expect(samples.positive.length).toBeGreaterThan(0);
      expect(samples.negative.length).toBeGreaterThan(0);
    }
  });

  for (const [ruleId, samples] of Object.entries(SAMPLES)) {
    describe(`when ${ruleId} meets its samples`, () => {
      it.each(samples.positive)('fires on %s, with evidence on a node of the tree', async (name) => {
        const result = await scanned(name);
        expect(result.gaps).toEqual([]);
        const hits = result.findings.filter((finding) => finding.ruleId === ruleId);
        expect(hits.length).toBeGreaterThan(0);
        for (const hit of hits) {
          expect(result.nodes.some((node) => node.path === hit.path)).toBe(true);
          expect(hit.evidence.some((item) => item.role === 'primary' && item.node === hit.path)).toBe(true);
          expect(hit.message).toMatch(/example-colors|esbuild/);
        }
      });
      it.each(samples.negative)('stays quiet on %s', async (name) => {
        const result = await scanned(name);
        expect(result.findings.filter((finding) => finding.ruleId === ruleId)).toEqual([]);
      });
    });
  }

  describe('when a legitimate install script is recognised', () => {
    it('says so at info level and nothing above it', async () => {
      for (const name of ['install-node-gyp', 'install-esbuild']) {
        const findings = (await scanned(name)).findings.filter((finding) =>
          finding.ruleId.startsWith('npm.'),
        );
        expect(findings.map((finding) => finding.severity)).toEqual(['info']);
        expect(findings[0]!.message).toMatch(/recognised: (prebuild-install, node-gyp|esbuild-install)/);
      }
    });
  });

  it('names the hidden install script and dependency in a manifest confusion', async () => {
    const [hit] = (await scanned('confusion')).findings.filter(
      (finding) => finding.ruleId === 'npm.manifest-confusion',
    );
    expect(hit!.message).toContain('scripts.postinstall: registry none, tarball node setup.js');
    expect(hit!.message).toContain('dependencies.ui-styles');
    expect(hit!.severity).toBe('high');
  });
});
