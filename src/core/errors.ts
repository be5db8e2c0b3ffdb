/**
 * Typed errors with stable codes. Every failure Countersign reports carries one of these codes,
 * so that reports, exit codes and documentation can rely on them (see docs/errors.md).
 */
export const ERROR_CODES = [
  // usage and input
  'E_USAGE',
  'E_INPUT_NOT_FOUND',
  'E_INPUT_UNREADABLE',
  // artifact tree limits and safety
  'E_ARTIFACT_TOO_DEEP',
  'E_ARTIFACT_TOO_MANY_FILES',
  'E_ARTIFACT_TOO_LARGE',
  'E_ARTIFACT_FILE_TOO_LARGE',
  'E_ARTIFACT_RATIO_EXCEEDED',
  'E_ARTIFACT_LINK_NOT_FOLLOWED',
  'E_SCAN_NOT_DEEP', // a node_modules folder not walked: the user did not ask for --deep
  // archive contents
  'E_ARCHIVE_CORRUPT',
  'E_ARCHIVE_TRUNCATED',
  'E_ARCHIVE_ENCRYPTED',
  'E_ARCHIVE_UNSUPPORTED',
  'E_ARCHIVE_EXTERNAL_CONTENT', // content stored outside the container (asar `unpacked` files)
  // format parsers (formats/*)
  'E_FORMAT_TRUNCATED',
  'E_FORMAT_MALFORMED',
  'E_FORMAT_UNSUPPORTED',
  'E_PE_TRUNCATED',
  'E_PE_MALFORMED',
  'E_JS_SYNTAX',
  'E_ANALYZER_FACT_LIMIT',
  'E_LOCKFILE_MALFORMED',
  'E_LOCKFILE_UNSUPPORTED',
  'E_LOCKFILE_NOT_INSTALLED', // locked packages missing from node_modules in a --deep scan
  'E_INTEL_MALFORMED',
  // plugins and internals
  'E_PLUGIN_FAILED',
  'E_INTERNAL',
  // HTTP API (server/): the `code` of application/problem+json responses
  'E_API_BAD_REQUEST',
  'E_API_VALIDATION',
  'E_API_UNAUTHORIZED',
  'E_API_FORBIDDEN',
  'E_API_NOT_FOUND',
  'E_API_CONFLICT',
  'E_API_UNSUPPORTED_MEDIA_TYPE',
  'E_API_UNAVAILABLE',
  // store, blobs and uploads (issue 7)
  'E_STORE_URL_INVALID',
  'E_STORE_NOT_FOUND', // a referenced record (release, product, user...) does not exist
  'E_STORE_CONFLICT', // a unique key is taken (same version of a product, same file name in a release)
  'E_STORE_UNAVAILABLE',
  'E_UPLOAD_TOO_LARGE',
  'E_BLOB_NOT_FOUND',
] as const;

export type ErrorCode = (typeof ERROR_CODES)[number];

const KNOWN_CODES: ReadonlySet<string> = new Set(ERROR_CODES);

/** Whether a string (from another thread or process) is one of the codes. */
export function isErrorCode(value: string): value is ErrorCode {
  return KNOWN_CODES.has(value);
}

export class CountersignError extends Error {
  override readonly name = 'CountersignError';
  readonly code: ErrorCode;
  /** Extra structured context (offsets, limits) for reports; never secrets. */
  readonly details: Readonly<Record<string, unknown>> | undefined;

  constructor(
    code: ErrorCode,
    message: string,
    options?: { cause?: unknown; details?: Record<string, unknown> },
  ) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.details = options?.details;
  }
}

export function isCountersignError(value: unknown): value is CountersignError {
  return value instanceof CountersignError;
}

/**
 * Wraps anything thrown by third-party code into a typed error, keeping the original as `cause`.
 * Used at plugin boundaries so that a library's surprise never escapes as an untyped crash.
 */
export function toCountersignError(error: unknown, fallback: ErrorCode, context: string): CountersignError {
  if (isCountersignError(error)) return error;
  const message = error instanceof Error ? error.message : String(error);
  return new CountersignError(fallback, `${context}: ${message}`, { cause: error });
}
