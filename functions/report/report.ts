import type { LayerStore } from '../store/layer-store';
import type { ReportEvent, RunSummary } from '../shared/pipeline-events';
import { RUN_FAILURES_KEPT, type RunOutcome } from '../../schema/table';

export interface ReportDeps {
  store: Pick<LayerStore, 'listOutcomes' | 'putRun' | 'putRegions'>;
  /** Writes the static listing export after the records are in; optional. */
  exportListing?: (regions: string[]) => Promise<void>;
  log?: (message: string) => void;
  now?: () => Date;
}

/**
 * Sums up a run from the outcomes its steps recorded (one per layer and region), records the summary, and
 * refreshes the listing export. What it returns stays small whatever the number of layers and regions.
 */
export async function report(event: ReportEvent, deps: ReportDeps): Promise<RunSummary> {
  const outcomes = await deps.store.listOutcomes(event.runId);
  const counts: RunSummary['counts'] = { published: 0, unchanged: 0, skipped: 0, failed: 0 };
  for (const outcome of outcomes) counts[outcome.status]++;
  const failures: RunOutcome[] = outcomes.filter((outcome) => outcome.status === 'failed').slice(0, RUN_FAILURES_KEPT);
  const finishedAt = (deps.now?.() ?? new Date()).toISOString();
  const summary: RunSummary = {
    runId: event.runId,
    startedAt: event.startedAt,
    finishedAt,
    counts,
    failures,
    failed: counts.failed > 0,
  };
  await deps.store.putRun({ runId: summary.runId, startedAt: summary.startedAt, finishedAt, counts, failures });
  await deps.store.putRegions(event.regions);
  if (deps.exportListing) await deps.exportListing(event.regions);
  deps.log?.(
    `run ${summary.runId}: ${counts.published} published, ${counts.unchanged} unchanged, ${counts.skipped} skipped, ${counts.failed} failed`,
  );
  return summary;
}
