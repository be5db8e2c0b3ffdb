import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import type Database from 'better-sqlite3';
import { lazyPackage } from '../../core/lazy-package.js';

const sqlite = lazyPackage<typeof Database>('better-sqlite3');

import type { AnalysisCache, AnalysisCacheKey, AnalyzerResult } from '../../core/plugin.js';
import { codeFingerprint } from './code-fingerprint.js';

/**
 * The analysis cache on disk: one SQLite file (better-sqlite3, WAL) of analyzer results keyed by
 * content digest, entry name and analyzer (id, version, configuration). Lookups are synchronous
 * and cost microseconds, far less than parsing a PE or a JavaScript file again.
 *
 * A result that cannot be read back (a row written by an older layout, a torn write) is a miss,
 * never an error: the cache can only make a scan faster, never different.
 */
export class SqliteAnalysisCache implements AnalysisCache {
  private readonly db: Database.Database;
  private readonly select: Database.Statement<[string, string, string], { result: string }>;
  private readonly insert: Database.Statement<[string, string, string, string, string]>;
  /** Rows written by other code are dropped on open (see codeFingerprint). */
  private readonly code = codeFingerprint();
  hits = 0;
  misses = 0;

  constructor(file: string) {
    mkdirSync(dirname(file), { recursive: true });
    this.db = new (sqlite())(file);
    this.db.pragma('journal_mode = WAL');
    // Two scans (a vet's baseline and candidate, or two CLI runs) may share the file.
    this.db.pragma('busy_timeout = 5000');
    this.db.exec(`CREATE TABLE IF NOT EXISTS analysis (
      sha256 TEXT NOT NULL,
      name TEXT NOT NULL,
      analyzer TEXT NOT NULL,
      result TEXT NOT NULL,
      created_at TEXT NOT NULL,
      PRIMARY KEY (sha256, name, analyzer)
    ) WITHOUT ROWID`);
    this.db.exec(`CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)`);
    const stored = this.db.prepare(`SELECT value FROM meta WHERE key = 'code'`).get() as
      | { value: string }
      | undefined;
    if (stored?.value !== this.code) {
      this.db.exec('DELETE FROM analysis');
      this.db.prepare(`INSERT OR REPLACE INTO meta (key, value) VALUES ('code', ?)`).run(this.code);
    }
    this.select = this.db.prepare(
      'SELECT result FROM analysis WHERE sha256 = ? AND name = ? AND analyzer = ?',
    );
    this.insert = this.db.prepare(
      'INSERT OR REPLACE INTO analysis (sha256, name, analyzer, result, created_at) VALUES (?, ?, ?, ?, ?)',
    );
  }

  get(key: AnalysisCacheKey): AnalyzerResult | undefined {
    const row = this.select.get(key.sha256, key.name, key.analyzer);
    const result = row ? parseResult(row.result) : undefined;
    if (result) this.hits++;
    else this.misses++;
    return result;
  }

  put(key: AnalysisCacheKey, result: AnalyzerResult): void {
    this.insert.run(key.sha256, key.name, key.analyzer, JSON.stringify(result), new Date().toISOString());
  }

  close(): void {
    this.db.close();
  }
}

function parseResult(text: string): AnalyzerResult | undefined {
  try {
    const value = JSON.parse(text) as Partial<AnalyzerResult> | null;
    if (value && Array.isArray(value.facts) && Array.isArray(value.gaps)) return value as AnalyzerResult;
  } catch {
    // fall through: a miss
  }
  return undefined;
}
