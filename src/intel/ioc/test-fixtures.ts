import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/** The committed IOC fixtures (see each folder's SOURCE.md under test/fixtures/intel/). */
export const INTEL_FIXTURES = fileURLToPath(new URL('../../../test/fixtures/intel/', import.meta.url));

export function readIntelFixture(relativePath: string): string {
  return readFileSync(`${INTEL_FIXTURES}${relativePath}`, 'utf8');
}
