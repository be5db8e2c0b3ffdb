import type { FastifyInstance } from 'fastify';
import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';
import type { JobName } from '../jobs/types.js';
import type { Store } from '../store/types.js';

/**
 * Prometheus metrics of one server. A registry per server (not prom-client's global one) so that
 * several servers in one process, as in tests, count apart. Routes are labelled by their pattern
 * (`/api/v1/releases/:id`), never by the raw URL, so label cardinality stays bounded.
 */
export interface ServerMetrics {
  readonly registry: Registry;
  readonly jobsEnqueued: Counter<'name'>;
}

export function installMetrics(app: FastifyInstance, store: Store): ServerMetrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'countersign_' });
  const requests = new Counter({
    name: 'countersign_http_requests_total',
    help: 'HTTP requests answered, by method, route pattern and status',
    labelNames: ['method', 'route', 'status'] as const,
    registers: [registry],
  });
  const latency = new Histogram({
    name: 'countersign_http_request_duration_seconds',
    help: 'time from request received to response sent, by method and route pattern',
    labelNames: ['method', 'route'] as const,
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 10],
    registers: [registry],
  });
  const jobsEnqueued = new Counter({
    name: 'countersign_jobs_enqueued_total',
    help: 'jobs this server enqueued, by job name',
    labelNames: ['name'] as const,
    registers: [registry],
  });
  new Gauge({
    name: 'countersign_vets_stored',
    help: 'vet results in the store (all servers and workers)',
    registers: [registry],
    async collect() {
      this.set(await store.countVets());
    },
  });

  app.addHook('onResponse', async (request, reply) => {
    const route = request.routeOptions.url ?? 'unmatched';
    requests.inc({ method: request.method, route, status: String(reply.statusCode) });
    latency.observe({ method: request.method, route }, reply.elapsedTime / 1000);
  });
  return { registry, jobsEnqueued };
}

export function countEnqueued(metrics: ServerMetrics, name: JobName): void {
  metrics.jobsEnqueued.inc({ name });
}
