import { CountersignError } from '../../core/errors.js';

/**
 * The MSI database inside the compound file: the string pool (`_StringPool` + `_StringData`),
 * the column catalogue (`_Columns`) and any table read by column name. Tables are stored column
 * by column; integers carry a bias (0x8000 for 2-byte, 0x80000000 for 4-byte; 0 means NULL);
 * strings are indexes into the pool, 2 bytes wide, or 3 when the pool's codepage word has its
 * high bit set. Layout as in msitools' and Wine's msi/table.c and msi/string.c.
 */

const TYPE_STRING = 0x0800;
const TYPE_VALID = 0x0100;
const TYPE_NULLABLE = 0x1000;
const TYPE_TEMPORARY = 0x4000;
const LONG_STRING_REFS = 0x80000000;
/** Bounds on hostile pools and tables (real installers have tens of thousands of strings at most). */
const MAX_STRINGS = 4_000_000;
const MAX_ROWS = 4_000_000;

export type MsiValue = string | number | null;
export type MsiRow = Readonly<Record<string, MsiValue>>;

export interface MsiColumn {
  readonly name: string;
  readonly number: number;
  readonly type: number;
  readonly isString: boolean;
  readonly isTemporary: boolean;
}

function malformed(message: string): CountersignError {
  return new CountersignError('E_FORMAT_MALFORMED', `msi: ${message}`);
}

function decoderFor(codepage: number): { decode(bytes: Uint8Array): string } {
  if (codepage === 65001) return new TextDecoder('utf-8');
  try {
    return new TextDecoder(codepage === 0 ? 'windows-1252' : `windows-${codepage}`);
  } catch {
    return new TextDecoder('windows-1252');
  }
}

export class MsiStringPool {
  private constructor(
    private readonly strings: readonly string[],
    /** Bytes per string reference in tables: 2, or 3 for pools of over 65535 strings. */
    readonly refBytes: 2 | 3,
    readonly codepage: number,
  ) {}

  static parse(pool: Uint8Array, data: Uint8Array): MsiStringPool {
    if (pool.length < 4)
      throw malformed(`_StringPool has ${pool.length} bytes, fewer than its 4-byte header`);
    const view = new DataView(pool.buffer, pool.byteOffset, pool.byteLength);
    const header = view.getUint32(0, true);
    const codepage = header & ~LONG_STRING_REFS;
    const decoder = decoderFor(codepage);
    const entries = Math.floor(pool.length / 4);
    if (entries > MAX_STRINGS) throw malformed(`_StringPool declares ${entries} strings`);
    const strings: string[] = [''];
    let offset = 0;
    const word = (entry: number, half: 0 | 1) => view.getUint16(entry * 4 + half * 2, true);
    for (let entry = 1; entry < entries; ) {
      const length = word(entry, 0);
      const refs = word(entry, 1);
      let size = length;
      if (length === 0 && refs === 0) {
        strings.push('');
        entry++;
        continue;
      }
      if (length === 0) {
        // A string over 64 KiB: the entry after this one holds its length (low, high).
        if (entry + 1 >= entries) throw malformed('_StringPool ends inside a long-string entry');
        size = word(entry + 1, 0) + word(entry + 1, 1) * 0x10000;
        entry += 2;
      } else {
        entry += 1;
      }
      if (offset + size > data.length) {
        throw new CountersignError(
          'E_FORMAT_TRUNCATED',
          `msi: _StringData has ${data.length} bytes, the pool needs ${offset + size}`,
        );
      }
      strings.push(decoder.decode(data.subarray(offset, offset + size)));
      offset += size;
    }
    return new MsiStringPool(strings, header & LONG_STRING_REFS ? 3 : 2, codepage);
  }

  get(index: number): string | null {
    if (index === 0) return null;
    const value = this.strings[index];
    if (value === undefined)
      throw malformed(`string reference ${index} beyond the pool's ${this.strings.length - 1}`);
    return value;
  }
}

/** A binary column names a stream (`Binary.Data`); its cell is 2 bytes whatever the pool's width. */
function isBinaryColumn(column: MsiColumn): boolean {
  return (column.type & ~TYPE_NULLABLE) === (TYPE_STRING | TYPE_VALID);
}

