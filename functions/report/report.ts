import type { LayerStore } from '../store/layer-store';
import type { ReportEvent, RunSummary } from '../shared/pipeline-events';
import type { RunOutcome } from '../../schema/table';

export interface ReportDeps {
  store: Pick<LayerStore, 'putRun' | 'putRegions'>;
  /** Writes the static listing export after the records are in (issue 5); optional. */
  exportListing?: (regions: string[]) => Promise<void>;
  log?: (message: string) => void;
  now?: () => Date;
}

/** The message inside a Step Functions error: Lambda puts {errorType, errorMessage} as JSON in Cause. */
export function errorMessageOf(error: { Error?: string; Cause?: string } | undefined): string {
  if (!error) return 'unknown error';
  try {
    const cause = JSON.parse(error.Cause ?? '') as { errorMessage?: string; errorType?: string };
    if (cause.errorMessage) return cause.errorMessage;
  } catch {
    // Not JSON: States.* errors carry plain text.
  }
  return error.Cause || error.Error || 'unknown error';
}

const STATUS_ORDER: RunOutcome['status'][] = ['failed', 'published', 'unchanged', 'skipped'];

/** Sums up a run: one outcome per layer and region, recorded in the table, and the listing export refreshed. */
export async function report(event: ReportEvent, deps: ReportDeps): Promise<RunSummary> {
  const outcomes: RunOutcome[] = [...event.plan.failed, ...event.plan.skipped];
  for (const result of event.results) {
    if (result.status === 'failed') {
      outcomes.push({ layerName: result.layerName, status: 'failed', error: `build: ${errorMessageOf(result.error)}` });
      continue;
    }
    for (const outcome of result.outcomes ?? []) {
      const failure = (outcome as RunOutcome & { stepError?: { Error: string; Cause: string } }).stepError;
      outcomes.push(failure ? { layerName: outcome.layerName, region: outcome.region, status: 'failed', error: `publish: ${errorMessageOf(failure)}` } : outcome);
    }
  }
  outcomes.sort(
    (a, b) =>
      a.layerName.localeCompare(b.layerName) ||
      (a.region ?? '').localeCompare(b.region ?? '') ||
      STATUS_ORDER.indexOf(a.status) - STATUS_ORDER.indexOf(b.status),
  );
  const counts: RunSummary['counts'] = { published: 0, unchanged: 0, skipped: 0, failed: 0 };
  for (const outcome of outcomes) counts[outcome.status]++;
  const finishedAt = (deps.now?.() ?? new Date()).toISOString();
  const summary: RunSummary = {
    runId: event.plan.runId,
    startedAt: event.plan.startedAt,
    finishedAt,
    counts,
    outcomes,
    failed: counts.failed > 0,
  };
  await deps.store.putRun({ runId: summary.runId, startedAt: summary.startedAt, finishedAt, counts, outcomes });
  await deps.store.putRegions(event.plan.regions);
  if (deps.exportListing) await deps.exportListing(event.plan.regions);
  deps.log?.(
    `run ${summary.runId}: ${counts.published} published, ${counts.unchanged} unchanged, ${counts.skipped} skipped, ${counts.failed} failed`,
  );
  return summary;
}
