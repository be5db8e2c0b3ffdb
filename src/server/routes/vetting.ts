import type { FastifyInstance } from 'fastify';
import { jobStatusOf } from '../../jobs/intel-import-jobs.js';
import { enqueueVetRelease } from '../../jobs/release-jobs.js';
import { actorOf } from '../auth.js';
import type { RouteContext } from '../context.js';
import { countEnqueued } from '../metrics.js';
import { conflict, found } from '../problem.js';
import { idParams, PROTECTED_ERRORS, pageOf, pageQueryProperties, problemResponses } from '../schemas.js';

/** Vetting: start a vet job, follow it, read the verdict and its findings. */

const GET_ERRORS = { ...PROTECTED_ERRORS, ...problemResponses(404) };

export async function vettingRoutes(app: FastifyInstance, context: RouteContext): Promise<void> {
  const { store, queue, metrics } = context;

  app.post<{ Params: { id: string }; Body: { baselineReleaseId?: string } | undefined }>(
    '/releases/:id/vet',
    {
      config: { access: 'analyst' },
      // The body is optional: no body means "against the release's own baseline".
      preValidation: async (request) => {
        request.body ??= {};
      },
      schema: {
        tags: ['vetting'],
        summary:
          "vet a release against its baseline (explicit, else the product's trusted release); returns the job",
        params: idParams,
        body: {
          type: 'object',
          additionalProperties: false,
          properties: { baselineReleaseId: { type: 'string', minLength: 1, maxLength: 200 } },
        },
        response: {
          202: {
            type: 'object',
            required: ['jobId'],
            properties: { jobId: { type: 'string' } },
          },
          ...GET_ERRORS,
          ...problemResponses(409),
        },
      },
    },
    async (request, reply) => {
      const release = found(await store.getRelease(request.params.id), 'release');
      const baselineReleaseId = request.body?.baselineReleaseId ?? release.baselineReleaseId;
      if (baselineReleaseId !== undefined) {
        const baseline = found(await store.getRelease(baselineReleaseId), 'baseline release');
        if (baseline.productId !== release.productId)
          throw conflict('the baseline release belongs to another product');
        if (baseline.id === release.id) throw conflict('a release cannot be its own baseline');
      }
      if ((await store.releaseArtifacts(release.id)).length === 0)
        throw conflict('the release has no artifacts: attach at least one before vetting');
      // One vet per release at a time: asking again while one is queued returns that job. The
      // release becomes `vetting` first, so a restart can requeue what the process lost.
      const jobId = await enqueueVetRelease(store, queue, actorOf(request), {
        releaseId: release.id,
        ...(baselineReleaseId !== undefined ? { baselineReleaseId } : {}),
      });
      countEnqueued(metrics, 'vet-release');
      return reply.code(202).header('location', `/api/v1/jobs/${jobId}`).send({ jobId });
    },
  );

  app.get<{ Params: { id: string } }>(
    '/jobs/:id',
    {
      config: { access: 'viewer' },
      schema: {
        tags: ['vetting'],
        summary: 'state of a job',
        params: idParams,
        response: { 200: { $ref: 'Job#' }, ...GET_ERRORS },
      },
    },
    // An import's job answers from its record once the queue has forgotten it (in-process queue
    // after a restart): the id a client got stays good.
    async (request) => found(await jobStatusOf(store, queue, request.params.id), 'job'),
  );

  app.get<{ Params: { id: string } }>(
    '/releases/:id/verdict',
    {
      config: { access: 'viewer' },
      schema: {
        tags: ['vetting'],
        summary: 'the latest vet of a release: verdict, score and reasons',
        params: idParams,
        response: { 200: { $ref: 'Vet#' }, ...GET_ERRORS },
      },
    },
    async (request) => {
      found(await store.getRelease(request.params.id), 'release');
      return found(await store.latestVet(request.params.id), 'vet of this release');
    },
  );

  app.get<{ Params: { id: string }; Querystring: { limit?: number; cursor?: string } }>(
    '/releases/:id/findings',
    {
      config: { access: 'viewer' },
      schema: {
        tags: ['vetting'],
        summary: 'the findings of the latest vet of a release',
        params: idParams,
        querystring: { type: 'object', additionalProperties: false, properties: pageQueryProperties },
        response: { 200: pageOf('Finding', 'a page of findings'), ...GET_ERRORS },
      },
    },
    async (request) => {
      found(await store.getRelease(request.params.id), 'release');
      const vet = found(await store.latestVet(request.params.id), 'vet of this release');
      const { limit, cursor } = request.query;
      return store.vetFindings(vet.id, {
        ...(limit !== undefined ? { limit } : {}),
        ...(cursor !== undefined ? { cursor } : {}),
      });
    },
  );
}
