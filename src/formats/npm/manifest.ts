import {
  analyseLifecycleScript,
  LIFECYCLE_HOOKS,
  type LifecycleAnalysis,
  type LifecycleHook,
} from './lifecycle.js';
import { classifySpecifier, type SpecifierType } from './specifier.js';

/**
 * A `package.json` (or a packument's version manifest, which has the same shape) reduced to what
 * a reviewer of a release needs: identity, install-time scripts and what they run, executables,
 * dependencies with where they come from, native build, platforms, publishing and source. Pure:
 * it takes parsed JSON and never throws; fields of the wrong type are left out.
 */

export const DEPENDENCY_GROUPS = [
  'dependencies',
  'optionalDependencies',
  'peerDependencies',
  'devDependencies',
  'bundleDependencies',
] as const;
export type DependencyGroup = (typeof DEPENDENCY_GROUPS)[number];

export interface ManifestDependency {
  readonly name: string;
  /** As written (for bundled dependencies: empty, they ship inside the tarball). */
  readonly spec: string;
  readonly group: DependencyGroup;
  readonly type: SpecifierType | 'bundled';
  readonly target?: string;
}

export interface ManifestInstallScript {
  readonly hook: LifecycleHook;
  readonly command: string;
  readonly analysis: LifecycleAnalysis;
}

export interface NpmManifest {
  readonly name: string;
  readonly version: string;
  readonly license?: string;
  /** Every script as written, lifecycle or not (the confusion check compares them all). */
  readonly scripts: Readonly<Record<string, string>>;
  readonly installScripts: readonly ManifestInstallScript[];
  /** Command name -> file, with the string form (`"bin": "cli.js"`) named after the package. */
  readonly bin: Readonly<Record<string, string>>;
  readonly dependencies: readonly ManifestDependency[];
  /** As written; `binding.gyp` in the package implies it too (npm then runs `node-gyp rebuild`). */
  readonly gypfile?: boolean;
  readonly os?: readonly string[];
  readonly cpu?: readonly string[];
  readonly publishConfig?: Readonly<Record<string, string>>;
  readonly repository?: string;
  /** `hasInstallScript` as the registry reports it (packument manifests only). */
  readonly hasInstallScript?: boolean;
}

const MAX_DEPENDENCIES = 2000;
const MAX_SCRIPTS = 200;
const MAX_TEXT = 2000;

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function stringRecord(value: unknown, cap: number): Record<string, string> {
  const out: Record<string, string> = {};
  if (!isRecord(value)) return out;
  let count = 0;
  for (const [key, inner] of Object.entries(value)) {
    if (typeof inner !== 'string') continue;
    if (count++ >= cap) break;
    out[key] = inner.slice(0, MAX_TEXT);
  }
  return out;
}

function stringList(value: unknown): string[] | undefined {
  if (!Array.isArray(value)) return undefined;
  return value.filter((item): item is string => typeof item === 'string').slice(0, 64);
}

/** `"bin": "cli.js"` is named after the package, without its scope. */
function binOf(name: string, value: unknown): Record<string, string> {
  if (typeof value === 'string') return { [name.replace(/^@[^/]+\//, '')]: value.slice(0, MAX_TEXT) };
  return stringRecord(value, MAX_SCRIPTS);
}

function repositoryOf(value: unknown): string | undefined {
  if (typeof value === 'string') return value.slice(0, MAX_TEXT);
  if (isRecord(value) && typeof value.url === 'string') return value.url.slice(0, MAX_TEXT);
  return undefined;
}

function publishConfigOf(value: unknown): Record<string, string> | undefined {
  if (!isRecord(value)) return undefined;
  const out: Record<string, string> = {};
  for (const [key, inner] of Object.entries(value).slice(0, 32)) {
    if (typeof inner === 'string' || typeof inner === 'boolean' || typeof inner === 'number')
      out[key] = String(inner).slice(0, MAX_TEXT);
  }
  return out;
}

function dependenciesOf(record: Record<string, unknown>): ManifestDependency[] {
  const out: ManifestDependency[] = [];
  for (const group of DEPENDENCY_GROUPS) {
    if (group === 'bundleDependencies') continue;
    for (const [name, spec] of Object.entries(stringRecord(record[group], MAX_DEPENDENCIES))) {
      if (out.length >= MAX_DEPENDENCIES) return out;
      const classified = classifySpecifier(spec);
      out.push({
        name,
        spec,
        group,
        type: classified.type,
        ...(classified.target ? { target: classified.target } : {}),
      });
    }
  }
  // `bundledDependencies` is the older spelling; `true` bundles every dependency.
  const bundled = record.bundleDependencies ?? record.bundledDependencies;
  const names =
    bundled === true
      ? Object.keys(stringRecord(record.dependencies, MAX_DEPENDENCIES))
      : (stringList(bundled) ?? []);
  for (const name of names) out.push({ name, spec: '', group: 'bundleDependencies', type: 'bundled' });
  return out;
}

/** The manifest of a package, or undefined when it has no name and version (a workspace root). */
export function readManifest(json: unknown): NpmManifest | undefined {
  if (!isRecord(json)) return undefined;
  const { name, version } = json;
  if (typeof name !== 'string' || typeof version !== 'string') return undefined;
  const scripts = stringRecord(json.scripts, MAX_SCRIPTS);
  const installScripts: ManifestInstallScript[] = [];
  for (const hook of LIFECYCLE_HOOKS) {
    const command = scripts[hook];
    if (command !== undefined)
      installScripts.push({ hook, command, analysis: analyseLifecycleScript(command, name) });
  }
  const os = stringList(json.os);
  const cpu = stringList(json.cpu);
  const publishConfig = publishConfigOf(json.publishConfig);
  const repository = repositoryOf(json.repository);
  return {
    name: name.slice(0, MAX_TEXT),
    version: version.slice(0, MAX_TEXT),
    ...(typeof json.license === 'string' ? { license: json.license.slice(0, MAX_TEXT) } : {}),
    scripts,
    installScripts,
    bin: binOf(name, json.bin),
    dependencies: dependenciesOf(json),
    ...(typeof json.gypfile === 'boolean' ? { gypfile: json.gypfile } : {}),
    ...(os ? { os } : {}),
    ...(cpu ? { cpu } : {}),
    ...(publishConfig ? { publishConfig } : {}),
    ...(repository ? { repository } : {}),
    ...(typeof json.hasInstallScript === 'boolean' ? { hasInstallScript: json.hasInstallScript } : {}),
  };
}
