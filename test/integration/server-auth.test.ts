import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RouteEntry, routeTable } from '../../src/server/build-server.js';
import { readProblem, startTestServer, type TestServer } from './server-harness.js';

/**
 * Every route, derived from the server's own route table (a new route cannot be forgotten):
 * 401 without a token, 401 with an unknown or revoked one, 403 with a role one step too small.
 */

const SMALLER_ROLE = { analyst: 'viewer', admin: 'analyst' } as const;
// Issue 7: every request but health needs a token (the API document included).
const PUBLIC_ROUTES = ['GET /healthz', 'GET /readyz'];

/** A concrete URL for a route pattern: parameters filled with well-formed values. */
function concrete(url: string): string {
  return url
    .replace(':sha256', 'a'.repeat(64))
    .replace(':digest', 'b'.repeat(64))
    .replace(/:[a-zA-Z]+/g, 'does-not-exist');
}

let server: TestServer;
let routes: readonly RouteEntry[];

beforeAll(async () => {
  server = await startTestServer();
  routes = routeTable(server.app).filter((route) => route.method !== 'OPTIONS');
});
afterAll(async () => server?.close());

describe('the route table', () => {
  it('lists every route with its access, and only health and readiness are public', () => {
    expect(routes.length).toBeGreaterThanOrEqual(25);
    const open = routes.filter((route) => route.access === 'public').map((r) => `${r.method} ${r.url}`);
    expect(open.sort()).toEqual([...PUBLIC_ROUTES].sort());
    expect(
      routes.filter((route) => route.url.startsWith('/api/v1/')).every((r) => r.access !== 'public'),
    ).toBe(true);
  });
});

describe('when a request carries no token', () => {
  it('every protected route answers 401 problem+json with a WWW-Authenticate challenge', async () => {
    const failures: string[] = [];
    for (const route of routes.filter((r) => r.access !== 'public')) {
      const response = await server.call(route.method, concrete(route.url));
      const problem = await readProblem(response).catch((error: Error) => ({
        code: error.message,
        status: 0,
      }));
      if (
        response.status !== 401 ||
        problem.code !== 'E_API_UNAUTHORIZED' ||
        !response.headers.get('www-authenticate')?.startsWith('Bearer')
      )
        failures.push(`${route.method} ${route.url}: ${response.status} ${problem.code}`);
    }
    expect(failures).toEqual([]);
  });

  it('public routes answer without one', async () => {
    for (const route of routes.filter((r) => r.access === 'public')) {
      const response = await server.call(route.method, route.url);
      expect(response.status, `${route.method} ${route.url}`).toBe(200);
    }
  });
});

describe('when the token is unknown or revoked', () => {
  it('answers 401 on every protected route for a made-up token', async () => {
    const failures: string[] = [];
    for (const route of routes.filter((r) => r.access !== 'public')) {
      const response = await server.call(route.method, concrete(route.url), { token: 'cs_not-a-real-token' });
      if (response.status !== 401) failures.push(`${route.method} ${route.url}: ${response.status}`);
      await response.arrayBuffer();
    }
    expect(failures).toEqual([]);
  });

  it('a revoked token stops working at once', async () => {
    const user = await server.store.createUser(
      { kind: 'system', id: 'test' },
      { name: 'leaver', role: 'admin' },
    );
    const issued = await server.store.issueToken(
      { kind: 'system', id: 'test' },
      { userId: user.id, label: 'x' },
    );
    expect((await server.call('GET', '/api/v1/me', { token: issued.token })).status).toBe(200);
    const revoke = await server.call('DELETE', `/api/v1/tokens/${issued.record.id}`, {
      token: server.tokens.admin,
    });
    expect(revoke.status).toBe(204);
    const after = await server.call('GET', '/api/v1/me', { token: issued.token });
    expect(after.status).toBe(401);
    expect((await readProblem(after)).detail).toContain('unknown or revoked');
  });

  it('refuses a malformed Authorization header', async () => {
    for (const header of ['Basic dXNlcjpwYXNz', 'Bearer', `Token ${server.tokens.admin}`]) {
      const response = await server.call('GET', '/api/v1/me', { headers: { authorization: header } });
      expect(response.status, header).toBe(401);
      await response.arrayBuffer();
    }
  });
});

