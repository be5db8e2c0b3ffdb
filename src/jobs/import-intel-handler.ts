import { CountersignError, isCountersignError } from '../core/errors.js';
import { IOC_FORMATS, type IocFormat, importIocFile } from '../intel/ioc/load.js';
import type { Indicator } from '../intel/ioc/types.js';
import type { Actor, BlobStore, IndicatorRecord, IntelSourceRecord, Store } from '../store/types.js';
import type { JobHandler } from './types.js';

export interface ImportIntelHandlerDeps {
  readonly store: Store;
  readonly blobs: BlobStore;
  readonly actor?: Actor;
  /** Largest intel file parsed (default: the parser's own limit). */
  readonly maxBytes?: number;
  readonly onImported?: (source: IntelSourceRecord, rejected: number) => void;
}

/** An indicator as the store keeps it (the API's inline import and the import job share it). */
export function indicatorRecordOf(indicator: Indicator): Omit<IndicatorRecord, 'sourceId'> {
  return {
    kind: indicator.type,
    value: indicator.value,
    tags: indicator.tags,
    ...(indicator.confidence !== undefined ? { confidence: String(indicator.confidence) } : {}),
    ...(indicator.source.reference !== undefined ? { reference: indicator.source.reference } : {}),
    ...(indicator.expiresAt !== undefined ? { expiresAt: indicator.expiresAt } : {}),
  };
}

/** The origin a job's source is stored under: the uploaded file and the job that imported it. */
export const intelOriginOf = (sha256: string, key: string): string => `upload:sha256:${sha256};job:${key}`;

function formatOf(value: string): IocFormat | undefined {
  if (value === '' || value === 'auto') return undefined;
  if (!(IOC_FORMATS as readonly string[]).includes(value)) {
    throw new CountersignError(
      'E_USAGE',
      `unknown intel format ${value} (expected ${IOC_FORMATS.join(', ')})`,
    );
  }
  return value as IocFormat;
}

/**
 * The `import-intel` job: parses an uploaded IOC file (text, CSV, STIX 2.1, MISP) from the blob
 * store and stores it as a named source with its indicators. A retry whose earlier attempt already
 * stored the source (same job key in its origin) stores nothing more. The store has no unique key
 * on sources, so two attempts running at the very same time (an expired job still running) could
 * both store: the queue's expiry must stay above an import's duration.
 */
export function importIntelHandler(deps: ImportIntelHandlerDeps): JobHandler<'import-intel'> {
  const actor: Actor = deps.actor ?? { kind: 'system', id: 'worker' };
  return async (job, context) => {
    const origin = intelOriginOf(job.sha256, context.key);
    const existing = (await deps.store.listIntelSources()).find((source) => source.origin === origin);
    if (existing) {
      deps.onImported?.(existing, 0);
      return;
    }
    const path = await deps.blobs.localPath(job.sha256);
    const format = formatOf(job.format);
    let imported: Awaited<ReturnType<typeof importIocFile>>;
    try {
      imported = await importIocFile(path, {
        source: job.name,
        ...(format ? { format } : {}),
        ...(deps.maxBytes !== undefined ? { maxBytes: deps.maxBytes } : {}),
      });
    } catch (error) {
      // The parsers name the file they read: name the source, not the blob path.
      if (isCountersignError(error)) {
        throw new CountersignError(error.code, error.message.replaceAll(path, job.name), { cause: error });
      }
      throw error;
    }
    context.signal.throwIfAborted();
    const counts: Record<string, number> = { indicators: imported.indicators.length };
    for (const indicator of imported.indicators) counts[indicator.type] = (counts[indicator.type] ?? 0) + 1;
    const source = await deps.store.saveIntelSource(
      actor,
      { name: job.name, kind: 'ioc', origin, fetchedAt: new Date().toISOString(), counts },
      imported.indicators.map(indicatorRecordOf),
    );
    deps.onImported?.(source, imported.rejected.length);
  };
}
