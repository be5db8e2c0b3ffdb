/**
 * Worker thread: JavaScript capability extraction off the main thread (parse, deserialise, walk),
 * which only more threads can spread; the main thread meanwhile unpacks, hashes and runs the rules.
 * Each thread has its own raw-transfer buffer (oxc-raw.ts).
 */
import { parentPort } from 'node:worker_threads';
import type { ExtractLimits } from './context.js';
import { type ExtractResult, extractJsCapabilities, type JsLang } from './extract.js';
import { decodeSource } from './source-text.js';

export interface ExtractRequest {
  readonly id: number;
  readonly bytes: Uint8Array;
  readonly filename: string;
  readonly lang: JsLang;
  readonly limits: ExtractLimits;
}

export type ExtractResponse =
  | { readonly id: number; readonly result: ExtractResult }
  | { readonly id: number; readonly error: string };

/** Requests come in batches (extract-pool.ts); the answers go back as one message too. */
parentPort?.on('message', (batch: ExtractRequest[]) => {
  parentPort?.postMessage(batch.map(answer));
});

function answer(request: ExtractRequest): ExtractResponse {
  try {
    const source = decodeSource(request.bytes);
    const result = extractJsCapabilities(source, {
      filename: request.filename,
      lang: request.lang,
      limits: request.limits,
    });
    return { id: request.id, result };
  } catch (error) {
    return { id: request.id, error: error instanceof Error ? error.message : String(error) };
  }
}