describe('when the role is too small', () => {
  it('every analyst and admin route answers 403 to the role just below', async () => {
    const failures: string[] = [];
    const checked: string[] = [];
    for (const route of routes) {
      if (route.access !== 'analyst' && route.access !== 'admin') continue;
      const smaller = SMALLER_ROLE[route.access];
      const response = await server.call(route.method, concrete(route.url), {
        token: server.tokens[smaller],
      });
      const problem = await readProblem(response).catch((error: Error) => ({ code: error.message }));
      checked.push(`${route.method} ${route.url}`);
      if (response.status !== 403 || problem.code !== 'E_API_FORBIDDEN')
        failures.push(`${route.method} ${route.url} as ${smaller}: ${response.status} ${problem.code}`);
    }
    expect(failures).toEqual([]);
    // The table must really contain writes and admin routes, or this test proves nothing.
    expect(checked).toContain('POST /api/v1/artifacts');
    expect(checked).toContain('POST /api/v1/releases/:id/vet');
    expect(checked).toContain('GET /api/v1/audit');
    expect(checked).toContain('POST /api/v1/tokens');
    expect(checked).toContain('GET /api/v1/tokens');
  });

  it('a forbidden upload stores nothing', async () => {
    const response = await server.call('POST', '/api/v1/artifacts?name=x.bin', {
      token: server.tokens.viewer,
      body: new Uint8Array(1000).fill(7),
      headers: { 'content-type': 'application/octet-stream' },
    });
    expect(response.status).toBe(403);
    expect(await server.blobFiles()).toEqual([]);
  });

  it('every role reaches the routes of its level', async () => {
    for (const role of ['viewer', 'analyst', 'admin'] as const) {
      const response = await server.call('GET', '/api/v1/me', { token: server.tokens[role] });
      expect(response.status).toBe(200);
      expect((await response.json()).role).toBe(role);
    }
    expect((await server.call('GET', '/api/v1/audit', { token: server.tokens.admin })).status).toBe(200);
  });
});

describe('when any route that takes a JSON body gets a malformed one', () => {
  it('answers 400 problem+json and stores nothing (every POST, PUT and DELETE from the route table)', async () => {
    const auditBefore = (await server.store.auditLog({ limit: 500 })).items.length;
    const writes = routes.filter((route) => ['POST', 'PUT', 'PATCH'].includes(route.method));
    const uploads = new Set(['/api/v1/artifacts', '/api/v1/intel/sources']);
    const failures: string[] = [];
    let checked = 0;
    for (const route of writes) {
      const bodies = uploads.has(route.url)
        ? [{ body: '{"not": "bytes"}', type: 'application/json', status: 415 }]
        : [
            { body: '{"unexpected": true, "name": 1}', type: 'application/json', status: 400 },
            { body: '{"broken": ', type: 'application/json', status: 400 },
            { body: '[]', type: 'application/json', status: 400 },
          ];
      for (const item of bodies) {
        checked++;
        const path = `${concrete(route.url)}${uploads.has(route.url) ? '?name=x.bin' : ''}`;
        const response = await server.call(route.method, path, {
          token: server.tokens.admin,
          body: item.body,
          headers: { 'content-type': item.type },
        });
        const problem = await readProblem(response).catch((error: Error) => ({ code: error.message }));
        if (response.status !== item.status)
          failures.push(`${route.method} ${route.url} ${item.body}: ${response.status} ${problem.code}`);
      }
    }
    expect(failures).toEqual([]);
    expect(checked).toBeGreaterThanOrEqual(20);
    expect((await server.store.auditLog({ limit: 500 })).items.length).toBe(auditBefore);
    expect(await server.blobFiles()).toEqual([]);
  });
});
