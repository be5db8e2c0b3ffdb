import type { FastifyInstance } from 'fastify';
import { actorOf } from '../auth.js';
import type { RouteContext } from '../context.js';
import { conflict, found, notFound } from '../problem.js';
import { idParams, PROTECTED_ERRORS, pageOf, problemResponses, searchQueryProperties } from '../schemas.js';

/** Suppliers, products and releases: create, get, list with search and cursor pagination. */

interface PageQuery {
  limit?: number;
  cursor?: string;
  q?: string;
}

const name = { type: 'string', minLength: 1, maxLength: 200 } as const;
const GET_ERRORS = { ...PROTECTED_ERRORS, ...problemResponses(404) };

function pageArgs<T extends PageQuery>(query: T) {
  return {
    ...(query.limit !== undefined ? { limit: query.limit } : {}),
    ...(query.cursor !== undefined ? { cursor: query.cursor } : {}),
    ...(query.q !== undefined ? { q: query.q } : {}),
  };
}

export async function catalogRoutes(app: FastifyInstance, { store }: RouteContext): Promise<void> {
  // --- suppliers ---
  app.post<{ Body: { name: string; website?: string } }>(
    '/suppliers',
    {
      config: { access: 'analyst' },
      schema: {
        tags: ['catalog'],
        summary: 'create a supplier',
        body: {
          type: 'object',
          required: ['name'],
          additionalProperties: false,
          properties: { name, website: { type: 'string', format: 'uri', maxLength: 500 } },
        },
        response: { 201: { $ref: 'Supplier#' }, ...PROTECTED_ERRORS },
      },
    },
    async (request, reply) =>
      reply.code(201).send(await store.createSupplier(actorOf(request), request.body)),
  );
  app.get<{ Querystring: PageQuery }>(
    '/suppliers',
    {
      config: { access: 'viewer' },
      schema: {
        tags: ['catalog'],
        summary: 'list suppliers',
        querystring: { type: 'object', additionalProperties: false, properties: searchQueryProperties },
        response: { 200: pageOf('Supplier', 'a page of suppliers'), ...PROTECTED_ERRORS },
      },
    },
    async (request) => store.listSuppliers(pageArgs(request.query)),
  );
  app.get<{ Params: { id: string } }>(
    '/suppliers/:id',
    {
      config: { access: 'viewer' },
      schema: {
        tags: ['catalog'],
        summary: 'get a supplier',
        params: idParams,
        response: { 200: { $ref: 'Supplier#' }, ...GET_ERRORS },
      },
    },
    async (request) => found(await store.getSupplier(request.params.id), 'supplier'),
  );

  // --- products ---
  app.post<{ Body: { supplierId: string; name: string; ecosystem?: string } }>(
    '/products',
    {
      config: { access: 'analyst' },
      schema: {
        tags: ['catalog'],
        summary: 'create a product of a supplier',
        body: {
          type: 'object',
          required: ['supplierId', 'name'],
          additionalProperties: false,
          properties: {
            supplierId: name,
            name,
            ecosystem: { type: 'string', maxLength: 50, description: 'windows, npm, macos, ...' },
          },
        },
        response: { 201: { $ref: 'Product#' }, ...GET_ERRORS },
      },
    },
    async (request, reply) => {
      if (!(await store.getSupplier(request.body.supplierId))) throw notFound('supplier');
      return reply.code(201).send(await store.createProduct(actorOf(request), request.body));
    },
  );
  app.get<{ Querystring: PageQuery & { supplierId?: string } }>(
    '/products',
    {
      config: { access: 'viewer' },
      schema: {
        tags: ['catalog'],
        summary: 'list products',
        querystring: {
          type: 'object',
          additionalProperties: false,
          properties: { ...searchQueryProperties, supplierId: { type: 'string', maxLength: 200 } },
        },
        response: { 200: pageOf('Product', 'a page of products'), ...PROTECTED_ERRORS },
      },
    },
    async (request) =>
      store.listProducts({
        ...pageArgs(request.query),
        ...(request.query.supplierId ? { supplierId: request.query.supplierId } : {}),
      }),
  );
  app.get<{ Params: { id: string } }>(
    '/products/:id',
    {
      config: { access: 'viewer' },
      schema: {
        tags: ['catalog'],
        summary: 'get a product',
        params: idParams,
        response: { 200: { $ref: 'Product#' }, ...GET_ERRORS },
      },
    },
    async (request) => found(await store.getProduct(request.params.id), 'product'),
  );
  app.put<{ Params: { id: string }; Body: { releaseId: string } }>(
    '/products/:id/trusted-release',
    {
      config: { access: 'analyst' },
      schema: {
        tags: ['catalog'],
        summary: "set the product's trusted release (the baseline new releases are vetted against)",
        params: idParams,
        body: {
          type: 'object',
          required: ['releaseId'],
          additionalProperties: false,
          properties: { releaseId: name },
        },
        response: { 200: { $ref: 'Product#' }, ...GET_ERRORS, ...problemResponses(409) },
      },
    },
    async (request) => {
      const product = await store.getProduct(request.params.id);
      if (!product) throw notFound('product');
      const release = await store.getRelease(request.body.releaseId);
      if (!release) throw notFound('release');
      if (release.productId !== product.id) throw conflict('the release belongs to another product');
      return store.setTrustedRelease(actorOf(request), product.id, release.id);
    },
  );

  // --- releases ---
  app.post<{ Body: { productId: string; version: string; baselineReleaseId?: string } }>(
    '/releases',
    {
      config: { access: 'analyst' },
      schema: {
        tags: ['catalog'],
        summary: 'create a release of a product',
        body: {
          type: 'object',
          required: ['productId', 'version'],
          additionalProperties: false,
          properties: {
            productId: name,
            version: { type: 'string', minLength: 1, maxLength: 100 },
            baselineReleaseId: {
              ...name,
              description: "vet against this release instead of the product's trusted one",
            },
          },
        },
        response: { 201: { $ref: 'Release#' }, ...GET_ERRORS, ...problemResponses(409) },
      },
    },
    async (request, reply) => {
      const { productId, baselineReleaseId } = request.body;
      if (!(await store.getProduct(productId))) throw notFound('product');
      if (baselineReleaseId) {
        const baseline = await store.getRelease(baselineReleaseId);
        if (!baseline) throw notFound('baseline release');
        if (baseline.productId !== productId)
          throw conflict('the baseline release belongs to another product');
      }
      return reply.code(201).send(await store.createRelease(actorOf(request), request.body));
    },
  );
  app.get<{ Querystring: PageQuery & { productId?: string } }>(
    '/releases',
    {
      config: { access: 'viewer' },
      schema: {
        tags: ['catalog'],
        summary: 'list releases',
        querystring: {
          type: 'object',
          additionalProperties: false,
          properties: { ...searchQueryProperties, productId: { type: 'string', maxLength: 200 } },
        },
        response: { 200: pageOf('Release', 'a page of releases'), ...PROTECTED_ERRORS },
      },
    },
    async (request) =>
      store.listReleases({
        ...pageArgs(request.query),
        ...(request.query.productId ? { productId: request.query.productId } : {}),
      }),
  );
  app.get<{ Params: { id: string } }>(
    '/releases/:id',
    {
      config: { access: 'viewer' },
      schema: {
        tags: ['catalog'],
        summary: 'get a release',
        params: idParams,
        response: { 200: { $ref: 'Release#' }, ...GET_ERRORS },
      },
    },
    async (request) => found(await store.getRelease(request.params.id), 'release'),
  );
}
