import type { FastifyInstance } from 'fastify';
import { ROLES } from '../store/types.js';
import { problemSchema } from './problem.js';

/**
 * JSON Schemas of the API's records. They validate requests, shape responses (fast-json-stringify
 * drops anything not declared, so an internal field cannot leak) and become the components of
 * the OpenAPI document. Shared schemas are registered once by `$id` and referenced as `Name#`.
 */

const isoTime = { type: 'string', format: 'date-time' } as const;
const sha256 = { type: 'string', pattern: '^[a-f0-9]{64}$' } as const;
/** Free JSON kept as the pipeline wrote it (scan results, verdict details, evidence). */
const anyJson = {} as const;

export const idParams = {
  type: 'object',
  required: ['id'],
  properties: { id: { type: 'string', minLength: 1, maxLength: 200 } },
  additionalProperties: false,
} as const;

export const sha256Params = {
  type: 'object',
  required: ['sha256'],
  properties: { sha256 },
  additionalProperties: false,
} as const;

export const pageQueryProperties = {
  limit: { type: 'integer', minimum: 1, maximum: 500, default: 50 },
  cursor: { type: 'string', maxLength: 500, description: 'the `next` of the previous page' },
} as const;

export const searchQueryProperties = {
  ...pageQueryProperties,
  q: { type: 'string', maxLength: 200, description: 'case-insensitive substring of the name' },
} as const;

export function pageOf(itemRef: string, description: string) {
  return {
    type: 'object',
    description,
    required: ['items'],
    properties: {
      items: { type: 'array', items: { $ref: `${itemRef}#` } },
      next: { type: 'string', description: 'cursor of the next page; absent on the last page' },
    },
  } as const;
}

