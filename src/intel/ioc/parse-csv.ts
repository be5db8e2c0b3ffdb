import { CountersignError } from '../../core/errors.js';
import { IocCollector, parseConfidence } from './build.js';
import { IOC_TYPES, type IocImport, type IocImportOptions, type IocType } from './types.js';

/** A column by header name (case-insensitive) or by 0-based index. */
export type CsvColumn = string | number;

export interface CsvColumnMap {
  readonly value: CsvColumn;
  /** Cell names the indicator type (aliases below); empty or absent cells are inferred. */
  readonly type?: CsvColumn;
  /** Tags, split on `|`, `;` or `,` inside the cell. */
  readonly tags?: CsvColumn;
  readonly confidence?: CsvColumn;
  readonly expiresAt?: CsvColumn;
  readonly description?: CsvColumn;
  readonly reference?: CsvColumn;
}

export interface IocCsvOptions extends IocImportOptions {
  readonly columns: CsvColumnMap;
  /** Whether the first row names the columns (default true; needed for columns given by name). */
  readonly header?: boolean;
  readonly delimiter?: string;
  /** Type of every row, instead of a type column. */
  readonly type?: IocType;
}

/** Type names seen in real feeds (MISP, OTX, STIX object types) → ours. */
const TYPE_ALIASES: Readonly<Record<string, IocType>> = {
  md5: 'md5',
  'filehash-md5': 'md5',
  sha1: 'sha1',
  'sha-1': 'sha1',
  'filehash-sha1': 'sha1',
  sha256: 'sha256',
  'sha-256': 'sha256',
  'filehash-sha256': 'sha256',
  sha512: 'sha512',
  'sha-512': 'sha512',
  domain: 'domain',
  hostname: 'domain',
  'domain-name': 'domain',
  fqdn: 'domain',
  ip: 'ip',
  ipv4: 'ip',
  ipv6: 'ip',
  'ip-dst': 'ip',
  'ip-src': 'ip',
  'ipv4-addr': 'ip',
  'ipv6-addr': 'ip',
  cidr: 'ip',
  url: 'url',
  uri: 'url',
  filename: 'filename',
  'file-name': 'filename',
  file: 'filename',
  'path-pattern': 'path-pattern',
  'url-pattern': 'url-pattern',
};

export function iocTypeFromName(name: string): IocType | undefined {
  const key = name.trim().toLowerCase();
  return (
    TYPE_ALIASES[key] ?? ((IOC_TYPES as readonly string[]).find((t) => t === key) as IocType | undefined)
  );
}

/**
 * An indicator table in CSV (RFC 4180: quoted fields, doubled quotes, CRLF, line breaks inside
 * quotes) with a map saying which column holds what. Rows are reported by their first line number.
 */
