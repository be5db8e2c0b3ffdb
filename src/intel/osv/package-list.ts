import semver from 'semver';
import { CountersignError } from '../../core/errors.js';
import { readCsv } from '../ioc/parse-csv.js';
import type { OsvImport, OsvRejection } from './load.js';
import { type OsvRecord, PACKAGE_LIST_KEY } from './types.js';

export interface PackageListOptions {
  /** Name of the list (becomes part of each record id and its origin). */
  readonly source: string;
  readonly ecosystem?: string;
  /** Header names of the package and versions columns (default: the first two columns). */
  readonly columns?: { readonly name: string; readonly versions: string };
  readonly reference?: string;
  /** The list's date, as each record's `modified` (default: the epoch, so any real record wins). */
  readonly modified?: string;
  readonly strict?: boolean;
}

/**
 * Incident write-ups often publish "package, compromised versions" tables (Shai-Hulud, the
 * chalk/debug takeover) before OSV records exist. This turns such a CSV into malicious-package
 * OSV records with explicit `versions` (or every version, for `*`), so they match like MAL records.
 * The versions cell may hold several versions separated by commas, spaces or `||`.
 */
export function osvRecordsFromPackageList(text: string, options: PackageListOptions): OsvImport {
  const ecosystem = options.ecosystem ?? 'npm';
  const rows = readCsv(text.replace(/^\uFEFF/, ''), ',', options.source);
  const header = rows.shift()?.cells.map((c) => c.trim().toLowerCase()) ?? [];
  const column = (name: string | undefined, fallback: number): number => {
    if (name === undefined) return fallback;
    const index = header.indexOf(name.toLowerCase());
    if (index === -1)
      throw new CountersignError(
        'E_INTEL_MALFORMED',
        `${options.source}: line 1: no column named ${JSON.stringify(name)}`,
      );
    return index;
  };
  const nameAt = column(options.columns?.name, 0);
  const versionsAt = column(options.columns?.versions, 1);
  const records: OsvRecord[] = [];
  const rejected: OsvRejection[] = [];
  const reject = (line: number, message: string): void => {
    const full = `${options.source}: line ${line}: ${message}`;
    if (options.strict === true) throw new CountersignError('E_INTEL_MALFORMED', full, { details: { line } });
    rejected.push({ origin: `${options.source} line ${line}`, code: 'E_INTEL_MALFORMED', message: full });
  };
  for (const row of rows) {
    const name = row.cells[nameAt]?.trim() ?? '';
    const cell = row.cells[versionsAt]?.trim() ?? '';
    if (name === '' && cell === '') continue;
    if (name === '') {
      reject(row.line, 'no package name');
      continue;
    }
    const versions = cell.split(/\s*(?:,|\|\||\s)\s*/).filter((v) => v !== '');
    if (versions.length === 0) {
      reject(row.line, `no versions for ${name}`);
      continue;
    }
    const isEveryVersion = versions.includes('*');
    const invalid = versions.filter((v) => v !== '*' && semver.valid(v) === null);
    if (ecosystem === 'npm' && invalid.length > 0) {
      reject(row.line, `not npm versions: ${invalid.join(', ')}`);
      continue;
    }
    records.push({
      id: `LIST-${options.source}-${name}`,
      modified: options.modified ?? '1970-01-01T00:00:00Z',
      aliases: [],
      summary: `${name} (${ecosystem}) is listed as compromised in ${options.source}`,
      severity: [],
      affected: [
        {
          package: { ecosystem, name },
          ranges: isEveryVersion ? [{ type: 'SEMVER', events: [{ kind: 'introduced', version: '0' }] }] : [],
          versions: versions.filter((v) => v !== '*'),
          digests: [],
        },
      ],
      references: options.reference === undefined ? [] : [{ type: 'ADVISORY', url: options.reference }],
      databaseSpecific: { [PACKAGE_LIST_KEY]: { source: options.source, line: row.line, malicious: true } },
      origin: `${options.source} line ${row.line}`,
    });
  }
  return { records, rejected, ignoredEntries: 0 };
}
