/** Narrowing helpers for parsed JSON/YAML, which is untrusted input of any shape. */
export type UnknownRecord = Readonly<Record<string, unknown>>;

export function isRecord(value: unknown): value is UnknownRecord {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

export function stringField(record: UnknownRecord, key: string): string | undefined {
  const value = Object.hasOwn(record, key) ? record[key] : undefined;
  return typeof value === 'string' ? value : undefined;
}

/** `true` for JSON `true` and for YAML/SYML parsers that keep scalars as the string `'true'`. */
export function isFlagSet(record: UnknownRecord, key: string): boolean {
  const value = Object.hasOwn(record, key) ? record[key] : undefined;
  return value === true || value === 'true';
}

export function recordField(record: UnknownRecord, key: string): UnknownRecord | undefined {
  const value = Object.hasOwn(record, key) ? record[key] : undefined;
  return isRecord(value) ? value : undefined;
}

/** The string values of a `name -> spec` map (dependency lists); other values are ignored. */
export function stringMap(record: UnknownRecord | undefined): [string, string][] {
  if (record === undefined) return [];
  return Object.entries(record).filter((pair): pair is [string, string] => typeof pair[1] === 'string');
}
