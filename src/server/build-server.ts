import { randomUUID } from 'node:crypto';
import swagger from '@fastify/swagger';
import Fastify, { type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import { TOOL_VERSION } from '../core/version.js';
import type { JobQueue } from '../jobs/types.js';
import type { BlobStore, Store } from '../store/types.js';
import { type Access, installAuth } from './auth.js';
import { DEFAULT_LIMITS, type RouteContext, type ServerLimits } from './context.js';
import { installMetrics } from './metrics.js';
import { installProblemHandlers } from './problem.js';
import { adminRoutes } from './routes/admin.js';
import { artifactRoutes } from './routes/artifacts.js';
import { catalogRoutes } from './routes/catalog.js';
import { healthRoutes } from './routes/health.js';
import { intelRoutes } from './routes/intel.js';
import { vettingRoutes } from './routes/vetting.js';
import { addSharedSchemas } from './schemas.js';
import { installUploadParser, UPLOAD_MEDIA_TYPE } from './upload.js';
import { installValidators } from './validation.js';

export const API_PREFIX = '/api/v1';
export const OPENAPI_PATH = '/openapi.json';

export interface ServerOptions {
  readonly store: Store;
  readonly blobs: BlobStore;
  readonly queue: JobQueue;
  /** A pino logger, `true` for Fastify's default, or nothing for silence (tests). */
  readonly logger?: FastifyBaseLogger | boolean;
  readonly limits?: Partial<ServerLimits>;
}

export interface RouteEntry {
  readonly method: string;
  readonly url: string;
  readonly access: Access;
}

const ROUTE_TABLES = new WeakMap<FastifyInstance, RouteEntry[]>();

/** Every route the server answers, with who may call it: what the auth test iterates over. */
export function routeTable(app: FastifyInstance): readonly RouteEntry[] {
  return ROUTE_TABLES.get(app) ?? [];
}

export function operationIdOf(method: string, url: string): string {
  const words = url
    .replace(API_PREFIX, '')
    .split('/')
    .filter(Boolean)
    .map((segment) => (segment.startsWith(':') ? `by-${segment.slice(1)}` : segment))
    .flatMap((segment) => segment.split(/[^a-zA-Z0-9]+/))
    .filter(Boolean);
  return [method.toLowerCase(), ...words.map((word) => word[0]!.toUpperCase() + word.slice(1))].join('');
}

/**
 * The HTTP API as a Fastify instance, not yet listening. The caller owns the store, blob store and
 * queue (and closes them); the server only asks them. Routes live under `/api/v1`; health,
 * readiness and the OpenAPI document at the root.
 */
export async function buildServer(options: ServerOptions): Promise<FastifyInstance> {
  const limits: ServerLimits = { ...DEFAULT_LIMITS, ...options.limits };
  const logger = options.logger;
  const app = Fastify({
    ...(typeof logger === 'object' ? { loggerInstance: logger } : { logger: logger ?? false }),
    bodyLimit: limits.maxJsonBytes,
    // Unique across restarts and servers, echoed as x-request-id so a client can quote it.
    genReqId: () => randomUUID(),
  }) as unknown as FastifyInstance;

  const table: RouteEntry[] = [];
  ROUTE_TABLES.set(app, table);
  app.addHook('onRoute', (route) => {
    const methods = Array.isArray(route.method) ? route.method : [route.method];
    for (const method of methods) {
      // Fastify adds a HEAD twin to every GET; the GET stands for both.
      if (method === 'HEAD' && table.some((entry) => entry.method === 'GET' && entry.url === route.url))
        continue;
      table.push({ method, url: route.url, access: route.config?.access ?? 'public' });
    }
  });

  app.addHook('onRequest', async (request, reply) => {
    reply.header('x-request-id', request.id);
  });
  installProblemHandlers(app);
  installValidators(app);
  installUploadParser(app);
  addSharedSchemas(app);
  installAuth(app, options.store);
  const metrics = installMetrics(app, options.store);

  await app.register(swagger, {
    openapi: {
      openapi: '3.1.0',
      info: {
        title: 'Countersign API',
        version: TOOL_VERSION,
        description:
          'Vet third-party software before it runs. Every route but health, readiness and this document needs ' +
          '`Authorization: Bearer <token>`; roles are viewer (read), analyst (+ upload, create, vet, import) and ' +
          'admin (+ users, tokens, audit). Errors are application/problem+json with a stable `code`.',
      },
      components: {
        securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } },
      },
    },
    refResolver: {
      buildLocalReference: (json, _baseUri, _fragment, index) =>
        typeof json.$id === 'string' ? json.$id : `def-${index}`,
    },
    transform: ({ schema, url, route }) => {
      const transformed: Record<string, unknown> = { ...(schema as Record<string, unknown>) };
      const access = route.config?.access;
      if (access && access !== 'public') {
        transformed.security = [{ bearer: [] }];
        transformed.description = `Needs the ${access} role.`;
      }
      // Stable operation ids for generated clients: `post /api/v1/releases/:id/vet` -> postReleasesByIdVet.
      transformed.operationId ??= operationIdOf(String(route.method), url);
      const upload = route.config?.upload;
      if (upload) {
        transformed.consumes = [UPLOAD_MEDIA_TYPE];
        transformed.body = { type: 'string', format: 'binary', description: upload.description };
      }
      return { schema: transformed as never, url };
    },
  });

  const context: RouteContext = {
    store: options.store,
    blobs: options.blobs,
    queue: options.queue,
    metrics,
    limits,
  };
  await app.register(healthRoutes, context);
  app.get(OPENAPI_PATH, { config: { access: 'viewer' }, schema: { hide: true } }, async (_request, reply) =>
    reply.type('application/json').send(app.swagger()),
  );
  await app.register(
    async (api) => {
      await catalogRoutes(api, context);
      await artifactRoutes(api, context);
      await vettingRoutes(api, context);
      await intelRoutes(api, context);
      await adminRoutes(api, context);
    },
    { prefix: API_PREFIX },
  );
  return app;
}
