import type { Actor, Store } from '../store/types.js';
import type { JobQueue, VetReleaseJob } from './types.js';

/** One vet of a release at a time: a second request while one is queued or running joins it. */
export const vetSingletonKey = (releaseId: string): string => `release:${releaseId}`;

/**
 * Asks for a release to be vetted: the release becomes `vetting` first, so that a process that
 * dies before the job runs (the in-process queue keeps jobs in memory) leaves a trace from which
 * `requeueInterruptedVets` rebuilds the job on the next start.
 */
export async function enqueueVetRelease(
  store: Store,
  queue: JobQueue,
  actor: Actor,
  job: VetReleaseJob,
): Promise<string> {
  await store.setReleaseState(actor, job.releaseId, 'vetting');
  return queue.enqueue('vet-release', job, { singletonKey: vetSingletonKey(job.releaseId) });
}

/**
 * At start: every release left `vetting` by a stopped or crashed process gets its job again (the
 * singleton key makes this harmless where the job still exists, as with pg-boss). Returns the
 * release ids requeued.
 */
export async function requeueInterruptedVets(store: Store, queue: JobQueue): Promise<string[]> {
  const requeued: string[] = [];
  let cursor: string | undefined;
  do {
    const page = await store.listReleases({ limit: 200, ...(cursor ? { cursor } : {}) });
    for (const release of page.items) {
      if (release.state !== 'vetting') continue;
      await queue.enqueue(
        'vet-release',
        {
          releaseId: release.id,
          ...(release.baselineReleaseId ? { baselineReleaseId: release.baselineReleaseId } : {}),
        },
        { singletonKey: vetSingletonKey(release.id) },
      );
      requeued.push(release.id);
    }
    cursor = page.next;
  } while (cursor);
  return requeued;
}
