/**
 * Package URLs for npm packages (https://github.com/package-url/purl-spec, type `npm`):
 * `pkg:npm/%40scope/name@1.0.0`. Written here rather than with `packageurl-js` because only the
 * npm type is needed and that package is not among our dependencies.
 */

/** Percent-encodes everything but the purl-safe characters (`encodeURIComponent` keeps `!'()*`). */
function encodeComponent(text: string): string {
  return encodeURIComponent(text).replace(
    /[!'()*]/g,
    (char) => `%${char.charCodeAt(0).toString(16).toUpperCase()}`,
  );
}

export interface NpmPackageName {
  /** `@scope`, for scoped packages. */
  readonly scope?: string;
  readonly name: string;
}

/** Splits `@scope/name` into scope and name; a name without a scope is returned whole. */
export function splitNpmName(fullName: string): NpmPackageName {
  if (fullName.startsWith('@')) {
    const slash = fullName.indexOf('/');
    if (slash > 1 && slash < fullName.length - 1) {
      return { scope: fullName.slice(0, slash), name: fullName.slice(slash + 1) };
    }
  }
  return { name: fullName };
}

/**
 * The purl of an npm package version, or undefined when the manifest's name cannot make one
 * (empty). npm names are lower-case by rule, and the purl spec asks for them lower-cased.
 */
export function npmPurl(fullName: string, version: string): string | undefined {
  const { scope, name } = splitNpmName(fullName.trim());
  if (name === '' || name === '@') return undefined;
  const namespace = scope === undefined ? '' : `${encodeComponent(scope.toLowerCase())}/`;
  const versionPart = version === '' ? '' : `@${encodeComponent(version)}`;
  return `pkg:npm/${namespace}${encodeComponent(name.toLowerCase())}${versionPart}`;
}
