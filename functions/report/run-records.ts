import type { ArtifactStore } from '../aws/artifacts';
import type { MapRunResult, PlannedBuild, RunManifest } from '../shared/pipeline-events';
import type { RunOutcome } from '../../schema/table';

/** One entry of a ResultWriter's FAILED_n.json, as Step Functions writes it. */
interface FailedChild {
  Input?: string;
  Error?: string;
  Cause?: string;
}

/** A Map Run's manifest.json. */
interface MapRunManifest {
  ResultFiles?: { FAILED?: { Key: string }[] };
}

/** Plan's manifest of the run (its regions, those left out), or undefined when Plan did not get that far. */
export async function readRunManifest(manifestKey: string | null, artifacts: Pick<ArtifactStore, 'getText'>): Promise<RunManifest | undefined> {
  if (!manifestKey) return undefined;
  return JSON.parse(await artifacts.getText(manifestKey)) as RunManifest;
}

/**
 * The builds whose child execution failed as a whole (a step failed and its failure could not be recorded, or
 * Step Functions stopped the child), read from the Map Run's results: one failed outcome per such build, so that
 * the summary names it even though no step could write it.
 */
export async function failedChildOutcomes(builds: MapRunResult | null, artifacts: Pick<ArtifactStore, 'getText'>): Promise<RunOutcome[]> {
  if (!builds?.ResultWriterDetails) return [];
  const manifest = JSON.parse(await artifacts.getText(builds.ResultWriterDetails.Key)) as MapRunManifest;
  const outcomes: RunOutcome[] = [];
  for (const file of manifest.ResultFiles?.FAILED ?? []) {
    for (const child of JSON.parse(await artifacts.getText(file.Key)) as FailedChild[]) {
      const item = (JSON.parse(child.Input ?? '{}') as { item?: Pick<PlannedBuild, 'layerName'> }).item;
      outcomes.push({
        layerName: item?.layerName ?? 'Builds',
        status: 'failed',
        reason: 'child-execution',
        detail: [child.Error, child.Cause].filter(Boolean).join(': '),
      });
    }
  }
  return outcomes;
}

/**
 * A failure of a step of the whole run (Plan, Builds, Report, Expire: recorded under the step's name, with no
 * region) stands for no layer × region, so outcomesPerRegion leaves it out when the run has no regions (Plan
 * failed): it is kept, so that the summary says what failed.
 */
export function withStepFailures(perRegion: RunOutcome[], recorded: RunOutcome[]): RunOutcome[] {
  const layers = new Set(perRegion.map((outcome) => outcome.layerName));
  return [...perRegion, ...recorded.filter((outcome) => !outcome.region && outcome.status === 'failed' && !layers.has(outcome.layerName))];
}
