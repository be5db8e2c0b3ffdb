import { CountersignError, type ErrorCode, isCountersignError } from '../../core/errors.js';

/** Library messages that mean "the input stopped before the container did". */
const TRUNCATION_MESSAGES = [
  /unexpected (eof|end)/i, // yauzl "unexpected EOF", tar-stream "Unexpected end of data", zlib "unexpected end of file"
  /not enough bytes/i, // yauzl: fewer bytes than the central directory declares
  /file data overflows file bounds/i,
  /signature not found/i, // yauzl: no end-of-central-directory record (cut off, or not a zip)
];

/**
 * Turns whatever a parsing library threw into a typed archive error: truncation when the message
 * says the data ended early, corruption otherwise. Typed errors pass through untouched, so a
 * limit error raised inside a stream keeps its own code.
 */
export function toArchiveError(error: unknown, context: string): CountersignError {
  if (isCountersignError(error)) return error;
  const message = error instanceof Error ? error.message : String(error);
  const code: ErrorCode = TRUNCATION_MESSAGES.some((pattern) => pattern.test(message))
    ? 'E_ARCHIVE_TRUNCATED'
    : 'E_ARCHIVE_CORRUPT';
  return new CountersignError(code, `${context}: ${message}`, { cause: error });
}
