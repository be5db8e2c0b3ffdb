/**
 * The packages a JavaScript file names in `require('x')`, `require.resolve('x')`, `import … from
 * 'x'`, `import 'x'`, `export … from 'x'` and `import('x')`, found lexically (no parse: it must be
 * cheap on every file, bundles included, and must not fail on syntax errors). Relative paths,
 * absolute paths and `node:` built-ins are not packages. A string that merely looks like an import
 * inside a comment counts too: the answer is "named somewhere", which is what a reviewer asks of
 * a new dependency.
 */

const PATTERNS: readonly RegExp[] = [
  /\brequire(?:\.resolve)?\s*\(\s*(['"`])([^'"`\r\n]{1,214})\1\s*[,)]/g,
  /\bfrom\s*(['"])([^'"\r\n]{1,214})\1/g,
  /\bimport\s*(['"])([^'"\r\n]{1,214})\1/g,
  /\bimport\s*\(\s*(['"`])([^'"`\r\n]{1,214})\1\s*[,)]/g,
];

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
  for (const pattern of PATTERNS) {
    for (const match of source.matchAll(pattern)) {
      const name = packageOfSpecifier(match[2]!);
      if (name !== undefined) found.add(name);
      if (found.size >= MAX_PACKAGES) return [...found].sort();
    }
  }
  return [...found].sort();
}