function columnBytes(column: MsiColumn, refBytes: number): number {
  if (isBinaryColumn(column)) return 2;
  if (column.isString) return refBytes;
  return (column.type & 0xff) <= 2 ? 2 : 4;
}

/** Reads one column-major table stream with known columns into rows. */
export function readTable(
  stream: Uint8Array,
  columns: readonly MsiColumn[],
  pool: MsiStringPool,
  table: string,
): MsiRow[] {
  const stored = columns.filter((column) => !column.isTemporary);
  const widths = stored.map((column) => columnBytes(column, pool.refBytes));
  const rowBytes = widths.reduce((sum, width) => sum + width, 0);
  if (rowBytes === 0) return [];
  const rowCount = Math.floor(stream.length / rowBytes);
  if (rowCount > MAX_ROWS) throw malformed(`table ${table} has ${rowCount} rows`);
  if (stream.length % rowBytes !== 0) {
    throw malformed(`table ${table} is ${stream.length} bytes, not a whole number of ${rowBytes}-byte rows`);
  }
  const rows: Record<string, MsiValue>[] = Array.from({ length: rowCount }, () => ({}));
  let base = 0;
  for (const [index, column] of stored.entries()) {
    const width = widths[index] ?? 2;
    for (let row = 0; row < rowCount; row++) {
      const at = base + row * width;
      const raw =
        width === 2
          ? (stream[at] ?? 0) | ((stream[at + 1] ?? 0) << 8)
          : width === 3
            ? (stream[at] ?? 0) | ((stream[at + 1] ?? 0) << 8) | ((stream[at + 2] ?? 0) << 16)
            : ((stream[at] ?? 0) | ((stream[at + 1] ?? 0) << 8) | ((stream[at + 2] ?? 0) << 16)) +
              (stream[at + 3] ?? 0) * 0x1000000;
      let value: MsiValue;
      if (isBinaryColumn(column))
        value = raw; // a stream column: the row's stream, not a string
      else if (column.isString) value = pool.get(raw);
      else if (raw === 0) value = null;
      else value = width === 2 ? raw - 0x8000 : raw - 0x80000000;
      (rows[row] as Record<string, MsiValue>)[column.name] = value;
    }
    base += rowCount * width;
  }
  return rows;
}

/** The fixed layout of `_Columns` itself: Table, Number, Name, Type. */
const COLUMNS_OF_COLUMNS: readonly MsiColumn[] = [
  { name: 'Table', number: 1, type: TYPE_VALID | TYPE_STRING | 64, isString: true, isTemporary: false },
  { name: 'Number', number: 2, type: TYPE_VALID | 2, isString: false, isTemporary: false },
  { name: 'Name', number: 3, type: TYPE_VALID | TYPE_STRING | 64, isString: true, isTemporary: false },
  { name: 'Type', number: 4, type: TYPE_VALID | 2, isString: false, isTemporary: false },
];

/** Column definitions per table, from `_Columns`. */
export function readColumnCatalogue(
  columnsStream: Uint8Array,
  pool: MsiStringPool,
): Map<string, MsiColumn[]> {
  const catalogue = new Map<string, MsiColumn[]>();
  for (const row of readTable(columnsStream, COLUMNS_OF_COLUMNS, pool, '_Columns')) {
    const table = row.Table;
    const name = row.Name;
    const number = row.Number;
    const type = row.Type;
    if (
      typeof table !== 'string' ||
      typeof name !== 'string' ||
      typeof number !== 'number' ||
      typeof type !== 'number'
    ) {
      throw malformed('_Columns has a row without table, number, name or type');
    }
    const stored = type & 0xffff;
    const columns = catalogue.get(table) ?? [];
    columns.push({
      name,
      number,
      type: stored,
      isString: (stored & TYPE_STRING) !== 0,
      isTemporary: (stored & TYPE_TEMPORARY) !== 0,
    });
    catalogue.set(table, columns);
  }
  for (const columns of catalogue.values()) columns.sort((a, b) => a.number - b.number);
  return catalogue;
}
