/**
 * Package URLs for npm packages (https://github.com/package-url/purl-spec, type `npm`):
 * `pkg:npm/%40scope/name@version?qualifiers`. The scope is the namespace; names are lowercased
 * as the npm type requires; every segment is percent-encoded.
 */

export interface PurlQualifiers {
  /** Where a tarball that is not on the registry came from. */
  readonly download_url?: string;
  /** The repository of a git dependency (`git+https://host/repo.git@commit`). */
  readonly vcs_url?: string;
}

function encodeSegment(value: string): string {
  // encodeURIComponent leaves !'()* alone; purl readers expect them encoded too.
  return encodeURIComponent(value).replace(
    /[!'()*]/g,
    (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`,
  );
}

export function npmPurl(name: string, version: string, qualifiers: PurlQualifiers = {}): string {
  const lower = name.toLowerCase();
  const slash = lower.startsWith('@') ? lower.indexOf('/') : -1;
  const namespace = slash > 0 ? lower.slice(0, slash) : undefined;
  const bare = slash > 0 ? lower.slice(slash + 1) : lower;
  let purl = 'pkg:npm/';
  if (namespace !== undefined) purl += `${encodeSegment(namespace)}/`;
  purl += encodeSegment(bare);
  if (version !== '') purl += `@${encodeSegment(version)}`;
  const pairs = Object.entries(qualifiers)
    .filter((pair): pair is [string, string] => typeof pair[1] === 'string' && pair[1] !== '')
    .sort(([a], [b]) => (a < b ? -1 : 1))
    .map(([key, value]) => `${key}=${encodeSegment(value)}`);
  if (pairs.length > 0) purl += `?${pairs.join('&')}`;
  return purl;
}
