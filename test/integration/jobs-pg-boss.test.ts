import PgBoss from 'pg-boss';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PgBossQueue, type PgBossQueueOptions } from '../../src/jobs/pg-boss-queue.js';
import { type JobQueue, type JobStatus, PermanentJobError } from '../../src/jobs/types.js';
import { type PostgresSchema, withPostgresSchema } from '../support/postgres.js';

/** The suite's PostgreSQL (env, local or embedded; see test/support) and a fresh pg-boss schema. */
let database: PostgresSchema;
let url: string;
let schema: string;
const queues: PgBossQueue[] = [];

function makeQueue(options: Partial<PgBossQueueOptions> = {}): PgBossQueue {
  const queue = new PgBossQueue({
    connectionString: url,
    schema,
    retryDelaySeconds: 0,
    pollingIntervalSeconds: 0.5,
    ...options,
  });
  queues.push(queue);
  return queue;
}

async function settled(queue: JobQueue, id: string, states = ['completed', 'failed']): Promise<JobStatus> {
  for (;;) {
    const status = await queue.status(id);
    if (status && states.includes(status.state)) return status;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

beforeAll(async () => {
  database = await withPostgresSchema('jobs_pg_boss');
  url = database.url;
  schema = database.schema;
});

afterAll(async () => {
  for (const queue of queues) await queue.stop({ graceMs: 1000 }).catch(() => undefined);
  await database?.drop();
});

describe('PgBossQueue on PostgreSQL', () => {
  it('starts in several processes at once on a fresh schema (a server and its workers)', async () => {
    const fresh = await withPostgresSchema('jobs_pg_boss_race');
    const racers = Array.from(
      { length: 4 },
      () =>
        new PgBossQueue({ connectionString: fresh.url, schema: fresh.schema, pollingIntervalSeconds: 0.5 }),
    );
    try {
      // Unretried, pg-boss's schema and queue DDL deadlock here (PostgreSQL 40P01) now and then.
      await Promise.all(racers.map((queue) => queue.start()));
      const id = await racers[0]!.enqueue('vet-release', { releaseId: 'race' });
      expect(await racers[3]!.status(id)).toMatchObject({ id, state: 'queued' });
    } finally {
      for (const queue of racers) await queue.stop({ graceMs: 100 }).catch(() => undefined);
      await fresh.drop();
    }
  });

  it('runs a job sent by one queue in a consumer of another, with the job id in its key', async () => {
    const producer = makeQueue();
    const consumer = makeQueue();
    await producer.start();
    await consumer.start();
    const seen: Array<{ releaseId: string; key: string }> = [];
    await consumer.work('vet-release', async (job, context) => {
      seen.push({ releaseId: job.releaseId, key: context.key });
    });
    const id = await producer.enqueue('vet-release', { releaseId: 'r1' });
    const status = await settled(producer, id);
    expect(status).toMatchObject({ id, name: 'vet-release', state: 'completed', attempts: 1 });
    expect(status.finishedAt).toBeDefined();
    expect(seen).toEqual([{ releaseId: 'r1', key: `vet-release:${id}` }]);
    await consumer.stop({ graceMs: 1000 });
  });

  it('retries a failing job under the same key until it succeeds on the third attempt', async () => {
    const queue = makeQueue();
    await queue.start();
    const attempts: Array<{ attempt: number; key: string; maxAttempts?: number }> = [];
    await queue.work('import-intel', async (_job, context) => {
      attempts.push({
        attempt: context.attempt,
        key: context.key,
        ...(context.maxAttempts !== undefined ? { maxAttempts: context.maxAttempts } : {}),
      });
      if (context.attempt < 3) throw new Error(`attempt ${context.attempt} broke`);
    });
    const id = await queue.enqueue('import-intel', { sha256: 'a'.repeat(64), name: 'x', format: 'ioc' });
    const status = await settled(queue, id);
    expect(status).toMatchObject({ state: 'completed', attempts: 3 });
    expect(attempts.map((item) => item.attempt)).toEqual([1, 2, 3]);
    expect(new Set(attempts.map((item) => item.key))).toEqual(new Set([`import-intel:${id}`]));
    expect(attempts[0]?.maxAttempts).toBe(3);
    await queue.stop({ graceMs: 1000 });
  });

  it('fails a job for good after three attempts and reports the error', async () => {
    const queue = makeQueue();
    await queue.start();
    await queue.work('import-intel', async (job) => {
      throw new Error(`cannot import ${job.name}`);
    });
    const id = await queue.enqueue('import-intel', { sha256: 'b'.repeat(64), name: 'bad', format: 'ioc' });
    const status = await settled(queue, id);
    expect(status.state).toBe('failed');
    expect(status.attempts).toBe(3);
    expect(status.error).toContain('cannot import bad');
    await queue.stop({ graceMs: 1000 });
  });

  it('fails a job at once, with its code, when the handler says no retry can help', async () => {
    const queue = makeQueue();
    await queue.start();
    let runs = 0;
    await queue.work('import-intel', async (job) => {
      runs += 1;
      throw new PermanentJobError('E_INTEL_MALFORMED', `${job.name}: not a STIX bundle`);
    });
    const id = await queue.enqueue('import-intel', { sha256: 'c'.repeat(64), name: 'feed', format: 'stix' });
    const status = await settled(queue, id);
    expect(status).toMatchObject({
      state: 'failed',
      attempts: 1,
      error: 'feed: not a STIX bundle',
      code: 'E_INTEL_MALFORMED',
    });
    expect(runs).toBe(1);
    await queue.stop({ graceMs: 1000 });
  });

  it('returns the queued job for a singleton key, and a new job once that one finished', async () => {
    const queue = makeQueue();
    await queue.start();
    const first = await queue.enqueue('vet-release', { releaseId: 's1' }, { singletonKey: 'release:s1' });
    const second = await queue.enqueue('vet-release', { releaseId: 's1' }, { singletonKey: 'release:s1' });
    expect(second).toBe(first);
    const other = await queue.enqueue('vet-release', { releaseId: 's2' }, { singletonKey: 'release:s2' });
    expect(other).not.toBe(first);
    let runs = 0;
    await queue.work('vet-release', async () => {
      runs += 1;
    });
    await settled(queue, first);
    await settled(queue, other);
    const again = await queue.enqueue('vet-release', { releaseId: 's1' }, { singletonKey: 'release:s1' });
    expect(again).not.toBe(first);
    await settled(queue, again);
    expect(runs).toBe(3);
    await queue.stop({ graceMs: 1000 });
  });

  it('knows nothing of an id it never issued', async () => {
    const queue = makeQueue();
    await queue.start();
    expect(await queue.status('00000000-0000-4000-8000-000000000000')).toBeUndefined();
  });

  describe('when the worker holding a job dies', () => {
    it('retries the job after its expiry, under the same id, in a live consumer', async () => {
      const queue = makeQueue({ expireInSeconds: 1, maintenanceIntervalSeconds: 1 });
      await queue.start();
      const id = await queue.enqueue('vet-release', { releaseId: 'dead-1' });
      // A "worker" that takes the job and is never heard from again: a raw pg-boss fetch.
      const ghost = new PgBoss({ connectionString: url, schema, supervise: false, schedule: false });
      await ghost.start();
      const [taken] = await ghost.fetch('vet-release');
      expect(taken?.id).toBe(id);
      await ghost.stop({ graceful: false, wait: true });
      expect((await queue.status(id))?.state).toBe('active');
      const attempts: number[] = [];
      await queue.work('vet-release', async (_job, context) => {
        attempts.push(context.attempt);
      });
      const status = await settled(queue, id);
      expect(status).toMatchObject({ state: 'completed', attempts: 2 });
      expect(attempts).toEqual([2]);
      await queue.stop({ graceMs: 1000 });
    });
  });

  describe('when the queue stops', () => {
    it('waits for a running job within the grace period', async () => {
      const queue = makeQueue();
      await queue.start();
      let isFinished = false;
      let isStarted = false;
      await queue.work('vet-release', async () => {
        isStarted = true;
        await new Promise((resolve) => setTimeout(resolve, 300));
        isFinished = true;
      });
      const id = await queue.enqueue('vet-release', { releaseId: 'g1' });
      while (!isStarted) await new Promise((resolve) => setTimeout(resolve, 20));
      await queue.stop({ graceMs: 10_000 });
      expect(isFinished).toBe(true);
      const observer = makeQueue();
      await observer.start();
      expect((await observer.status(id))?.state).toBe('completed');
    });

    it('aborts a job past the grace period and leaves it to be retried', async () => {
      const events: string[] = [];
      const queue = makeQueue({ onEvent: (event) => events.push(event.type) });
      await queue.start();
      let sawAbort = false;
      let isStarted = false;
      await queue.work('vet-release', async (_job, context) => {
        isStarted = true;
        await new Promise<void>((_resolve, reject) =>
          context.signal.addEventListener('abort', () => {
            sawAbort = true;
            reject(context.signal.reason);
          }),
        );
      });
      const id = await queue.enqueue('vet-release', { releaseId: 'g2' });
      while (!isStarted) await new Promise((resolve) => setTimeout(resolve, 20));
      await queue.stop({ graceMs: 50 });
      expect(sawAbort).toBe(true);
      expect(events).toContain('requeued');
      const observer = makeQueue();
      await observer.start();
      expect((await observer.status(id))?.state).toBe('queued');
    });
  });
});
