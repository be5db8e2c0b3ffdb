import type { FastifyInstance } from 'fastify';
import { analyzerVersionOf } from '../../pipeline/vet-release.js';
import { actorOf } from '../auth.js';
import type { RouteContext } from '../context.js';
import { conflict, found } from '../problem.js';
import {
  idParams,
  PROTECTED_ERRORS,
  pageOf,
  pageQueryProperties,
  problemResponses,
  sha256Params,
} from '../schemas.js';
import { receiveUpload } from '../upload.js';

/** Artifacts: upload, read, attach to releases, their analyses, and "where have we seen this file?". */

const fileName = { type: 'string', minLength: 1, maxLength: 255, pattern: '^[^/\\\\\\x00]+$' } as const;
const GET_ERRORS = { ...PROTECTED_ERRORS, ...problemResponses(404) };

export async function artifactRoutes(app: FastifyInstance, context: RouteContext): Promise<void> {
  const { store, blobs, limits } = context;

  app.post<{ Querystring: { name: string } }>(
    '/artifacts',
    {
      config: {
        access: 'analyst',
        upload: { description: 'the artifact bytes (installer, archive, package, binary)' },
      },
      schema: {
        tags: ['artifacts'],
        summary:
          'upload an artifact (streamed, content-addressed; uploading the same bytes again is a no-op)',
        querystring: {
          type: 'object',
          required: ['name'],
          additionalProperties: false,
          properties: { name: { ...fileName, description: 'the file name it is known under' } },
        },
        response: { 201: { $ref: 'Artifact#' }, ...PROTECTED_ERRORS, ...problemResponses(413, 415) },
      },
    },
    async (request, reply) => {
      const received = await receiveUpload(request, blobs, limits.maxUploadBytes);
      const record = await store.putArtifact(actorOf(request), { ...received, name: request.query.name });
      return reply.code(201).header('location', `/api/v1/artifacts/${record.sha256}`).send(record);
    },
  );

  app.get<{ Params: { sha256: string } }>(
    '/artifacts/:sha256',
    {
      config: { access: 'viewer' },
      schema: {
        tags: ['artifacts'],
        summary: 'get an artifact by SHA-256',
        params: sha256Params,
        response: { 200: { $ref: 'Artifact#' }, ...GET_ERRORS },
      },
    },
    async (request) => found(await store.getArtifact(request.params.sha256), 'artifact'),
  );

  app.get<{ Params: { sha256: string }; Querystring: { analyzerVersion?: string } }>(
    '/artifacts/:sha256/analyses',
    {
      config: { access: 'viewer' },
      schema: {
        tags: ['artifacts'],
        summary: 'the analyses of an artifact (one per analyzer version)',
        params: sha256Params,
        querystring: {
          type: 'object',
          additionalProperties: false,
          properties: {
            analyzerVersion: {
              type: 'string',
              minLength: 1,
              maxLength: 200,
              description: "analyzer set and version (default: this server's, as its vets store them)",
            },
          },
        },
        response: {
          200: {
            type: 'object',
            required: ['items'],
            properties: { items: { type: 'array', items: { $ref: 'Analysis#' } } },
          },
          ...GET_ERRORS,
        },
      },
    },
    async (request) => {
      found(await store.getArtifact(request.params.sha256), 'artifact');
      const version = request.query.analyzerVersion ?? analyzerVersionOf();
      const analysis = await store.getAnalysis(request.params.sha256, version);
      return { items: analysis ? [analysis] : [] };
    },
  );

  app.post<{ Params: { id: string }; Body: { sha256: string; name?: string } }>(
    '/releases/:id/artifacts',
    {
      config: { access: 'analyst' },
      schema: {
        tags: ['artifacts'],
        summary: 'attach an uploaded artifact to a release',
        params: idParams,
        body: {
          type: 'object',
          required: ['sha256'],
          additionalProperties: false,
          properties: {
            sha256: { type: 'string', pattern: '^[a-f0-9]{64}$' },
            name: { ...fileName, description: 'file name within the release (default: the upload name)' },
          },
        },
        response: { 201: { $ref: 'ReleaseArtifact#' }, ...GET_ERRORS, ...problemResponses(409) },
      },
    },
    async (request, reply) => {
      const release = found(await store.getRelease(request.params.id), 'release');
      if (release.state === 'vetting') throw conflict('the release is being vetted; attach after the vet');
      const artifact = found(await store.getArtifact(request.body.sha256), 'artifact');
      const link = {
        releaseId: release.id,
        sha256: artifact.sha256,
        name: request.body.name ?? artifact.name,
      };
      await store.attachArtifact(actorOf(request), link);
      return reply.code(201).send(link);
    },
  );

  app.get<{ Params: { id: string } }>(
    '/releases/:id/artifacts',
    {
      config: { access: 'viewer' },
      schema: {
        tags: ['artifacts'],
        summary: "a release's artifacts",
        params: idParams,
        response: {
          200: {
            type: 'object',
            required: ['items'],
            properties: { items: { type: 'array', items: { $ref: 'ReleaseArtifact#' } } },
          },
          ...GET_ERRORS,
        },
      },
    },
    async (request) => {
      found(await store.getRelease(request.params.id), 'release');
      return { items: await store.releaseArtifacts(request.params.id) };
    },
  );

  app.get<{ Params: { digest: string }; Querystring: { limit?: number; cursor?: string } }>(
    '/seen/:digest',
    {
      config: { access: 'viewer' },
      schema: {
        tags: ['artifacts'],
        summary: 'where have we seen this file? Nodes of analysed artifacts with this SHA-256, SHA-1 or MD5',
        params: {
          type: 'object',
          required: ['digest'],
          additionalProperties: false,
          properties: {
            digest: { type: 'string', pattern: '^([a-fA-F0-9]{32}|[a-fA-F0-9]{40}|[a-fA-F0-9]{64})$' },
          },
        },
        querystring: { type: 'object', additionalProperties: false, properties: pageQueryProperties },
        response: { 200: pageOf('SeenNode', 'nodes with this digest, newest first'), ...PROTECTED_ERRORS },
      },
    },
    async (request) => {
      const { limit, cursor } = request.query;
      return store.findNodesByDigest(request.params.digest.toLowerCase(), {
        ...(limit !== undefined ? { limit } : {}),
        ...(cursor !== undefined ? { cursor } : {}),
      });
    },
  );
}
