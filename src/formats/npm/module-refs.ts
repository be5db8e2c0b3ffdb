/**
 * The packages a JavaScript file names in `require('x')`, `require.resolve('x')`, `import … from
 * 'x'`, `import 'x'`, `export … from 'x'` and `import('x')`, found lexically (no parse: it must be
 * cheap on every file, bundles included, and must not fail on syntax errors). Relative paths,
 * absolute paths and `node:` built-ins are not packages. A string that merely looks like an import
 * inside a comment counts too: the answer is "named somewhere", which is what a reviewer asks of
 * a new dependency.
 */

/**
 * One pass over the text for all four forms (`require`/`require.resolve`, `from`, `import 'x'`,
 * `import('x')`): the specifier is in whichever of groups 2, 4, 6 or 8 matched. Four passes cost
 * this every file's text read four times over (~6% of the JavaScript analysis on node_modules).
 */
const MODULE_REFERENCE =
  /\brequire(?:\.resolve)?\s*\(\s*(['"`])([^'"`\r\n]{1,214})\1\s*[,)]|\bfrom\s*(['"])([^'"\r\n]{1,214})\3|\bimport\s*(?:(['"])([^'"\r\n]{1,214})\5|\(\s*(['"`])([^'"`\r\n]{1,214})\7\s*[,)])/g;

const MAX_PACKAGES = 512;

/** `@scope/name/sub/path` -> `@scope/name`; `name/sub` -> `name`; undefined for paths and built-ins. */
export function packageOfSpecifier(specifier: string): string | undefined {
  if (/^(\.{1,2}(\/|$)|\/|[A-Za-z]:[\\/]|node:|data:|file:|https?:)/.test(specifier)) return undefined;
  const parts = specifier.split('/');
  if (specifier.startsWith('@')) return parts.length >= 2 && parts[1] ? `${parts[0]}/${parts[1]}` : undefined;
  return parts[0] || undefined;
}

export function moduleRefsOf(source: string): string[] {
  const found = new Set<string>();
  for (const match of source.matchAll(MODULE_REFERENCE)) {
    const name = packageOfSpecifier((match[2] ?? match[4] ?? match[6] ?? match[8])!);
    if (name !== undefined) found.add(name);
    if (found.size >= MAX_PACKAGES) break;
  }
  return [...found].sort();
}
