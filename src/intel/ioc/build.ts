import { CountersignError } from '../../core/errors.js';
import { inferIndicator, normaliseIndicator } from './normalize.js';
import type {
  Indicator,
  IndicatorSource,
  IocImport,
  IocImportOptions,
  IocRejection,
  IocType,
} from './types.js';

/** What a format parser knows about one candidate indicator before normalisation. */
export interface Candidate {
  /** `undefined` asks for the type to be inferred from the value. */
  readonly type: IocType | undefined;
  readonly value: string;
  readonly location: string;
  readonly line?: number;
  readonly path?: string;
  readonly tags?: readonly string[];
  readonly confidence?: number;
  readonly expiresAt?: string;
  readonly description?: string;
  readonly reference?: string;
}

const SNIPPET = 120;

/**
 * Collects indicators and rejections for one import, applying the shared policy: every candidate
 * becomes an indicator or a rejection with its location; `strict` turns the first rejection into
 * an `E_INTEL_MALFORMED` failure.
 */
export class IocCollector {
  private readonly indicators: Indicator[] = [];
  private readonly rejected: IocRejection[] = [];

  constructor(private readonly options: IocImportOptions) {}

  add(candidate: Candidate): void {
    const normalised =
      candidate.type === undefined
        ? inferIndicator(candidate.value)
        : normaliseIndicator(candidate.type, candidate.value);
    if (!normalised.ok) {
      this.reject(candidate, normalised.reason);
      return;
    }
    const confidence = candidate.confidence ?? this.options.confidence;
    const expiresAt = candidate.expiresAt ?? this.options.expiresAt;
    const source: IndicatorSource = {
      name: this.options.source,
      location: candidate.location,
      ...(candidate.reference !== undefined
        ? { reference: candidate.reference }
        : this.options.reference !== undefined
          ? { reference: this.options.reference }
          : {}),
    };
    this.indicators.push({
      type: normalised.type,
      value: normalised.value,
      original: candidate.value,
      source,
      tags: [...new Set([...(this.options.tags ?? []), ...(candidate.tags ?? [])])],
      ...(confidence !== undefined ? { confidence } : {}),
      ...(expiresAt !== undefined ? { expiresAt } : {}),
      ...(candidate.description !== undefined ? { description: candidate.description } : {}),
    });
  }

  reject(at: Pick<Candidate, 'location' | 'line' | 'path'> & { value?: string }, reason: string): void {
    const rejection: IocRejection = {
      location: at.location,
      ...(at.line !== undefined ? { line: at.line } : {}),
      ...(at.path !== undefined ? { path: at.path } : {}),
      ...(at.value !== undefined
        ? { text: at.value.length > SNIPPET ? `${at.value.slice(0, SNIPPET)}…` : at.value }
        : {}),
      reason,
    };
    if (this.options.strict === true) {
      throw new CountersignError(
        'E_INTEL_MALFORMED',
        `${this.options.source}: ${rejection.location}: ${reason}`,
        {
          details: { source: this.options.source, location: rejection.location },
        },
      );
    }
    this.rejected.push(rejection);
  }

  result(): IocImport {
    return { indicators: this.indicators, rejected: this.rejected };
  }
}

/** Confidence must be 0–100; undefined when the text is not such a number. */
export function parseConfidence(text: string | undefined): number | undefined {
  if (text === undefined || text.trim() === '') return undefined;
  const value = Number(text.trim());
  return Number.isFinite(value) && value >= 0 && value <= 100 ? value : undefined;
}
