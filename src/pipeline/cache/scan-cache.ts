import { homedir } from 'node:os';
import { join, resolve } from 'node:path';
import { SqliteAnalysisCache } from './analysis-cache.js';
import { TreeCache } from './tree-cache.js';

/** The two levels of the scan cache: whole trees by input, analyzer results by content. */
export interface ScanCache {
  readonly folder: string;
  readonly trees: TreeCache;
  readonly analysis: SqliteAnalysisCache;
  close(): void;
}

export function openScanCache(folder: string): ScanCache {
  const analysis = new SqliteAnalysisCache(join(folder, 'analysis.sqlite'));
  return { folder, trees: new TreeCache(join(folder, 'trees')), analysis, close: () => analysis.close() };
}

/** `$COUNTERSIGN_HOME/cache`, or `~/.countersign/cache`. */
export function defaultCacheFolder(env: NodeJS.ProcessEnv = process.env): string {
  return env.COUNTERSIGN_HOME
    ? join(resolve(env.COUNTERSIGN_HOME), 'cache')
    : join(homedir(), '.countersign', 'cache');
}
