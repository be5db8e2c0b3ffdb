import { archiveRules } from './archive.js';
import type { ScanRule } from './evaluate.js';

/** Every rule a scan evaluates, in the order findings are reported. */
export function scanRules(): ScanRule[] {
  return [...archiveRules];
}
