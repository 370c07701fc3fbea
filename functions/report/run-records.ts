import type { ArtifactStore } from '../aws/artifacts';
import { FAILURE_NOT_RECORDED, type InlinePublishResults, type MapRunResult, type PlannedBuild, type PublishEvent, type RunManifest, type UnrecordedPublish } from '../shared/pipeline-events';
import { OUTCOME_REASONS, type RunOutcome } from '../../schema/table';

/** One entry of a ResultWriter's SUCCEEDED_n.json or FAILED_n.json, as Step Functions writes it. */
export interface MapRunChild {
  /** The child execution's input, as JSON text. */
  Input?: string;
  /** A succeeded child's output, as JSON text. */
  Output?: string;
  Error?: string;
  Cause?: string;
}

/** A Map Run's manifest.json. */
interface MapRunManifest {
  ResultFiles?: Partial<Record<'SUCCEEDED' | 'FAILED' | 'PENDING', { Key: string }[]>>;
}

/** Plan's manifest of the run (its regions, those left out), or undefined when Plan did not get that far. */
export async function readRunManifest(manifestKey: string | null, artifacts: Pick<ArtifactStore, 'getText'>): Promise<RunManifest | undefined> {
  if (!manifestKey) return undefined;
  return JSON.parse(await artifacts.getText(manifestKey)) as RunManifest;
}

/**
 * The child executions of a Map Run that ended as `status` says, read file by file from what its ResultWriter
 * wrote (the manifest names the files): the one reader of Map Run results, for PlanPublishes (the Builds map's
 * succeeded children) and Report (every map's failed ones).
 */
export async function* mapRunChildren(
  result: MapRunResult | null | undefined,
  status: 'SUCCEEDED' | 'FAILED',
  artifacts: Pick<ArtifactStore, 'getText'>,
): AsyncGenerator<MapRunChild> {
  if (!result?.ResultWriterDetails) return;
  const manifest = JSON.parse(await artifacts.getText(result.ResultWriterDetails.Key)) as MapRunManifest;
  for (const file of manifest.ResultFiles?.[status] ?? []) {
    for (const child of JSON.parse(await artifacts.getText(file.Key)) as MapRunChild[]) yield child;
  }
}

const parsed = <T>(json: string | undefined): Partial<T> => (json ? (JSON.parse(json) as Partial<T>) : {});
const detailOf = (child: Pick<MapRunChild, 'Error' | 'Cause'>) => [child.Error, child.Cause].filter(Boolean).join(': ');

/**
 * The builds whose child execution failed as a whole (a step failed and its failure could not be recorded, or
 * Step Functions stopped the child), read from the Map Run's results: one failed outcome per such build, so that
 * the summary names it even though no step could write it.
 */
export async function failedChildOutcomes(builds: MapRunResult | null, artifacts: Pick<ArtifactStore, 'getText'>): Promise<RunOutcome[]> {
  const outcomes: RunOutcome[] = [];
  for await (const child of mapRunChildren(builds, 'FAILED', artifacts)) {
    const item = parsed<{ item: Pick<PlannedBuild, 'layerName'> }>(child.Input).item;
    outcomes.push({ layerName: item?.layerName ?? 'Builds', status: 'failed', reason: 'child-execution', detail: detailOf(child) });
  }
  return outcomes;
}

/** What a child of the Publishes map is handed: its region, and where that region's layers wait. */
interface RegionChildInput {
  region: string;
  itemsKey: string;
}

const isUnrecorded = (result: unknown): result is UnrecordedPublish =>
  typeof result === 'object' && result !== null && (result as Partial<UnrecordedPublish>).Error === FAILURE_NOT_RECORDED;

/**
 * The publishes whose failure no step could record. On the inline path (the InlinePublishes map's output) each
 * is a marker among its region's results, and gives the outcome its failed child execution gives on the
 * distributed path. On the distributed path they come from the Publishes map's results: a failed child of a
 * region's map (Publish failed and RecordFailure could not record it) is that layer in that region; a region's
 * own child that failed (its map could not read its items, or was stopped) fails each of the region's layers that
 * no step recorded an outcome for. `recorded` is what the steps wrote, so that nothing they wrote is overwritten.
 */
export async function failedPublishOutcomes(
  publishes: MapRunResult | InlinePublishResults | null | undefined,
  recorded: readonly RunOutcome[],
  artifacts: Pick<ArtifactStore, 'getText'>,
): Promise<RunOutcome[]> {
  const outcomes: RunOutcome[] = [];
  if (Array.isArray(publishes)) {
    for (const marker of publishes.flat().filter(isUnrecorded)) {
      outcomes.push({ layerName: marker.layerName, region: marker.region, status: 'failed', reason: 'child-execution', detail: detailOf(marker) });
    }
    return outcomes;
  }
  for await (const region of mapRunChildren(publishes, 'SUCCEEDED', artifacts)) {
    for await (const child of mapRunChildren(parsed<MapRunResult>(region.Output) as MapRunResult, 'FAILED', artifacts)) {
      const input = parsed<PublishEvent>(child.Input);
      outcomes.push({ layerName: input.layer?.layerName ?? 'Publishes', region: input.region, status: 'failed', reason: 'child-execution', detail: detailOf(child) });
    }
  }
  for await (const child of mapRunChildren(publishes, 'FAILED', artifacts)) {
    const { region, itemsKey } = parsed<RegionChildInput>(child.Input);
    if (!region || !itemsKey) continue;
    const finished = new Set(recorded.filter((outcome) => outcome.region === region).map((outcome) => outcome.layerName));
    for (const layer of JSON.parse(await artifacts.getText(itemsKey)) as { layerName: string }[]) {
      if (!finished.has(layer.layerName)) outcomes.push({ layerName: layer.layerName, region, status: 'failed', reason: 'child-execution', detail: detailOf(child) });
    }
  }
  return outcomes;
}

/**
 * The planned builds no step recorded anything for (the run stopped between building and publishing, e.g.
 * PlanPublishes or the Publishes map failed as a whole): one failed outcome per planned region each, so that the
 * summary counts and names them. A layer with any outcome is left to outcomesPerRegion, which fills its regions.
 */
export async function unfinishedBuildOutcomes(
  manifest: RunManifest | undefined,
  recorded: readonly RunOutcome[],
  artifacts: Pick<ArtifactStore, 'getText'>,
): Promise<RunOutcome[]> {
  if (!manifest?.itemsKey || manifest.buildCount === 0) return [];
  const layers = new Set(recorded.map((outcome) => outcome.layerName));
  const outcomes: RunOutcome[] = [];
  for (const build of JSON.parse(await artifacts.getText(manifest.itemsKey)) as PlannedBuild[]) {
    if (layers.has(build.layerName)) continue;
    for (const region of build.regions) outcomes.push({ layerName: build.layerName, region, status: 'failed', reason: 'no-outcome', detail: OUTCOME_REASONS['no-outcome'] });
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
