import { readdirSync } from 'node:fs';
import { join } from 'node:path';

/** JavaScript and TypeScript sources (`.js .cjs .mjs .jsx .ts .cts .mts .tsx`) under `dir`, recursively. */
export const JS_AND_TS = /\.(c|m)?(j|t)sx?$/;
/** JavaScript only (`.js .cjs .mjs .jsx`). */
export const JS_ONLY = /\.(c|m)?jsx?$/;

/** The files under `dir` whose names match `pattern`, depth first, for the eval scripts. */
export function* sourceFiles(dir: string, pattern: RegExp = JS_AND_TS): Generator<string> {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) yield* sourceFiles(path, pattern);
    else if (entry.isFile() && pattern.test(entry.name)) yield path;
  }
}
