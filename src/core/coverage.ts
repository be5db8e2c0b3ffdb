import type { ErrorCode } from './errors.js';
import type { NodePath } from './node-path.js';

/**
 * What was not looked at, and why. A scan must never silently report less than it saw: every
 * skip, limit hit, parse failure or unsupported format is recorded as a gap.
 */
export interface CoverageGap {
  readonly node: NodePath;
  readonly code: ErrorCode;
  readonly stage: 'read' | 'unpack' | 'analyze' | 'limit';
  /** The plugin that gave up, when one did (`unpacker/zip`, `analyzer/pe`). */
  readonly plugin?: string;
  readonly message: string;
  readonly details?: Readonly<Record<string, unknown>>;
}
