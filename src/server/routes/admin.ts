import type { FastifyInstance } from 'fastify';
import { ROLES, type Role } from '../../store/types.js';
import { actorOf } from '../auth.js';
import type { RouteContext } from '../context.js';
import { found } from '../problem.js';
import { idParams, PROTECTED_ERRORS, pageOf, pageQueryProperties, problemResponses } from '../schemas.js';

/** Who am I, users and tokens (admin), and the audit log (admin). */

export async function adminRoutes(app: FastifyInstance, { store }: RouteContext): Promise<void> {
  app.get(
    '/me',
    {
      config: { access: 'viewer' },
      schema: {
        tags: ['admin'],
        summary: 'the user behind the token',
        response: { 200: { $ref: 'User#' }, ...PROTECTED_ERRORS },
      },
    },
    async (request) => request.principal!.user,
  );

  app.post<{ Body: { name: string; role: Role } }>(
    '/users',
    {
      config: { access: 'admin' },
      schema: {
        tags: ['admin'],
        summary: 'create a user',
        body: {
          type: 'object',
          required: ['name', 'role'],
          additionalProperties: false,
          properties: {
            name: { type: 'string', minLength: 1, maxLength: 100 },
            role: { type: 'string', enum: [...ROLES] },
          },
        },
        response: { 201: { $ref: 'User#' }, ...PROTECTED_ERRORS },
      },
    },
    async (request, reply) => reply.code(201).send(await store.createUser(actorOf(request), request.body)),
  );

  app.get(
    '/users',
    {
      config: { access: 'admin' },
      schema: {
        tags: ['admin'],
        summary: 'list users',
        response: {
          200: {
            type: 'object',
            required: ['items'],
            properties: { items: { type: 'array', items: { $ref: 'User#' } } },
          },
          ...PROTECTED_ERRORS,
        },
      },
    },
    async () => ({ items: await store.listUsers() }),
  );

  app.post<{ Body: { userId: string; label: string } }>(
    '/tokens',
    {
      config: { access: 'admin' },
      schema: {
        tags: ['admin'],
        summary: 'issue an API token for a user; the token is in this response only',
        body: {
          type: 'object',
          required: ['userId', 'label'],
          additionalProperties: false,
          properties: {
            userId: { type: 'string', minLength: 1, maxLength: 200 },
            label: { type: 'string', minLength: 1, maxLength: 100 },
          },
        },
        response: { 201: { $ref: 'IssuedToken#' }, ...PROTECTED_ERRORS, ...problemResponses(404) },
      },
    },
    async (request, reply) => {
      const users = await store.listUsers();
      found(
        users.find((user) => user.id === request.body.userId),
        'user',
      );
      // A token is a secret: make sure no cache keeps the one response that carries it.
      reply.header('cache-control', 'no-store');
      return reply.code(201).send(await store.issueToken(actorOf(request), request.body));
    },
  );

  app.get<{ Querystring: { userId?: string } }>(
    '/tokens',
    {
      config: { access: 'admin' },
      schema: {
        tags: ['admin'],
        summary:
          "list API tokens, newest first, revoked ones included, with their user's name and role (never the token)",
        querystring: {
          type: 'object',
          additionalProperties: false,
          properties: { userId: { type: 'string', minLength: 1, maxLength: 200 } },
        },
        response: {
          200: {
            type: 'object',
            required: ['items'],
            properties: { items: { type: 'array', items: { $ref: 'ListedToken#' } } },
          },
          ...PROTECTED_ERRORS,
        },
      },
    },
    async (request) => ({
      items: await store.listTokens(
        request.query.userId !== undefined ? { userId: request.query.userId } : {},
      ),
    }),
  );

  app.delete<{ Params: { id: string } }>(
    '/tokens/:id',
    {
      config: { access: 'admin' },
      schema: {
        tags: ['admin'],
        summary: 'revoke a token (it stops working at once)',
        params: idParams,
        response: { 204: { type: 'null' }, ...PROTECTED_ERRORS, ...problemResponses(404) },
      },
    },
    async (request, reply) => {
      await store.revokeToken(actorOf(request), request.params.id);
      return reply.code(204).send();
    },
  );

  app.get<{ Querystring: { limit?: number; cursor?: string } }>(
    '/audit',
    {
      config: { access: 'admin' },
      schema: {
        tags: ['admin'],
        summary: 'the audit log, oldest first: who changed what, when, with the hash chain',
        querystring: { type: 'object', additionalProperties: false, properties: pageQueryProperties },
        response: { 200: pageOf('AuditEntry', 'a page of audit entries'), ...PROTECTED_ERRORS },
      },
    },
    async (request) => {
      const { limit, cursor } = request.query;
      return store.auditLog({
        ...(limit !== undefined ? { limit } : {}),
        ...(cursor !== undefined ? { cursor } : {}),
      });
    },
  );

  app.get(
    '/audit/verify',
    {
      config: { access: 'admin' },
      schema: {
        tags: ['admin'],
        summary: "walk the audit log's hash chain; `brokenAt` is the first entry that does not match",
        response: { 200: { $ref: 'AuditVerification#' }, ...PROTECTED_ERRORS },
      },
    },
    async () => store.verifyAudit(),
  );
}
