import { type CountersignError, isCountersignError } from '../../core/errors.js';

export const PE_PARTS = [
  'headers',
  'sections',
  'imports',
  'delay-imports',
  'exports',
  'resources',
  'version-info',
  'debug',
  'tls',
  'clr',
  'certificates',
  'strings',
] as const;

export type PePart = (typeof PE_PARTS)[number];

/**
 * Something in one part of the file that could not be read as declared: a table pointing outside
 * the file, a cycle, a count over a cap. The rest of the file is still parsed; a problem is
 * a fact about the file (hostile files do this on purpose), not a reason to give up.
 */
export interface PeProblem {
  readonly part: PePart;
  readonly code: 'E_PE_TRUNCATED' | 'E_PE_MALFORMED';
  readonly message: string;
}

export class ProblemLog {
  readonly items: PeProblem[] = [];
  private static readonly MAX = 200;

  add(part: PePart, message: string, code: PeProblem['code'] = 'E_PE_MALFORMED'): void {
    if (this.items.length >= ProblemLog.MAX) return;
    // Hostile tables repeat one fault thousands of times: one record per distinct message is enough.
    if (this.items.some((item) => item.part === part && item.message === message)) return;
    this.items.push({ part, code, message });
  }

  /** Runs one part's parser; a typed error becomes a problem and `fallback` is returned. */
  guard<T>(part: PePart, fallback: T, parse: () => T): T {
    try {
      return parse();
    } catch (error) {
      if (!isCountersignError(error)) throw error;
      const typed = error as CountersignError;
      this.add(part, typed.message, typed.code === 'E_PE_TRUNCATED' ? 'E_PE_TRUNCATED' : 'E_PE_MALFORMED');
      return fallback;
    }
  }
}
