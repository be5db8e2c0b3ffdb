import { CountersignError, isCountersignError } from '../core/errors.js';
import { IOC_FORMATS, type IocFormat, importIocFile } from '../intel/ioc/load.js';
import type { Indicator } from '../intel/ioc/types.js';
import type { Actor, BlobStore, IndicatorRecord, IntelSourceRecord, Store } from '../store/types.js';
import {
  errorCodeOf,
  isPermanentJobError,
  isStopAbort,
  type JobHandler,
  PermanentJobError,
} from './types.js';

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

/**
 * One import per file and name: the source's import key and the job's singleton key. Posting the
 * same file under the same name again joins the queued job, or finds the stored source. (The same
 * string the API's earlier inline import used, so sources it stored are found too.)
 */
export const intelImportKeyOf = (sha256: string, name: string): string => `upload:${sha256}:${name}`;

/** Parser errors that another attempt would meet again: the job fails at once. */
const PERMANENT_CODES: ReadonlySet<string> = new Set([
  'E_INTEL_MALFORMED',
  'E_USAGE',
  'E_ARTIFACT_FILE_TOO_LARGE',
]);

function formatOf(value: string): IocFormat | undefined {
  if (value === '' || value === 'auto') return undefined;
  if (!(IOC_FORMATS as readonly string[]).includes(value)) {
    throw new PermanentJobError(
      'E_USAGE',
      `unknown intel format ${value} (expected ${IOC_FORMATS.join(', ')})`,
    );
  }
  return value as IocFormat;
}

/**
 * The `import-intel` job: parses an uploaded IOC file (text, CSV, STIX 2.1, MISP) from the blob
 * store and stores it as a named source with its indicators. Idempotent by file and name: a retry,
 * or a later job for the same file and name, finds the stored source and stores nothing more (the
 * store checks the import key again under its write lock, so two attempts at once store one).
 * A file the parsers refuse fails the job without retries, with the parser's message naming the
 * source, never the blob's path on the server. The import recorded for the file and name (if the
 * API recorded one) becomes `imported` in the transaction that stores the source, or `failed` with
 * the job's last error.
 */
export function importIntelHandler(deps: ImportIntelHandlerDeps): JobHandler<'import-intel'> {
  const importOnce = importOnceHandler(deps);
  return async (job, context) => {
    try {
      await importOnce(job, context);
    } catch (error) {
      // The recorded import (requestIntelImport) fails with the job, so that its requester can read
      // why after the queue has forgotten the job; a job handed back at a stop stays pending.
      const isLast =
        isPermanentJobError(error) || context.attempt >= (context.maxAttempts ?? Number.POSITIVE_INFINITY);
      if (isLast && !isStopAbort(context.signal)) {
        const code = errorCodeOf(error);
        await deps.store
          .failIntelImport(deps.actor ?? WORKER, intelImportKeyOf(job.sha256, job.name), {
            error: error instanceof Error ? error.message : String(error),
            ...(code !== undefined ? { code } : {}),
          })
          .catch(() => undefined); // the job's own failure is what the queue must see
      }
      throw error;
    }
  };
}

const WORKER: Actor = { kind: 'system', id: 'worker' };

function importOnceHandler(deps: ImportIntelHandlerDeps): JobHandler<'import-intel'> {
  return async (job, context) => {
    const actor: Actor = job.requestedBy ?? deps.actor ?? WORKER;
    const importKey = intelImportKeyOf(job.sha256, job.name);
    const origin = intelOriginOf(job.sha256, context.key);
    const existing = (await deps.store.listIntelSources()).find(
      // Sources stored by jobs of an earlier version carry only the job's key in their origin.
      (source) => source.importKey === importKey || source.origin === origin,
    );
    if (existing) {
      deps.onImported?.(existing, existing.counts.rejected ?? 0);
      return;
    }
    const format = formatOf(job.format);
    const path = await deps.blobs.localPath(job.sha256);
    let imported: Awaited<ReturnType<typeof importIocFile>>;
    try {
      imported = await importIocFile(path, {
        source: job.name,
        ...(format ? { format } : {}),
        ...(job.tags && job.tags.length > 0 ? { tags: [...job.tags] } : {}),
        ...(deps.maxBytes !== undefined ? { maxBytes: deps.maxBytes } : {}),
      });
    } catch (error) {
      // The parsers name the file they read: name the source, not the blob path.
      if (isCountersignError(error)) {
        const message = error.message.replaceAll(path, job.name);
        if (PERMANENT_CODES.has(error.code))
          throw new PermanentJobError(error.code, message, { cause: error });
        throw new CountersignError(error.code, message, { cause: error });
      }
      throw error;
    }
    context.signal.throwIfAborted();
    const counts: Record<string, number> = { indicators: imported.indicators.length };
    for (const indicator of imported.indicators) counts[indicator.type] = (counts[indicator.type] ?? 0) + 1;
    // Input items that did not become indicators, kept with the source for whoever asks later.
    counts.rejected = imported.rejected.length;
    const source = await deps.store.saveIntelSource(
      actor,
      { name: job.name, kind: 'ioc', origin, fetchedAt: new Date().toISOString(), counts, importKey },
      imported.indicators.map(indicatorRecordOf),
    );
    deps.onImported?.(source, imported.rejected.length);
  };
}
