/**
 * The packages a script file names in require/import (lexically, `moduleRefsOf`): whether a
 * dependency is used. `analyzer/js-capabilities` gives one such fact per JavaScript or TypeScript
 * file (possibly empty: an empty list says the file was looked at and names no package), from the
 * text its analysis thread has already decoded.
 */
export interface NpmModuleRefsFact {
  readonly packages: readonly string[];
}

declare module '../../core/facts.js' {
  interface FactRegistry {
    'npm.module-refs': NpmModuleRefsFact;
  }
}
