import type { FastifyInstance } from 'fastify';
import type { RouteContext } from '../context.js';
import { HttpProblem } from '../problem.js';
import { PROTECTED_ERRORS, problemResponses } from '../schemas.js';

/** Liveness and readiness (no token, for orchestrators), and Prometheus metrics (token). */

const status = {
  type: 'object',
  required: ['status'],
  properties: { status: { type: 'string' } },
} as const;

export async function healthRoutes(app: FastifyInstance, { store, metrics }: RouteContext): Promise<void> {
  app.get(
    '/healthz',
    {
      config: { access: 'public' },
      logLevel: 'warn',
      schema: {
        tags: ['health'],
        summary: 'liveness: the process answers',
        response: { 200: status },
      },
    },
    async () => ({ status: 'ok' }),
  );

  app.get(
    '/readyz',
    {
      config: { access: 'public' },
      logLevel: 'warn',
      schema: {
        tags: ['health'],
        summary: 'readiness: the store answers',
        response: { 200: status, ...problemResponses(503) },
      },
    },
    async (request) => {
      try {
        await store.ping();
      } catch (error) {
        request.log.warn({ err: error }, 'store ping failed');
        throw new HttpProblem(503, 'E_API_UNAVAILABLE', 'the store does not answer');
      }
      return { status: 'ready' };
    },
  );

  app.get(
    '/metrics',
    {
      config: { access: 'viewer' },
      logLevel: 'warn',
      schema: {
        tags: ['health'],
        summary: 'Prometheus metrics (text exposition format)',
        produces: ['text/plain'],
        response: { 200: { type: 'string' }, ...PROTECTED_ERRORS },
      },
    },
    async (_request, reply) =>
      reply.type(metrics.registry.contentType).send(await metrics.registry.metrics()),
  );
}
