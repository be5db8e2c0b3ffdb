import { PassThrough, type Readable } from 'node:stream';
import type { CountersignError } from '../../core/errors.js';

/**
 * Re-emits `source` so that any error the consumer sees is a CountersignError (the engine turns
 * stream errors into coverage gaps and must be able to rely on their codes). Destroying the
 * returned stream destroys the source too.
 */
export function typedStream(source: Readable, toTyped: (error: unknown) => CountersignError): Readable {
  const output = new PassThrough();
  let finished = false;
  source.on('error', (error) => {
    if (!finished) output.destroy(toTyped(error));
  });
  source.on('end', () => {
    finished = true;
  });
  output.on('close', () => {
    if (!finished && !source.destroyed) {
      source.unpipe(output);
      source.destroy();
    }
  });
  source.pipe(output);
  return output;
}
