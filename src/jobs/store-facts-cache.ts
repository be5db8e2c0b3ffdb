import { createHash } from 'node:crypto';
import type { AnalysisCache, AnalysisCacheKey, AnalyzerResult } from '../core/plugin.js';
import { TOOL_VERSION } from '../core/version.js';
import type { Actor, FactsRecord, Store } from '../store/types.js';

/** saveFacts writes one transaction and one audit entry per call: batches keep both few. */
const FLUSH_BATCH = 500;

/** The store's key for an engine key: the plugin id, and everything else hashed into the version. */
export function factsKeyOf(key: AnalysisCacheKey): { analyzer: string; analyzerVersion: string } {
  const at = key.analyzer.indexOf('@');
  const analyzer = at === -1 ? key.analyzer : key.analyzer.slice(0, at);
  // `<version>:<cacheKey()>` plus the entry's own name (parsers are chosen by extension) and the
  // tool version (a release of Countersign may change what an unchanged analyzer version says).
  const rest = at === -1 ? '' : key.analyzer.slice(at + 1);
  const digest = createHash('sha256')
    .update(`${TOOL_VERSION}\u0000${rest}\u0000${key.name}`)
    .digest('hex')
    .slice(0, 24);
  return { analyzer, analyzerVersion: `${rest.split(':')[0]}+${digest}` };
}

type FactsKey = { nodeSha256: string; analyzer: string; analyzerVersion: string };

interface PendingLookUp {
  readonly id: string;
  readonly wanted: FactsKey;
  resolve(record: FactsRecord | undefined): void;
  reject(error: unknown): void;
}

/**
 * The engine's per-content analysis cache kept in the shared store (`saveFacts`/`getFacts`): a
 * worker on any machine finds what another analyser said about the same bytes, so vetting N+1
 * re-analyses only the contents N did not have. Writes are held back and stored by `flush()`
 * in batches (call it once the scan is done; a crash before it only loses cache entries).
 */
export class StoreFactsCache implements AnalysisCache {
  private readonly pending = new Map<string, Omit<FactsRecord, 'createdAt'>>();
  private batch: PendingLookUp[] = [];

  constructor(
    private readonly store: Store,
    private readonly actor: Actor = { kind: 'system', id: 'worker' },
  ) {}

  async get(key: AnalysisCacheKey): Promise<AnalyzerResult | undefined> {
    const { analyzer, analyzerVersion } = factsKeyOf(key);
    const id = `${key.sha256}\u0000${analyzer}\u0000${analyzerVersion}`;
    const held = this.pending.get(id);
    if (held) return held.facts as AnalyzerResult;
    const record = await this.lookUp(id, { nodeSha256: key.sha256, analyzer, analyzerVersion });
    return record ? (record.facts as AnalyzerResult) : undefined;
  }

  /**
   * The engine analyses many nodes at once, and a round trip per node to a shared PostgreSQL
   * costs more than most analyses: lookups made in the same turn of the event loop go out as one
   * `findFacts` query.
   */
  private lookUp(id: string, wanted: FactsKey): Promise<FactsRecord | undefined> {
    return new Promise((resolve, reject) => {
      this.batch.push({ id, wanted, resolve, reject });
      if (this.batch.length === 1) setImmediate(() => void this.runBatch());
    });
  }

  private async runBatch(): Promise<void> {
    const batch = this.batch;
    this.batch = [];
    try {
      const found = await this.store.findFacts(batch.map((item) => item.wanted));
      const byId = new Map(
        found.map((record) => [
          `${record.nodeSha256}\u0000${record.analyzer}\u0000${record.analyzerVersion}`,
          record,
        ]),
      );
      for (const item of batch) item.resolve(byId.get(item.id));
    } catch (error) {
      for (const item of batch) item.reject(error);
    }
  }

  put(key: AnalysisCacheKey, result: AnalyzerResult): void {
    const { analyzer, analyzerVersion } = factsKeyOf(key);
    this.pending.set(`${key.sha256}\u0000${analyzer}\u0000${analyzerVersion}`, {
      nodeSha256: key.sha256,
      analyzer,
      analyzerVersion,
      facts: result,
    });
  }

  /** Stores what was held back; returns how many entries were new to the store. */
  async flush(): Promise<number> {
    const entries = [...this.pending.values()];
    this.pending.clear();
    let added = 0;
    for (let start = 0; start < entries.length; start += FLUSH_BATCH) {
      added += await this.store.saveFacts(this.actor, entries.slice(start, start + FLUSH_BATCH));
    }
    return added;
  }
}
