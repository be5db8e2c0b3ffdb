import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { type ErrorCode, isCountersignError } from '../core/errors.js';

/**
 * Every error the API returns is `application/problem+json` (RFC 9457) with Countersign's stable
 * `code`; clients switch on `code`, people read `title` and `detail`. Unknown errors become a 500
 * whose detail names the request id only: stacks and messages stay in the server log.
 */

export const PROBLEM_CONTENT_TYPE = 'application/problem+json';

export interface Problem {
  readonly type: string;
  readonly title: string;
  readonly status: number;
  readonly detail: string;
  readonly code: ErrorCode;
  readonly instance?: string;
  /** Validation errors: where and what. */
  readonly errors?: readonly { readonly path: string; readonly message: string }[];
}

const TITLES: Partial<Record<ErrorCode, string>> = {
  E_API_BAD_REQUEST: 'Bad request',
  E_API_VALIDATION: 'Request does not match the schema',
  E_API_UNAUTHORIZED: 'Authentication required',
  E_API_FORBIDDEN: 'Role too small for this operation',
  E_API_NOT_FOUND: 'Not found',
  E_API_CONFLICT: 'Conflict with the current state',
  E_API_UNSUPPORTED_MEDIA_TYPE: 'Unsupported media type',
  E_API_UNAVAILABLE: 'Service unavailable',
  E_UPLOAD_TOO_LARGE: 'Upload too large',
  E_USAGE: 'Bad request',
  E_INTEL_MALFORMED: 'Intel file malformed',
  E_INTERNAL: 'Internal error',
  E_STORE_NOT_FOUND: 'Not found',
  E_STORE_CONFLICT: 'Already exists',
  E_STORE_UNAVAILABLE: 'Store unavailable',
  E_BLOB_NOT_FOUND: 'Not found',
};

/** Status for a CountersignError raised below the HTTP layer (store, blobs, intel parsers). */
const STATUS_OF_CODE: Partial<Record<ErrorCode, number>> = {
  E_API_BAD_REQUEST: 400,
  E_API_VALIDATION: 400,
  E_API_UNAUTHORIZED: 401,
  E_API_FORBIDDEN: 403,
  E_API_NOT_FOUND: 404,
  E_API_CONFLICT: 409,
  E_API_UNSUPPORTED_MEDIA_TYPE: 415,
  E_API_UNAVAILABLE: 503,
  E_UPLOAD_TOO_LARGE: 413,
  // An intel file over the parser's own limit (below the upload limit only if configured so).
  E_ARTIFACT_FILE_TOO_LARGE: 413,
  E_USAGE: 400,
  E_INPUT_NOT_FOUND: 404,
  E_INTEL_MALFORMED: 400,
  E_LOCKFILE_MALFORMED: 400,
  E_STORE_NOT_FOUND: 404,
  E_STORE_CONFLICT: 409,
  E_STORE_UNAVAILABLE: 503,
  E_BLOB_NOT_FOUND: 404,
};

export function problemType(code: ErrorCode): string {
  return `urn:countersign:problem:${code}`;
}

/** An error a route throws on purpose: it becomes exactly this problem. */
export class HttpProblem extends Error {
  override readonly name = 'HttpProblem';
  constructor(
    readonly status: number,
    readonly code: ErrorCode,
    readonly detail: string,
  ) {
    super(detail);
  }
}

export const notFound = (what: string): HttpProblem =>
  new HttpProblem(404, 'E_API_NOT_FOUND', `${what} not found`);
export const conflict = (detail: string): HttpProblem => new HttpProblem(409, 'E_API_CONFLICT', detail);

export function makeProblem(
  status: number,
  code: ErrorCode,
  detail: string,
  extra?: Pick<Problem, 'errors' | 'instance'>,
): Problem {
  return {
    type: problemType(code),
    title: TITLES[code] ?? code,
    status,
    detail,
    code,
    ...extra,
  };
}

export function sendProblem(reply: FastifyReply, problem: Problem): FastifyReply {
  return reply.code(problem.status).type(PROBLEM_CONTENT_TYPE).send(problem);
}

/** Fastify's own errors (body parsing, content type, limits) keep their status with our codes. */
function codeOfFastifyStatus(status: number): ErrorCode {
  if (status === 413) return 'E_UPLOAD_TOO_LARGE';
  if (status === 415) return 'E_API_UNSUPPORTED_MEDIA_TYPE';
  if (status === 404) return 'E_API_NOT_FOUND';
  return 'E_API_BAD_REQUEST';
}

export function problemOf(error: unknown, request: FastifyRequest): Problem {
  const instance = request.url.split('?')[0];
  const at = instance ? { instance } : {};
  if (error instanceof HttpProblem) return makeProblem(error.status, error.code, error.detail, at);
  const fastifyError = error as Partial<FastifyError>;
  if (fastifyError.validation) {
    const context = fastifyError.validationContext ?? 'request';
    const errors = fastifyError.validation.map((item) => ({
      path: `${context}${item.instancePath || ''}`,
      message: item.message ?? 'invalid',
    }));
    return makeProblem(400, 'E_API_VALIDATION', fastifyError.message ?? 'invalid request', {
      ...at,
      errors,
    });
  }
  if (isCountersignError(error)) {
    const status = STATUS_OF_CODE[error.code];
    if (status !== undefined) return makeProblem(status, error.code, error.message, at);
  }
  const status = fastifyError.statusCode;
  if (typeof status === 'number' && status >= 400 && status < 500 && typeof fastifyError.code === 'string') {
    return makeProblem(status, codeOfFastifyStatus(status), fastifyError.message ?? 'bad request', at);
  }
  return makeProblem(500, 'E_INTERNAL', `internal error (request ${request.id}; see the server log)`, at);
}

export function installProblemHandlers(app: FastifyInstance): void {
  app.setErrorHandler((error, request, reply) => {
    const problem = problemOf(error, request);
    // A refused upload leaves body bytes unread on the socket: close it rather than parse them as
    // the next request on a kept-alive connection.
    if (!request.raw.complete) reply.header('connection', 'close');
    if (problem.status >= 500) request.log.error({ err: error }, 'request failed');
    else request.log.info({ code: problem.code, detail: problem.detail }, 'request refused');
    return sendProblem(reply, problem);
  });
  app.setNotFoundHandler((request, reply) =>
    sendProblem(
      reply,
      makeProblem(404, 'E_API_NOT_FOUND', `no route ${request.method} ${request.url.split('?')[0]}`, {
        instance: request.url.split('?')[0] ?? '/',
      }),
    ),
  );
}

/** JSON Schema of a problem, for every route's error responses in the OpenAPI document. */
export const problemSchema = {
  $id: 'Problem',
  type: 'object',
  description: 'RFC 9457 problem details with a stable Countersign error code',
  required: ['type', 'title', 'status', 'detail', 'code'],
  properties: {
    type: { type: 'string' },
    title: { type: 'string' },
    status: { type: 'integer' },
    detail: { type: 'string' },
    code: { type: 'string' },
    instance: { type: 'string' },
    errors: {
      type: 'array',
      items: {
        type: 'object',
        required: ['path', 'message'],
        properties: { path: { type: 'string' }, message: { type: 'string' } },
      },
    },
  },
} as const;

/** The record, or a 404 problem naming what was missing. */
export function found<T>(value: T | undefined, what: string): T {
  if (value === undefined) throw notFound(what);
  return value;
}
