import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);

/**
 * A package loaded the first time it is used instead of when the module naming it is imported.
 * For the heavy ones (native addons, WebAssembly, big parsers) that most runs never touch: every
 * command imports the scan pipeline, and loading them all cost tens of MB of memory and a good
 * part of the CLI's start-up. Only for packages that can be required (CommonJS, or dual).
 */
export function lazyPackage<T>(name: string): () => T {
  let loaded: T | undefined;
  return () => {
    loaded ??= require(name) as T;
    return loaded;
  };
}
