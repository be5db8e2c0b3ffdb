import type { NpmManifest } from './manifest.js';

/**
 * Manifest confusion (Darcy Clarke, 2023): the registry serves a version manifest that the
 * publisher sent separately from the tarball, and npm installs from the tarball's `package.json`.
 * A difference in scripts, dependencies, executables or identity means what tools and people read
 * on the registry is not what gets installed. npm's own publish-time normalisation (the implied
 * `node-gyp rebuild` install script, `./` in bin paths) is not a difference.
 */

export const COMPARED_FIELDS = [
  'name',
  'version',
  'script',
  'dependency',
  'bin',
  'hasInstallScript',
] as const;
export type ComparedField = (typeof COMPARED_FIELDS)[number];

export interface ManifestDifference {
  readonly field: ComparedField;
  /** `scripts.postinstall`, `dependencies.lodash`, `bin.foo`, `name`... */
  readonly key: string;
  readonly registry?: string;
  readonly tarball?: string;
}

const MAX_DIFFERENCES = 64;

function compareMaps(
  field: ComparedField,
  prefix: string,
  registry: ReadonlyMap<string, string>,
  tarball: ReadonlyMap<string, string>,
  out: ManifestDifference[],
): void {
  for (const key of new Set([...registry.keys(), ...tarball.keys()])) {
    const before = registry.get(key);
    const after = tarball.get(key);
    if (before === after) continue;
    out.push({
      field,
      key: prefix ? `${prefix}.${key}` : key,
      ...(before !== undefined ? { registry: before } : {}),
      ...(after !== undefined ? { tarball: after } : {}),
    });
  }
}

const normaliseBinPath = (path: string) => path.replace(/^(\.\/)+/, '').replace(/\\/g, '/');

function installScriptsOf(manifest: NpmManifest): Map<string, string> {
  return new Map(manifest.installScripts.map((script) => [script.hook, script.command.trim()]));
}

export function compareManifests(registry: NpmManifest, tarball: NpmManifest): ManifestDifference[] {
  const out: ManifestDifference[] = [];
  if (registry.name !== tarball.name)
    out.push({ field: 'name', key: 'name', registry: registry.name, tarball: tarball.name });
  if (registry.version !== tarball.version)
    out.push({ field: 'version', key: 'version', registry: registry.version, tarball: tarball.version });

  const registryScripts = installScriptsOf(registry);
  const tarballScripts = installScriptsOf(tarball);
  // npm publish adds `install: node-gyp rebuild` for a package with binding.gyp and no install script.
  if (registryScripts.get('install') === 'node-gyp rebuild' && !tarballScripts.has('install'))
    registryScripts.delete('install');
  compareMaps('script', 'scripts', registryScripts, tarballScripts, out);

  const deps = (manifest: NpmManifest) =>
    new Map(
      manifest.dependencies
        .filter(
          (dependency) => dependency.group !== 'devDependencies' && dependency.group !== 'bundleDependencies',
        )
        .map((dependency) => [`${dependency.group}.${dependency.name}`, dependency.spec]),
    );
  compareMaps('dependency', '', deps(registry), deps(tarball), out);

  const bins = (manifest: NpmManifest) =>
    new Map(Object.entries(manifest.bin).map(([name, path]) => [name, normaliseBinPath(path)]));
  compareMaps('bin', 'bin', bins(registry), bins(tarball), out);

  // The registry's flag says whether the package runs anything at install; the tarball decides.
  const tarballInstalls = tarball.installScripts.some((script) =>
    ['preinstall', 'install', 'postinstall'].includes(script.hook),
  );
  if (registry.hasInstallScript === false && tarballInstalls)
    out.push({ field: 'hasInstallScript', key: 'hasInstallScript', registry: 'false', tarball: 'true' });
  return out.slice(0, MAX_DIFFERENCES);
}
