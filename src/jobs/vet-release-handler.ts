import { type VetReleaseInput, type VetReleaseOutcome, vetRelease } from '../pipeline/vet-release.js';
import type { Actor } from '../store/types.js';
import { isStopAbort, type JobHandler } from './types.js';

export interface VetReleaseHandlerDeps
  extends Pick<VetReleaseInput, 'store' | 'blobs' | 'policy' | 'scan' | 'onStage' | 'storedIntel'> {
  readonly actor?: Actor;
  readonly onOutcome?: (outcome: VetReleaseOutcome) => void;
}

/**
 * The `vet-release` job: runs the vet use case under the job's idempotency key. The release's
 * state becomes `failed` only when the last attempt fails; an earlier failure leaves it `vetting`
 * for the retry, and so does a stop (the job is requeued, not failed).
 */
export function vetReleaseHandler(deps: VetReleaseHandlerDeps): JobHandler<'vet-release'> {
  const actor: Actor = deps.actor ?? { kind: 'system', id: 'worker' };
  return async (job, context) => {
    try {
      const outcome = await vetRelease({
        store: deps.store,
        blobs: deps.blobs,
        releaseId: job.releaseId,
        ...(job.baselineReleaseId !== undefined ? { baselineReleaseId: job.baselineReleaseId } : {}),
        key: context.key,
        actor,
        signal: context.signal,
        ...(deps.policy ? { policy: deps.policy } : {}),
        ...(deps.scan ? { scan: deps.scan } : {}),
        ...(deps.onStage ? { onStage: deps.onStage } : {}),
        ...(deps.storedIntel !== undefined ? { storedIntel: deps.storedIntel } : {}),
      });
      deps.onOutcome?.(outcome);
    } catch (error) {
      // A stop hands the job back (it runs again); running out of time on the last attempt fails.
      const isLast = context.attempt >= (context.maxAttempts ?? 1);
      if (isLast && !isStopAbort(context.signal)) {
        await deps.store.setReleaseState(actor, job.releaseId, 'failed').catch(() => undefined);
      }
      throw error;
    }
  };
}