const SHARED = [
  problemSchema,
  {
    $id: 'User',
    type: 'object',
    required: ['id', 'name', 'role', 'createdAt'],
    properties: {
      id: { type: 'string' },
      name: { type: 'string' },
      role: { type: 'string', enum: [...ROLES] },
      createdAt: isoTime,
    },
  },
  {
    $id: 'ApiToken',
    type: 'object',
    required: ['id', 'userId', 'label', 'prefix', 'createdAt'],
    properties: {
      id: { type: 'string' },
      userId: { type: 'string' },
      label: { type: 'string' },
      prefix: { type: 'string', description: 'first characters of the token, to tell tokens apart' },
      createdAt: isoTime,
      lastUsedAt: isoTime,
      revokedAt: isoTime,
    },
  },
  {
    $id: 'ListedToken',
    type: 'object',
    description: 'a token record with the user it acts as; the token itself is never shown again',
    required: ['id', 'userId', 'userName', 'role', 'label', 'prefix', 'createdAt'],
    properties: {
      id: { type: 'string' },
      userId: { type: 'string' },
      userName: { type: 'string' },
      role: { type: 'string', enum: [...ROLES] },
      label: { type: 'string' },
      prefix: { type: 'string', description: 'first characters of the token, to tell tokens apart' },
      createdAt: isoTime,
      lastUsedAt: isoTime,
      revokedAt: isoTime,
    },
  },
  {
    $id: 'IssuedToken',
    type: 'object',
    description: 'the clear token is in this response only: it is stored as a SHA-256 digest',
    required: ['token', 'record'],
    properties: { token: { type: 'string' }, record: { $ref: 'ApiToken#' } },
  },
  {
    $id: 'Supplier',
    type: 'object',
    required: ['id', 'name', 'createdAt'],
    properties: {
      id: { type: 'string' },
      name: { type: 'string' },
      website: { type: 'string' },
      createdAt: isoTime,
    },
  },
  {
    $id: 'Product',
    type: 'object',
    required: ['id', 'supplierId', 'name', 'createdAt'],
    properties: {
      id: { type: 'string' },
      supplierId: { type: 'string' },
      name: { type: 'string' },
      ecosystem: { type: 'string' },
      trustedReleaseId: { type: 'string' },
      createdAt: isoTime,
    },
  },
  {
    $id: 'Release',
    type: 'object',
    required: ['id', 'productId', 'version', 'state', 'createdAt'],
    properties: {
      id: { type: 'string' },
      productId: { type: 'string' },
      version: { type: 'string' },
      state: { type: 'string', enum: ['new', 'vetting', 'vetted', 'failed'] },
      verdict: { type: 'string', enum: ['pass', 'review', 'block'] },
      baselineReleaseId: { type: 'string' },
      createdAt: isoTime,
    },
  },
  {
    $id: 'Artifact',
    type: 'object',
    required: ['sha256', 'sha1', 'md5', 'size', 'name', 'createdAt'],
    properties: {
      sha256,
      sha1: { type: 'string' },
      md5: { type: 'string' },
      size: { type: 'integer' },
      name: { type: 'string' },
      createdAt: isoTime,
    },
  },
  {
    $id: 'ReleaseArtifact',
    type: 'object',
    required: ['releaseId', 'sha256', 'name'],
    properties: { releaseId: { type: 'string' }, sha256, name: { type: 'string' } },
  },
  {
    $id: 'Analysis',
    type: 'object',
    required: ['id', 'artifactSha256', 'analyzerVersion', 'createdAt', 'result'],
    properties: {
      id: { type: 'string' },
      artifactSha256: sha256,
      analyzerVersion: { type: 'string' },
      createdAt: isoTime,
      result: { ...anyJson, description: 'the scan result (schemas/scan-result.schema.json)' },
    },
  },
  {
    $id: 'SeenNode',
    type: 'object',
    required: ['artifactSha256', 'path', 'size', 'type', 'releaseIds'],
    properties: {
      artifactSha256: sha256,
      path: { type: 'string', description: 'nested node path inside the artifact' },
      sha256: { type: 'string' },
      sha1: { type: 'string' },
      md5: { type: 'string' },
      size: { type: 'integer' },
      type: { type: 'string' },
      releaseIds: { type: 'array', items: { type: 'string' } },
    },
  },
  {
    $id: 'Vet',
    type: 'object',
    required: ['id', 'releaseId', 'verdict', 'score', 'detail', 'jobKey', 'createdAt'],
    properties: {
      id: { type: 'string' },
      releaseId: { type: 'string' },
      baselineReleaseId: { type: 'string' },
      verdict: { type: 'string', enum: ['pass', 'review', 'block'] },
      score: { type: 'number' },
      detail: { ...anyJson, description: 'the verdict with its reasons and score lines' },
      jobKey: { type: 'string' },
      createdAt: isoTime,
    },
  },
  {
    $id: 'Finding',
    type: 'object',
    required: ['id', 'vetId', 'ruleId', 'severity', 'confidence', 'path', 'message', 'fingerprint', 'origin'],
    properties: {
      id: { type: 'string' },
      vetId: { type: 'string' },
      ruleId: { type: 'string' },
      severity: { type: 'string' },
      confidence: { type: 'string' },
      path: { type: 'string' },
      message: { type: 'string' },
      fingerprint: { type: 'string' },
      origin: { type: 'string' },
      evidence: anyJson,
    },
  },
  {
    $id: 'Job',
    type: 'object',
    required: ['id', 'name', 'state', 'attempts', 'createdAt'],
    properties: {
      id: { type: 'string' },
      name: { type: 'string' },
      state: { type: 'string', enum: ['queued', 'active', 'completed', 'failed'] },
      attempts: { type: 'integer' },
      error: { type: 'string', description: "the last failed attempt's error" },
      code: { type: 'string', description: "the failed job's stable error code, when its error had one" },
      createdAt: isoTime,
      finishedAt: isoTime,
    },
  },
  {
    $id: 'IntelSource',
    type: 'object',
    required: ['id', 'name', 'kind', 'origin', 'fetchedAt', 'counts'],
    properties: {
      id: { type: 'string' },
      name: { type: 'string' },
      kind: { type: 'string' },
      origin: { type: 'string' },
      fetchedAt: isoTime,
      counts: { type: 'object', additionalProperties: { type: 'integer' } },
    },
  },
  {
    $id: 'IntelImport',
    type: 'object',
    description:
      'an uploaded IOC file to be imported as a named source, recorded before its job is queued: ' +
      'one per file and name',
    required: ['id', 'name', 'sha256', 'format', 'tags', 'state', 'jobId', 'createdAt', 'updatedAt'],
    properties: {
      id: { type: 'string' },
      name: { type: 'string' },
      sha256: { type: 'string', description: 'the uploaded file' },
      format: { type: 'string' },
      tags: { type: 'array', items: { type: 'string' } },
      state: { type: 'string', enum: ['pending', 'imported', 'failed'] },
      jobId: { type: 'string', description: 'GET /api/v1/jobs/{jobId} answers for it, after a restart too' },
      sourceId: { type: 'string', description: 'the source stored, once imported' },
      error: { type: 'string', description: "a failed import's error (the parser's message)" },
      code: { type: 'string', description: "a failed import's stable error code, when it had one" },
      createdAt: isoTime,
      updatedAt: isoTime,
    },
  },
  {
    $id: 'AuditEntry',
    type: 'object',
    required: ['seq', 'at', 'actor', 'action', 'entity', 'entityId', 'prevHash', 'hash'],
    properties: {
      seq: { type: 'integer' },
      at: isoTime,
      actor: {
        type: 'object',
        required: ['kind', 'id'],
        properties: { kind: { type: 'string', enum: ['user', 'system'] }, id: { type: 'string' } },
      },
      action: { type: 'string' },
      entity: { type: 'string' },
      entityId: { type: 'string' },
      beforeId: { type: 'string' },
      afterId: { type: 'string' },
      details: anyJson,
      prevHash: { type: 'string' },
      hash: { type: 'string' },
    },
  },
  {
    $id: 'AuditVerification',
    type: 'object',
    required: ['ok', 'entries'],
    properties: {
      ok: { type: 'boolean' },
      entries: { type: 'integer' },
      brokenAt: { type: 'integer' },
      reason: { type: 'string' },
      headHash: { type: 'string', description: 'hash of the last entry that verified: record it elsewhere' },
    },
  },
] as const;

export function addSharedSchemas(app: FastifyInstance): void {
  for (const schema of SHARED) app.addSchema(schema);
}

/** The error responses every protected route may give, by status. */
export function problemResponses(...statuses: readonly number[]) {
  return Object.fromEntries(
    statuses.map((status) => [
      status,
      {
        description: `problem (${status})`,
        content: { 'application/problem+json': { schema: { $ref: 'Problem#' } } },
      },
    ]),
  );
}

/** 401/403 for protected routes, 400 for anything with input, 500 for everyone. */
export const PROTECTED_ERRORS = problemResponses(400, 401, 403, 500);
