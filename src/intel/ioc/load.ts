import { readFile, stat } from 'node:fs/promises';
import { basename } from 'node:path';
import { CountersignError } from '../../core/errors.js';
import { isRecord, parseJsonText } from '../json-shape.js';
import { type IocCsvOptions, parseIocCsv } from './parse-csv.js';
import { type IocMispOptions, parseMispEvent } from './parse-misp.js';
import { parseStixBundle } from './parse-stix.js';
import { type IocTextOptions, parseIocText } from './parse-text.js';
import type { IocImport, IocImportOptions } from './types.js';

export const IOC_FORMATS = ['text', 'csv', 'stix', 'misp'] as const;
export type IocFormat = (typeof IOC_FORMATS)[number];

export interface IocFileOptions extends Omit<IocImportOptions, 'source'> {
  /** Default: from the content (STIX bundle, MISP event) or the `.csv` extension, else text. */
  readonly format?: IocFormat;
  /** Default: the file name. */
  readonly source?: string;
  /** Required for CSV. */
  readonly columns?: IocCsvOptions['columns'];
  readonly header?: boolean;
  readonly delimiter?: string;
  readonly type?: IocTextOptions['type'];
  readonly includeNonIds?: IocMispOptions['includeNonIds'];
  /** Largest file read (default 256 MiB). */
  readonly maxBytes?: number;
}

const DEFAULT_MAX_BYTES = 256 * 1024 * 1024;

/** Reads an IOC file from disk and imports it with the parser its format needs. */
export async function importIocFile(
  path: string,
  options: IocFileOptions = {},
): Promise<IocImport & { format: IocFormat }> {
  let size: number;
  try {
    size = (await stat(path)).size;
  } catch (error) {
    throw new CountersignError('E_INPUT_NOT_FOUND', `${path}: cannot read: ${(error as Error).message}`, {
      cause: error,
    });
  }
  const limit = options.maxBytes ?? DEFAULT_MAX_BYTES;
  if (size > limit) {
    throw new CountersignError(
      'E_ARTIFACT_FILE_TOO_LARGE',
      `${path}: ${size} bytes is over the ${limit}-byte limit`,
    );
  }
  const text = (await readFile(path)).toString('utf8');
  const format = options.format ?? detectIocFormat(text, path);
  const { format: _format, maxBytes: _maxBytes, columns, ...common } = options;
  const base = { ...common, source: options.source ?? basename(path) };
  switch (format) {
    case 'stix':
      return { format, ...parseStixBundle(text, base) };
    case 'misp':
      return { format, ...parseMispEvent(text, base) };
    case 'csv':
      if (columns === undefined)
        throw new CountersignError('E_USAGE', `${path}: CSV needs a column map (columns.value at least)`);
      return { format, ...parseIocCsv(text, { ...base, columns }) };
    case 'text':
      return { format, ...parseIocText(text, base) };
  }
}

/**
 * STIX and MISP are told apart by their JSON shape; CSV by extension; everything else is a list.
 * Content starting with `{` is never an indicator list, so unreadable JSON fails here, typed.
 */
export function detectIocFormat(text: string, path: string): IocFormat {
  if (text.trimStart().startsWith('{')) {
    const doc = parseJsonText(text, path);
    if (isRecord(doc)) {
      if (doc.type === 'bundle' || doc.type === 'indicator') return 'stix';
      if ('Event' in doc || 'response' in doc || 'Attribute' in doc) return 'misp';
    }
    throw new CountersignError(
      'E_INTEL_MALFORMED',
      `${path}: JSON that is neither a STIX bundle nor a MISP event`,
    );
  }
  return path.toLowerCase().endsWith('.csv') ? 'csv' : 'text';
}