export function parseIocCsv(text: string, options: IocCsvOptions): IocImport {
  const rows = readCsv(text.replace(/^\uFEFF/, ''), options.delimiter ?? ',', options.source);
  const hasHeader = options.header ?? true;
  const header = hasHeader ? (rows.shift()?.cells.map((cell) => cell.trim().toLowerCase()) ?? []) : [];
  const resolve = (column: CsvColumn | undefined, role: string): number | undefined => {
    if (column === undefined) return undefined;
    if (typeof column === 'number') return column;
    const index = header.indexOf(column.trim().toLowerCase());
    if (index === -1) {
      throw new CountersignError(
        'E_INTEL_MALFORMED',
        `${options.source}: line 1: no column named ${JSON.stringify(column)} for ${role} (columns: ${header.join(', ') || 'none'})`,
      );
    }
    return index;
  };
  const map = options.columns;
  const at = {
    value: resolve(map.value, 'value')!,
    type: resolve(map.type, 'type'),
    tags: resolve(map.tags, 'tags'),
    confidence: resolve(map.confidence, 'confidence'),
    expiresAt: resolve(map.expiresAt, 'expiresAt'),
    description: resolve(map.description, 'description'),
    reference: resolve(map.reference, 'reference'),
  };
  const collector = new IocCollector(options);
  for (const row of rows) {
    const location = `line ${row.line}`;
    const cell = (index: number | undefined): string | undefined => {
      const value = index === undefined ? undefined : row.cells[index]?.trim();
      return value === '' ? undefined : value;
    };
    if (row.cells.every((c) => c.trim() === '')) continue;
    const value = cell(at.value);
    if (value === undefined) {
      collector.reject(
        { location, line: row.line, value: row.cells.join(',') },
        'no value in the value column',
      );
      continue;
    }
    const typeCell = cell(at.type);
    const type = options.type ?? (typeCell === undefined ? undefined : iocTypeFromName(typeCell));
    if (typeCell !== undefined && type === undefined && options.type === undefined) {
      collector.reject(
        { location, line: row.line, value },
        `unknown indicator type ${JSON.stringify(typeCell)}`,
      );
      continue;
    }
    const confidenceCell = cell(at.confidence);
    const confidence = parseConfidence(confidenceCell);
    if (confidenceCell !== undefined && confidence === undefined) {
      collector.reject(
        { location, line: row.line, value },
        `confidence ${JSON.stringify(confidenceCell)} is not 0-100`,
      );
      continue;
    }
    const expiresAt = cell(at.expiresAt);
    if (expiresAt !== undefined && Number.isNaN(Date.parse(expiresAt))) {
      collector.reject(
        { location, line: row.line, value },
        `expiry ${JSON.stringify(expiresAt)} is not a date`,
      );
      continue;
    }
    const tags = cell(at.tags)
      ?.split(/[|;,]/)
      .map((t) => t.trim())
      .filter((t) => t !== '');
    const description = cell(at.description);
    const reference = cell(at.reference);
    collector.add({
      type,
      value,
      location,
      line: row.line,
      ...(tags !== undefined ? { tags } : {}),
      ...(confidence !== undefined ? { confidence } : {}),
      ...(expiresAt !== undefined ? { expiresAt: new Date(expiresAt).toISOString() } : {}),
      ...(description !== undefined ? { description } : {}),
      ...(reference !== undefined ? { reference } : {}),
    });
  }
  return collector.result();
}

interface CsvRow {
  readonly line: number;
  readonly cells: string[];
}

/** RFC 4180 reader; a quote left open fails the import, naming the line where the field began. */
export function readCsv(text: string, delimiter: string, source: string): CsvRow[] {
  const rows: CsvRow[] = [];
  let cells: string[] = [];
  let field = '';
  let line = 1;
  let rowLine = 1;
  let i = 0;
  while (i < text.length) {
    const ch = text[i]!;
    if (ch === '"' && field === '') {
      const quoteLine = line;
      i += 1;
      for (;;) {
        if (i >= text.length) {
          throw new CountersignError(
            'E_INTEL_MALFORMED',
            `${source}: line ${quoteLine}: quoted field is never closed`,
            {
              details: { line: quoteLine },
            },
          );
        }
        const c = text[i]!;
        if (c === '"') {
          if (text[i + 1] === '"') {
            field += '"';
            i += 2;
            continue;
          }
          i += 1;
          break;
        }
        if (c === '\n') line += 1;
        field += c;
        i += 1;
      }
      continue;
    }
    if (ch === delimiter) {
      cells.push(field);
      field = '';
    } else if (ch === '\n' || ch === '\r') {
      if (ch === '\r' && text[i + 1] === '\n') i += 1;
      cells.push(field);
      rows.push({ line: rowLine, cells });
      cells = [];
      field = '';
      line += 1;
      rowLine = line;
    } else {
      field += ch;
    }
    i += 1;
  }
  if (field !== '' || cells.length > 0) {
    cells.push(field);
    rows.push({ line: rowLine, cells });
  }
  return rows;
}
