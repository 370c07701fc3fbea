import type { ArtifactStore } from '../aws/artifacts';
import { mapRunChildren } from '../report/run-records';
import { afterWrite } from '../shared/crash-points';
import { INLINE_PAYLOAD_BYTES, MAX_INLINE_PUBLISHES } from '../plan/run-limits';
import {
  FAILURE_NOT_RECORDED,
  FAILURE_NOT_RECORDED_CAUSE,
  type BuiltArtifact,
  type InlinePublishPlan,
  type InlineRegionPublishes,
  type PlanPublishesEvent,
  type PublishPlan,
  type SealResult,
  type UnrecordedPublish,
} from '../shared/pipeline-events';

export interface PlanPublishesDeps {
  /** Where the Builds map's results are, and where each region's items go. */
  artifacts: Pick<ArtifactStore, 'getText' | 'putText'>;
  log?: (message: string) => void;
  /** How large a plan may be to publish inline (functions/plan/run-limits.ts's budgets unless a test says). */
  inlineBudget?: InlineBudget;
}

export interface InlineBudget {
  /** The most publishes (layer × region) the run's own history takes at their worst. */
  publishes: number;
  /** The most bytes of state the plan and the worst of its results take together. */
  bytes: number;
}

export const INLINE_BUDGET: InlineBudget = { publishes: MAX_INLINE_PUBLISHES, bytes: INLINE_PAYLOAD_BYTES };

/**
 * Whether the plan fits the inline budget: its publishes, and the bytes of the plan in the run's state plus its
 * results at their worst (every publish an unrecorded failure's marker), which stay in the state until the end.
 */
export function fitsInline(plan: InlinePublishPlan, budget: InlineBudget = INLINE_BUDGET): boolean {
  const publishes = plan.inline.regions.reduce((sum, entry) => sum + entry.layers.length, 0);
  if (publishes > budget.publishes) return false;
  let bytes = Buffer.byteLength(JSON.stringify(plan));
  for (const { region, layers } of plan.inline.regions) {
    for (const index of layers) {
      const marker: UnrecordedPublish = { Error: FAILURE_NOT_RECORDED, Cause: FAILURE_NOT_RECORDED_CAUSE, layerName: plan.inline.layers[index].layerName, region };
      bytes += Buffer.byteLength(JSON.stringify(marker)) + 1;
    }
  }
  return bytes <= budget.bytes;
}

/** Artifact-store key of the layers a run publishes in one region: the JSON array that region's map reads. */
export function publishItemsKeyOf(runId: string, region: string): string {
  return `runs/${runId}/publishes/${region}.json`;
}

/** A build's child output that is a sealed layer; a failed build's child ends with the layer's name instead. */
function isSealed(output: unknown): output is SealResult {
  const sealed = output as Partial<SealResult> | null;
  return typeof sealed === 'object' && sealed !== null && Array.isArray(sealed.regions) && typeof sealed.layer?.layerName === 'string';
}

/**
 * Turns the builds' results into each region's publishes: reads the sealed layers from the Builds map's results
 * (its succeeded children; a failed build recorded its own outcome and publishes nowhere), one entry per region
 * with anything to publish, in region order, each region's layers in name order. A plan within the inline budget
 * is returned whole (each layer once, each region naming its layers by position: the state machine publishes it
 * with inline Maps); a larger one is written per region to S3 (each region's Distributed Map reads its array with
 * an ItemReader, so no state carries them) and what is returned is one small entry per region.
 */
export async function planPublishes(event: PlanPublishesEvent, deps: PlanPublishesDeps): Promise<PublishPlan | InlinePublishPlan> {
  const sealedLayers = new Map<string, BuiltArtifact>();
  const byRegion = new Map<string, string[]>();
  for await (const child of mapRunChildren(event.builds, 'SUCCEEDED', deps.artifacts)) {
    const output: unknown = child.Output ? JSON.parse(child.Output) : undefined;
    if (!isSealed(output) || output.regions.length === 0) continue;
    sealedLayers.set(output.layer.layerName, output.layer);
    for (const region of output.regions) {
      const names = byRegion.get(region);
      if (names) names.push(output.layer.layerName);
      else byRegion.set(region, [output.layer.layerName]);
    }
  }
  const layers = [...sealedLayers.values()].sort((a, b) => a.layerName.localeCompare(b.layerName));
  const position = new Map(layers.map((layer, index) => [layer.layerName, index]));
  const regions: InlineRegionPublishes[] = [...byRegion.keys()].sort().map((region) => ({
    region,
    layers: byRegion.get(region)!.map((name) => position.get(name)!).sort((a, b) => a - b),
  }));
  const publishes = regions.reduce((sum, entry) => sum + entry.layers.length, 0);
  const inline: InlinePublishPlan = { inline: { layers, regions } };
  if (fitsInline(inline, deps.inlineBudget)) {
    deps.log?.(`planned ${publishes} publish(es) in ${regions.length} region(s), inline`);
    return inline;
  }
  const plan: PublishPlan = { regions: [] };
  for (const entry of regions) {
    const itemsKey = publishItemsKeyOf(event.runId, entry.region);
    await deps.artifacts.putText(itemsKey, JSON.stringify(entry.layers.map((index) => layers[index])), 'application/json');
    afterWrite('plan-publishes:items');
    plan.regions.push({ region: entry.region, itemsKey, layers: entry.layers.length });
  }
  deps.log?.(`planned ${publishes} publish(es) in ${plan.regions.length} region(s), one Distributed Map each`);
  return plan;
}
