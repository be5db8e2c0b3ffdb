import { CountersignError } from '../core/errors.js';

/**
 * Small shape checks for JSON intel (OSV, STIX, MISP). Each failure names the file and the JSON
 * path (`$.affected[2].ranges[0].events[1]`) so that a bad record in a dump of 200k is findable.
 */
export interface JsonLocation {
  /** The file (or `all.zip!/ID.json`) the value came from. */
  readonly file: string;
  /** JSON path of the value, `$` for the document root. */
  readonly path: string;
}

export function malformed(at: JsonLocation, message: string): CountersignError {
  return new CountersignError('E_INTEL_MALFORMED', `${at.file}: ${at.path}: ${message}`, {
    details: { file: at.file, path: at.path },
  });
}

export function child(at: JsonLocation, key: string | number): JsonLocation {
  const step =
    typeof key === 'number'
      ? `[${key}]`
      : /^[A-Za-z_][\w-]*$/.test(key)
        ? `.${key}`
        : `[${JSON.stringify(key)}]`;
  return { file: at.file, path: `${at.path}${step}` };
}

export function describeValue(value: unknown): string {
  if (value === undefined) return 'nothing (the field is missing)';
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  return typeof value === 'object' ? 'an object' : `a ${typeof value}`;
}

export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

export function expectObject(value: unknown, at: JsonLocation): Record<string, unknown> {
  if (!isRecord(value)) throw malformed(at, `expected an object, found ${describeValue(value)}`);
  return value;
}

export function expectArray(value: unknown, at: JsonLocation): readonly unknown[] {
  if (!Array.isArray(value)) throw malformed(at, `expected an array, found ${describeValue(value)}`);
  return value;
}

export function expectString(value: unknown, at: JsonLocation): string {
  if (typeof value !== 'string') throw malformed(at, `expected a string, found ${describeValue(value)}`);
  return value;
}

export function optionalString(value: unknown, at: JsonLocation): string | undefined {
  return value === undefined || value === null ? undefined : expectString(value, at);
}

/** Optional array: absent or null gives `[]` (real OSV exports use both). */
export function optionalArray(value: unknown, at: JsonLocation): readonly unknown[] {
  return value === undefined || value === null ? [] : expectArray(value, at);
}

export function optionalStringArray(value: unknown, at: JsonLocation): string[] {
  return optionalArray(value, at).map((item, index) => expectString(item, child(at, index)));
}

/** Parses JSON text, turning a syntax error into a typed error that names the file. */
export function parseJsonText(text: string, file: string): unknown {
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new CountersignError('E_INTEL_MALFORMED', `${file}: not valid JSON: ${(error as Error).message}`, {
      cause: error,
      details: { file },
    });
  }
}
