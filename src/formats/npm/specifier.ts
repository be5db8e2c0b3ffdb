import semver from 'semver';

/**
 * Where a dependency specifier (`"^1.2.0"`, `"github:user/repo"`, `"npm:other@2"`) makes npm get
 * the package from. The registry kinds are checked by integrity in the lockfile; the others fetch
 * code from wherever the author pointed, possibly a moving target (a branch, a URL).
 */
export const SPECIFIER_TYPES = [
  'range', // a semver range or exact version, from the registry
  'tag', // a dist-tag (`latest`, `next`), from the registry
  'alias', // `npm:name@range`: another registry package under this name
  'git', // `git+https://…`, `git+ssh://…`, `git://…`, `git@host:…`
  'hosted-git', // `user/repo`, `github:user/repo`, `gitlab:…`, `bitbucket:…`, `gist:…`
  'tarball-url', // `https://host/x.tgz`
  'file', // `file:../x`, `./x`, a local tarball
  'link', // `link:../x`
  'workspace', // `workspace:*` (pnpm, yarn berry)
  'unknown',
] as const;
export type SpecifierType = (typeof SPECIFIER_TYPES)[number];

export interface ClassifiedSpecifier {
  readonly type: SpecifierType;
  /** For `alias`: the real package; for git kinds: the host; for tarball URLs: the host. */
  readonly target?: string;
}

const HOSTED_PREFIX = /^(github|gitlab|bitbucket|gist|sourcehut):/i;
const SHORTHAND = /^[A-Za-z0-9][\w.-]*\/[\w.-]+(#.*)?$/;
const TAG = /^[A-Za-z][\w.-]*$/;

function hostOf(url: string): string | undefined {
  try {
    return new URL(url.replace(/^git\+/, '')).hostname || undefined;
  } catch {
    return undefined;
  }
}

export function classifySpecifier(spec: string): ClassifiedSpecifier {
  const value = spec.trim();
  if (value.startsWith('npm:')) {
    const rest = value.slice(4);
    const at = rest.lastIndexOf('@');
    return { type: 'alias', target: at > 0 ? rest.slice(0, at) : rest };
  }
  if (value.startsWith('workspace:')) return { type: 'workspace' };
  if (value.startsWith('link:')) return { type: 'link' };
  // `.` and `..` name a folder too (a package depending on itself: fast-json-stringify).
  if (value.startsWith('file:') || /^(\.{1,2}(\/|$)|\/|~\/|[A-Za-z]:[\\/])/.test(value))
    return { type: 'file' };
  if (/^git(\+[a-z]+)?:\/\//i.test(value)) return { type: 'git', ...withHost(hostOf(value)) };
  if (/^[\w.-]+@[\w.-]+:/.test(value)) return { type: 'git', target: value.split('@')[1]!.split(':')[0]! };
  const hosted = HOSTED_PREFIX.exec(value);
  if (hosted) return { type: 'hosted-git', target: hosted[1]!.toLowerCase() };
  if (/^https?:\/\//i.test(value)) {
    const path = value.split(/[?#]/)[0]!;
    return { type: path.endsWith('.git') ? 'git' : 'tarball-url', ...withHost(hostOf(value)) };
  }
  if (
    value === '' ||
    value === '*' ||
    value === 'latest' ||
    semver.validRange(value, { loose: true }) !== null
  )
    return value === 'latest' ? { type: 'tag' } : { type: 'range' };
  if (SHORTHAND.test(value)) return { type: 'hosted-git', target: 'github' };
  if (TAG.test(value)) return { type: 'tag' };
  return { type: 'unknown' };
}

function withHost(host: string | undefined): { target?: string } {
  return host ? { target: host } : {};
}
