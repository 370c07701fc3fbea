import type { LayerStore } from '../store/layer-store';
import type { FailureEvent } from '../shared/pipeline-events';
import type { RunOutcome } from '../../schema/table';
import { publishFailureReason } from '../regions/health';

/** The message inside a Step Functions error: Lambda puts {errorType, errorMessage} as JSON in Cause. */
export function errorMessageOf(error: { Error?: string; Cause?: string } | undefined): string {
  if (!error) return 'unknown error';
  try {
    const cause = JSON.parse(error.Cause ?? '') as { errorMessage?: string; errorType?: string };
    if (cause.errorMessage) return cause.errorType && cause.errorType !== 'Error' ? `${cause.errorType}: ${cause.errorMessage}` : cause.errorMessage;
  } catch {
    // Not JSON: States.* errors carry plain text.
  }
  return [error.Error, error.Cause].filter(Boolean).join(': ') || 'unknown error';
}

/**
 * Records a step that failed for good, after its retries: the layer (in the region) is reported failed with the
 * reason, and the run goes on with the others.
 */
export async function recordFailure(event: FailureEvent, store: Pick<LayerStore, 'putOutcome'>): Promise<RunOutcome> {
  const outcome: RunOutcome = {
    layerName: event.layerName,
    region: event.region,
    status: 'failed',
    // A publish's reason tells service failures and refusals apart: region health counts them.
    reason: event.stage === 'publish' ? publishFailureReason(event.error?.Error) : event.stage,
    detail: errorMessageOf(event.error),
  };
  await store.putOutcome(event.runId, outcome);
  return outcome;
}
