import type { FastifyInstance } from 'fastify';
import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';
import type { JobEventListener, JobName } from '../jobs/types.js';
import type { Store } from '../store/types.js';

/**
 * Prometheus metrics of one server. A registry per server (not prom-client's global one) so that
 * several servers in one process, as in tests, count apart. Routes are labelled by their pattern
 * (`/api/v1/releases/:id`), never by the raw URL, so label cardinality stays bounded.
 */
export interface ServerMetrics {
  readonly registry: Registry;
  readonly jobsEnqueued: Counter<'name'>;
  /** Feed the queue's events in (the process that runs jobs): attempts by outcome, jobs running. */
  readonly onJobEvent: JobEventListener;
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
  const attempts = new Counter({
    name: 'countersign_job_attempts_total',
    help: 'job attempts run in this process, by job name and outcome (completed, failed, retrying, requeued)',
    labelNames: ['name', 'outcome'] as const,
    registers: [registry],
  });
  const running = new Gauge({
    name: 'countersign_jobs_running',
    help: 'jobs running in this process now, by job name',
    labelNames: ['name'] as const,
    registers: [registry],
  });
  const onJobEvent: JobEventListener = (event) => {
    if (event.type === 'error') return;
    if (event.type === 'started') running.inc({ name: event.name });
    else {
      // `requeued` comes from a stop (the job was running); the others end an attempt.
      running.dec({ name: event.name });
      attempts.inc({ name: event.name, outcome: event.type });
    }
  };
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
  const metrics = { registry, jobsEnqueued, onJobEvent };
  METRICS.set(app, metrics);
  return metrics;
}

const METRICS = new WeakMap<FastifyInstance, ServerMetrics>();

/** The metrics of a server built by `buildServer` (to feed job events from the queue's owner). */
export function serverMetrics(app: FastifyInstance): ServerMetrics | undefined {
  return METRICS.get(app);
}

export function countEnqueued(metrics: ServerMetrics, name: JobName): void {
  metrics.jobsEnqueued.inc({ name });
}
