import type { ReleaseRule } from '../evaluate.js';
import { buildsNativeCode, DEFAULT_LARGE_FILE_BYTES, nativeBinariesOf, packagesOf } from './package-view.js';

export interface NpmPackageRuleSettings {
  /** A file above this many bytes is "very large" for a package (default 1 MiB). */
  readonly largeFileBytes?: number;
}

const SHAI_HULUD = 'https://www.wiz.io/blog/shai-hulud-npm-supply-chain-attack';

const mib = (bytes: number) => `${(bytes / 1024 / 1024).toFixed(1)} MiB`;

/** Packages that ship machine code: prebuilt addons, helpers, and what a dropper leaves. */
export const npmPackageNativeBinary: ReleaseRule = {
  id: 'npm.package.native-binary',
  version: 1,
  title: 'Ships native binaries',
  identifies: 'capability.npm.native-binary',
  severity: 'info',
  confidence: 'high',
  scope: 'release',
  rationale:
    'Prebuilt addons (.node), helper executables and shared libraries run unsandboxed and cannot be read like script. Common for packages with a native part (sharp, esbuild platform packages); reported so a reviewer knows the package is more than JavaScript, and whether it also builds native code.',
  references: ['https://nodejs.org/api/addons.html'],
  *evaluate({ nodes }) {
    for (const view of packagesOf(nodes)) {
      const binaries = nativeBinariesOf(view);
      if (binaries.length === 0) continue;
      yield {
        path: view.manifestNode.path,
        message: `${view.manifest.name}@${view.manifest.version} ships ${binaries.length} native binar${binaries.length === 1 ? 'y' : 'ies'} (${binaries
          .slice(0, 3)
          .map((binary) => `${binary.path.slice(view.root.length)}: ${binary.type}`)
          .join(', ')})${buildsNativeCode(view) ? ' and builds native code at install' : ''}`,
        evidence: [
          { role: 'primary', node: view.manifestNode.path },
          ...binaries
            .slice(0, 10)
            .map((binary) => ({ role: 'supporting' as const, node: binary.path, snippet: binary.type })),
        ],
      };
    }
  },
};

/** Packages with very large files: bundles, datasets, or a payload too big to read. */
export function createNpmPackageLargeFileRule(settings: NpmPackageRuleSettings = {}): ReleaseRule {
  const threshold = settings.largeFileBytes ?? DEFAULT_LARGE_FILE_BYTES;
  return {
    id: 'npm.package.large-file',
    version: 1,
    title: 'Ships very large files',
    identifies: 'capability.npm.large-file',
    severity: 'info',
    confidence: 'high',
    scope: 'release',
    rationale: `Files above ${mib(threshold)} in a package are bundles, data or binaries that nobody reads line by line; Shai-Hulud's bundle.js was 3.6 MB. Reported so a reviewer knows where the bulk is; the diff rules judge new ones.`,
    references: [SHAI_HULUD],
    *evaluate({ nodes }) {
      for (const view of packagesOf(nodes)) {
        const large = view.files.filter((file) => file.size > threshold).sort((a, b) => b.size - a.size);
        if (large.length === 0) continue;
        yield {
          path: view.manifestNode.path,
          message: `${view.manifest.name}@${view.manifest.version} ships ${large.length} file(s) above ${mib(threshold)}: ${large
            .slice(0, 3)
            .map((file) => `${file.path.slice(view.root.length)} (${mib(file.size)}, ${file.type})`)
            .join(', ')}`,
          evidence: [
            { role: 'primary', node: view.manifestNode.path },
            ...large.slice(0, 10).map((file) => ({
              role: 'supporting' as const,
              node: file.path,
              snippet: `${file.size} bytes`,
            })),
          ],
        };
      }
    },
  };
}
