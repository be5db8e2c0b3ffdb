import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/** The committed OSV fixtures (see test/fixtures/intel/osv/SOURCE.md). */
export const OSV_FIXTURES = fileURLToPath(new URL('../../../test/fixtures/intel/osv/', import.meta.url));

export function readOsvFixture(relativePath: string): string {
  return readFileSync(`${OSV_FIXTURES}${relativePath}`, 'utf8');
}
