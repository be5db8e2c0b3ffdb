import { describe, expect, it } from 'vitest';
import { InProcessQueue } from './in-process-queue.js';
import { waitForJob } from './wait-for-job.js';

function gate(): { promise: Promise<void>; open: () => void } {
  let open!: () => void;
  const promise = new Promise<void>((resolve) => {
    open = resolve;
  });
  return { promise, open };
}

describe('waitForJob', () => {
  it('returns the status once the job has completed', async () => {
    const queue = new InProcessQueue();
    const release = gate();
    await queue.work('vet-release', () => release.promise);
    await queue.start();
    const id = await queue.enqueue('vet-release', { releaseId: 'r1' });
    setTimeout(release.open, 30);
    expect(await waitForJob(queue, id, { timeoutMs: 5000 })).toMatchObject({ id, state: 'completed' });
    await queue.stop();
  });

  it('returns the failed status with its error', async () => {
    const queue = new InProcessQueue({ maxAttempts: 1 });
    await queue.work('vet-release', async () => {
      throw new Error('nope');
    });
    await queue.start();
    const id = await queue.enqueue('vet-release', { releaseId: 'r1' });
    expect(await waitForJob(queue, id, { timeoutMs: 5000 })).toMatchObject({
      state: 'failed',
      error: 'nope',
    });
    await queue.stop();
  });

  describe('when the job does not finish in time', () => {
    it('returns its last status, still unfinished, near the timeout', async () => {
      const queue = new InProcessQueue();
      const release = gate();
      await queue.work('vet-release', () => release.promise);
      await queue.start();
      const id = await queue.enqueue('vet-release', { releaseId: 'r1' });
      const status = await waitForJob(queue, id, { timeoutMs: 80 });
      expect(status?.state).toBe('active');
      release.open();
      await queue.stop();
    });

    it('stops at once when its signal aborts', async () => {
      const queue = new InProcessQueue(); // never started: the job stays queued
      const id = await queue.enqueue('vet-release', { releaseId: 'r1' });
      const controller = new AbortController();
      setTimeout(() => controller.abort(), 20);
      const started = Date.now();
      const status = await waitForJob(queue, id, { timeoutMs: 60_000, signal: controller.signal });
      expect(status?.state).toBe('queued');
      expect(Date.now() - started).toBeLessThan(30_000);
    });
  });

  it('returns undefined for a job the queue does not know', async () => {
    expect(await waitForJob(new InProcessQueue(), 'nope', { timeoutMs: 1000 })).toBeUndefined();
  });
});
