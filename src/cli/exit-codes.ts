import type { ErrorCode } from '../core/errors.js';

/** Exit codes are part of the CLI's API (documented in README.md). */
export const EXIT = {
  ok: 0,
  /** Findings at or above `--fail-on` (vet), reserved for scan. */
  findings: 1,
  usage: 2,
  input: 3,
  /** `--strict` and some part of the input was not looked at (coverage gaps). */
  incomplete: 4,
  internal: 70,
} as const;

export function exitCodeForError(code: ErrorCode): number {
  switch (code) {
    case 'E_USAGE':
      return EXIT.usage;
    case 'E_INPUT_NOT_FOUND':
    case 'E_INPUT_UNREADABLE':
      return EXIT.input;
    default:
      return EXIT.internal;
  }
}
