import type { PurlQualifiers } from './purl.js';
import type { PackageSource } from './types.js';

/**
 * Classifies a dependency spec or resolution (`^1.2.0`, `npm:ms@2`, a tarball URL, a git URL,
 * `file:../x`) by where its content comes from.
 */
export function classifySpec(spec: string): PackageSource {
  if (/^(git\+|git:|github:|gitlab:|bitbucket:|gist:)/i.test(spec)) return 'git';
  if (/^https?:\/\/codeload\.github\.com\//i.test(spec)) return 'git';
  // A repository URL (`https://host/org/repo.git#commit`, `https://github.com/org/repo#ref`) is git, not a tarball.
  if (/^https?:\/\/[^#]+\.git(#.*)?$/i.test(spec)) return 'git';
  if (/^https?:\/\/(github\.com|gitlab\.com|bitbucket\.org)\/[^/]+\/[^/#]+\/?(#.*)?$/i.test(spec))
    return 'git';
  if (/^https?:\/\//i.test(spec)) return 'tarball';
  if (/^file:.*\.(tgz|tar\.gz|tar)$/i.test(spec)) return 'file';
  if (/^(file:|link:|portal:|workspace:)/i.test(spec)) return 'directory';
  if (/^[a-z0-9-]+\/[\w.-]+(#.*)?$/i.test(spec) && !spec.startsWith('@')) return 'git'; // user/repo shorthand
  return 'registry';
}

/** Purl qualifiers that say where a package that is not on the registry came from. */
export function qualifiersFor(source: PackageSource, resolved: string | undefined): PurlQualifiers {
  if (resolved === undefined) return {};
  if (source === 'tarball') return { download_url: resolved };
  if (source === 'git') return { vcs_url: resolved };
  return {};
}

/**
 * The version in a registry-shaped tarball URL (`.../is-odd/-/is-odd-3.0.1.tgz` -> `3.0.1`),
 * for lockfiles that record only the URL (package-lock v1 writes the URL as the version).
 */
export function versionFromTarballUrl(name: string, url: string): string | undefined {
  const bare = name.startsWith('@') ? name.slice(name.indexOf('/') + 1) : name;
  const match = /\/-\/([^/?#]+)\.tgz(?:[?#].*)?$/.exec(url);
  const file = match?.[1];
  if (file === undefined || !file.startsWith(`${bare}-`)) return undefined;
  const version = file.slice(bare.length + 1);
  return /^\d+\.\d+\.\d+([-+][\w.+-]*)?$/.test(version) ? version : undefined;
}
