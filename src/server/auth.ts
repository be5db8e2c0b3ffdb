import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Actor, Principal, Role, Store } from '../store/types.js';
import { HttpProblem } from './problem.js';

/**
 * Bearer-token authentication and role checks. Every route declares who may call it in its
 * `config.access`; a route without one is refused at registration, so a new route cannot ship
 * open by accident. Authentication runs in `onRequest`, before any body is read: an anonymous
 * upload is refused before a byte of it reaches the blob store.
 */

export const ACCESS_LEVELS = ['public', 'viewer', 'analyst', 'admin'] as const;
export type Access = (typeof ACCESS_LEVELS)[number];

const RANK: Record<Role, number> = { viewer: 1, analyst: 2, admin: 3 };

declare module 'fastify' {
  interface FastifyContextConfig {
    /** Who may call the route: `public` (no token), or the smallest role. */
    access?: Access;
  }
  interface FastifyRequest {
    principal?: Principal;
  }
}

export function hasRole(role: Role, needed: Exclude<Access, 'public'>): boolean {
  return RANK[role] >= RANK[needed];
}

/** The audit actor of an authenticated request. */
export function actorOf(request: FastifyRequest): Actor {
  if (!request.principal) throw new HttpProblem(401, 'E_API_UNAUTHORIZED', 'no authenticated user');
  return { kind: 'user', id: request.principal.user.id };
}

function bearerToken(header: string | undefined): string | undefined {
  if (!header) return undefined;
  const match = /^Bearer[ ]+(\S+)[ ]*$/i.exec(header);
  return match?.[1];
}

export function installAuth(app: FastifyInstance, store: Store): void {
  app.addHook('onRoute', (route) => {
    const access = route.config?.access;
    if (!access || !ACCESS_LEVELS.includes(access)) {
      throw new Error(`route ${String(route.method)} ${route.url} declares no config.access`);
    }
  });
  app.addHook('onRequest', async (request, reply) => {
    const access = request.routeOptions.config.access;
    // Unknown routes (404 handler) carry no access: they answer 404 whoever asks.
    if (access === undefined || access === 'public') return;
    const token = bearerToken(request.headers.authorization);
    const principal = token ? await store.authenticate(token) : undefined;
    if (!principal) {
      reply.header('www-authenticate', 'Bearer realm="countersign"');
      throw new HttpProblem(
        401,
        'E_API_UNAUTHORIZED',
        token ? 'the token is unknown or revoked' : 'send Authorization: Bearer <token>',
      );
    }
    if (!hasRole(principal.user.role, access)) {
      throw new HttpProblem(
        403,
        'E_API_FORBIDDEN',
        `this needs the ${access} role; ${principal.user.name} has ${principal.user.role}`,
      );
    }
    request.principal = principal;
  });
}
