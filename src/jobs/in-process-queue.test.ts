import { describe, expect, it } from 'vitest';
import { InProcessQueue } from './in-process-queue.js';
import { type JobEvent, type JobQueue, type JobStatus, PermanentJobError } from './types.js';

const payload = (releaseId: string) => ({ releaseId });

/** Polls a job's status until it reaches one of the states (tests never assert on timing). */
async function settled(queue: JobQueue, id: string, states = ['completed', 'failed']): Promise<JobStatus> {
  for (;;) {
    const status = await queue.status(id);
    if (status && states.includes(status.state)) return status;
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

function deferred(): { promise: Promise<void>; resolve: () => void } {
  let resolve!: () => void;
  const promise = new Promise<void>((done) => {
    resolve = done;
  });
  return { promise, resolve };
}

describe('InProcessQueue', () => {
  describe('when a handler succeeds', () => {
    it('runs the job once with its payload and a key that names the job', async () => {
      const queue = new InProcessQueue();
      const seen: Array<{ releaseId: string; key: string; attempt: number }> = [];
      await queue.work('vet-release', async (job, context) => {
        seen.push({ releaseId: job.releaseId, key: context.key, attempt: context.attempt });
      });
      await queue.start();
      const id = await queue.enqueue('vet-release', payload('r1'));
      const status = await settled(queue, id);
      expect(status).toMatchObject({ id, name: 'vet-release', state: 'completed', attempts: 1 });
      expect(status.finishedAt).toBeDefined();
      expect(seen).toEqual([{ releaseId: 'r1', key: `vet-release:${id}`, attempt: 1 }]);
      await queue.stop();
    });

    it('does not run jobs before start() and runs the queued ones after it', async () => {
      const queue = new InProcessQueue();
      let runs = 0;
      await queue.work('vet-release', async () => {
        runs += 1;
      });
      const id = await queue.enqueue('vet-release', payload('r1'));
      await new Promise((resolve) => setTimeout(resolve, 20));
      expect((await queue.status(id))?.state).toBe('queued');
      expect(runs).toBe(0);
      await queue.start();
      await settled(queue, id);
      expect(runs).toBe(1);
      await queue.stop();
    });
  });

  describe('when a handler fails', () => {
    it('retries with the same key and growing delays, and succeeds on the third attempt', async () => {
      const events: JobEvent[] = [];
      const queue = new InProcessQueue({ retryDelayMs: 10, onEvent: (event) => events.push(event) });
      const keys: string[] = [];
      await queue.work('vet-release', async (_job, context) => {
        keys.push(context.key);
        expect(context.maxAttempts).toBe(3);
        if (context.attempt < 3) throw new Error(`attempt ${context.attempt} broke`);
      });
      await queue.start();
      const id = await queue.enqueue('vet-release', payload('r1'));
      const status = await settled(queue, id);
      expect(status.state).toBe('completed');
      expect(status.attempts).toBe(3);
      expect(new Set(keys).size).toBe(1);
      const retries = events.filter((event) => event.type === 'retrying');
      expect(retries.map((event) => (event.type === 'retrying' ? event.delayMs : -1))).toEqual([10, 20]);
      await queue.stop();
    });

    it('gives up after three attempts and keeps the last error', async () => {
      const queue = new InProcessQueue({ retryDelayMs: 1 });
      let runs = 0;
      await queue.work('vet-release', async () => {
        runs += 1;
        throw new Error(`broken ${runs}`);
      });
      await queue.start();
      const id = await queue.enqueue('vet-release', payload('r1'));
      const status = await settled(queue, id);
      expect(status).toMatchObject({ state: 'failed', attempts: 3, error: 'broken 3' });
      expect(runs).toBe(3);
      await queue.stop();
    });

    it('fails at once, keeping the code, when the handler says no retry can help', async () => {
      const queue = new InProcessQueue({ retryDelayMs: 1 });
      let runs = 0;
      await queue.work('vet-release', async () => {
        runs += 1;
        throw new PermanentJobError('E_INTEL_MALFORMED', 'feed: not a STIX bundle');
      });
      await queue.start();
      const id = await queue.enqueue('vet-release', payload('r1'));
      expect(await settled(queue, id)).toMatchObject({
        state: 'failed',
        attempts: 1,
        error: 'feed: not a STIX bundle',
        code: 'E_INTEL_MALFORMED',
      });
      expect(runs).toBe(1);
      await queue.stop();
    });

    it('shows no code for an error that has none', async () => {
      const queue = new InProcessQueue({ maxAttempts: 1 });
      await queue.work('vet-release', async () => {
        throw Object.assign(new Error('plain'), { code: 'ENOENT' });
      });
      await queue.start();
      const status = await settled(queue, await queue.enqueue('vet-release', payload('r1')));
      expect(status.error).toBe('plain');
      expect(status.code).toBeUndefined();
      await queue.stop();
    });

    it('tracks a handler that throws before returning a promise', async () => {
      const queue = new InProcessQueue({ maxAttempts: 1 });
      await queue.work('vet-release', () => {
        throw new Error('at once');
      });
      await queue.start();
      const id = await queue.enqueue('vet-release', payload('r1'));
      expect(await settled(queue, id)).toMatchObject({ state: 'failed', error: 'at once' });
      expect(queue.pending()).toBe(0);
      await queue.stop();
    });
  });

  describe('when jobs share a singleton key', () => {
    it('returns the queued or running job instead of adding another, and a new one once it finished', async () => {
      const queue = new InProcessQueue();
      const gate = deferred();
      let runs = 0;
      await queue.work('vet-release', async () => {
        runs += 1;
        await gate.promise;
      });
      const first = await queue.enqueue('vet-release', payload('r1'), { singletonKey: 'release:r1' });
      expect(await queue.enqueue('vet-release', payload('r1'), { singletonKey: 'release:r1' })).toBe(first);
      await queue.start();
      await settled(queue, first, ['active']);
      expect(await queue.enqueue('vet-release', payload('r1'), { singletonKey: 'release:r1' })).toBe(first);
      const other = await queue.enqueue('vet-release', payload('r2'), { singletonKey: 'release:r2' });
      expect(other).not.toBe(first);
      gate.resolve();
      await settled(queue, first);
      await settled(queue, other);
      const again = await queue.enqueue('vet-release', payload('r1'), { singletonKey: 'release:r1' });
      expect(again).not.toBe(first);
      await settled(queue, again);
      expect(runs).toBe(3);
      await queue.stop();
    });
  });

  describe('concurrency', () => {
    it('never runs more jobs of a kind at once than the consumer allows', async () => {
      const queue = new InProcessQueue();
      let active = 0;
      let peak = 0;
      await queue.work(
        'vet-release',
        async () => {
          active += 1;
          peak = Math.max(peak, active);
          await new Promise((resolve) => setTimeout(resolve, 5));
          active -= 1;
        },
        { concurrency: 3 },
      );
      await queue.start();
      const ids = await Promise.all(
        Array.from({ length: 12 }, (_, index) => queue.enqueue('vet-release', payload(`r${index}`))),
      );
      for (const id of ids) await settled(queue, id);
      expect(peak).toBe(3);
      await queue.stop();
    });
  });

  describe('when the queue stops', () => {
    it('lets a running job finish within the grace period', async () => {
      const queue = new InProcessQueue();
      await queue.work('vet-release', async () => {
        await new Promise((resolve) => setTimeout(resolve, 30));
      });
      await queue.start();
      const id = await queue.enqueue('vet-release', payload('r1'));
      await settled(queue, id, ['active']);
      await queue.stop({ graceMs: 10_000 });
      expect((await queue.status(id))?.state).toBe('completed');
    });

    it('aborts a job that outlives the grace period and leaves it queued, its attempt not counted', async () => {
      const events: JobEvent[] = [];
      const queue = new InProcessQueue({ onEvent: (event) => events.push(event) });
      let sawAbort = false;
      await queue.work('vet-release', async (_job, context) => {
        await new Promise<void>((_resolve, reject) => {
          context.signal.addEventListener('abort', () => {
            sawAbort = true;
            reject(context.signal.reason);
          });
        });
      });
      await queue.start();
      const id = await queue.enqueue('vet-release', payload('r1'));
      const waiting = await queue.enqueue('vet-release', payload('r2'));
      await settled(queue, id, ['active']);
      await queue.stop({ graceMs: 20 });
      expect(sawAbort).toBe(true);
      expect(await queue.status(id)).toMatchObject({ state: 'queued', attempts: 0 });
      expect((await queue.status(waiting))?.state).toBe('queued');
      expect(events).toContainEqual({ type: 'requeued', jobId: id, name: 'vet-release' });
      expect(queue.pending()).toBe(2);
    });
  });

  it('forgets the oldest finished jobs past keepFinished', async () => {
    const queue = new InProcessQueue({ keepFinished: 2 });
    await queue.work('vet-release', async () => {});
    await queue.start();
    const ids: string[] = [];
    for (const index of [1, 2, 3]) {
      const id = await queue.enqueue('vet-release', payload(`r${index}`));
      await settled(queue, id);
      ids.push(id);
    }
    expect(await queue.status(ids[0]!)).toBeUndefined();
    expect((await queue.status(ids[2]!))?.state).toBe('completed');
    await queue.stop();
  });
});
