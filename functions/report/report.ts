import type { ArtifactStore } from '../aws/artifacts';
import type { LayerStore } from '../store/layer-store';
import type { ReportEvent, RunSummary } from '../shared/pipeline-events';
import { RUN_FAILURES_KEPT } from '../../schema/table';
import { afterWrite } from '../shared/crash-points';
import { failedChildOutcomes, failedPublishOutcomes, readRunManifest, unfinishedBuildOutcomes, withStepFailures } from './run-records';
import { describeHealth, recordRegionHealth } from '../regions/health';
import { countOutcomes, describeCounts, outcomesPerRegion } from './summary';

export interface ReportDeps {
  store: Pick<LayerStore, 'listOutcomes' | 'putRun' | 'putRegions' | 'getRegions' | 'putOutcome'>;
  /** Where region health is kept (functions/regions/health.ts); without it, health is not tracked. */
  health?: Pick<LayerStore, 'listRegionHealth' | 'putRegionHealth'>;
  /** Plan's run manifest, and the results of the Builds and Publishes maps (and of each region's map). */
  artifacts: Pick<ArtifactStore, 'getText'>;
  /** Writes the static listing export after the records are in; optional. */
  exportListing?: (regions: string[]) => Promise<void>;
  log?: (message: string) => void;
  now?: () => Date;
}

/**
 * Sums up a run from the outcomes its steps recorded, one per layer × region (see outcomesPerRegion), records the
 * summary, and refreshes the listing export. What it returns stays small whatever the number of layers and regions.
 */
export async function report(event: ReportEvent, deps: ReportDeps): Promise<RunSummary> {
  // The run's regions are in Plan's manifest (none when Plan failed), so that no state carries them.
  const manifest = await readRunManifest(event.manifestKey, deps.artifacts);
  const regions = manifest?.regions ?? [];
  // Child executions that failed as a whole recorded nothing: their outcomes come from the Map Runs' results.
  for (const outcome of await failedChildOutcomes(event.builds, deps.artifacts)) await deps.store.putOutcome(event.runId, outcome);
  const recordedByTheSteps = await deps.store.listOutcomes(event.runId);
  const notRecorded = [
    ...(await failedPublishOutcomes(event.publishes, recordedByTheSteps, deps.artifacts)),
    ...(await unfinishedBuildOutcomes(manifest, recordedByTheSteps, deps.artifacts)),
  ];
  for (const outcome of notRecorded) await deps.store.putOutcome(event.runId, outcome);
  const recordedOutcomes = notRecorded.length > 0 ? await deps.store.listOutcomes(event.runId) : recordedByTheSteps;
  const outcomes = withStepFailures(outcomesPerRegion(recordedOutcomes, regions), recordedOutcomes);
  const regionHealth = deps.health ? await recordRegionHealth(event.runId, regions, recordedOutcomes, { store: deps.health, now: deps.now }) : [];
  const counts = countOutcomes(outcomes);
  const failures = outcomes.filter((outcome) => outcome.status === 'failed').slice(0, RUN_FAILURES_KEPT);
  const finishedAt = (deps.now?.() ?? new Date()).toISOString();
  const summary: RunSummary = {
    runId: event.runId,
    startedAt: event.startedAt,
    finishedAt,
    counts,
    targets: outcomes.length,
    regions,
    failures,
    failed: counts.failed > 0,
    skippedRegions: manifest?.skippedRegions ?? [],
    regionHealth,
  };
  await deps.store.putRun({ runId: summary.runId, startedAt: summary.startedAt, finishedAt, counts, targets: summary.targets, regions, failures, regionHealth });
  // A partial run (--regions) adds to the regions lamina publishes to and never takes any away: the listing
  // and the static export keep every region that has layers.
  const recorded = await deps.store.getRegions();
  const listed = [...new Set([...recorded, ...regions])];
  await deps.store.putRegions(listed);
  if (deps.exportListing) {
    await deps.exportListing(listed);
    afterWrite('report:export');
  }
  deps.log?.(`run ${summary.runId}: ${describeCounts(counts)}`);
  for (const health of regionHealth) deps.log?.(`region ${describeHealth(health)}`);
  return summary;
}
