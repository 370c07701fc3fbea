import type { ArtifactStore } from '../aws/artifacts';
import { mapRunChildren } from '../report/run-records';
import { afterWrite } from '../shared/crash-points';
import type { BuiltArtifact, PlanPublishesEvent, PublishPlan, SealResult } from '../shared/pipeline-events';

export interface PlanPublishesDeps {
  /** Where the Builds map's results are, and where each region's items go. */
  artifacts: Pick<ArtifactStore, 'getText' | 'putText'>;
  log?: (message: string) => void;
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
 * (its succeeded children; a failed build recorded its own outcome and publishes nowhere) and writes, per region,
 * the layers to publish there (each region's map reads its array with an ItemReader, so no state carries them).
 * What it returns is one small entry per region with anything to publish, in region order; each region's layers
 * are in name order.
 */
export async function planPublishes(event: PlanPublishesEvent, deps: PlanPublishesDeps): Promise<PublishPlan> {
  const byRegion = new Map<string, BuiltArtifact[]>();
  for await (const child of mapRunChildren(event.builds, 'SUCCEEDED', deps.artifacts)) {
    const output: unknown = child.Output ? JSON.parse(child.Output) : undefined;
    if (!isSealed(output)) continue;
    for (const region of output.regions) {
      const layers = byRegion.get(region) ?? [];
      layers.push(output.layer);
      byRegion.set(region, layers);
    }
  }
  const plan: PublishPlan = { regions: [] };
  for (const region of [...byRegion.keys()].sort()) {
    const layers = byRegion.get(region)!.sort((a, b) => a.layerName.localeCompare(b.layerName));
    const itemsKey = publishItemsKeyOf(event.runId, region);
    await deps.artifacts.putText(itemsKey, JSON.stringify(layers), 'application/json');
    afterWrite('plan-publishes:items');
    plan.regions.push({ region, itemsKey, layers: layers.length });
  }
  const publishes = plan.regions.reduce((sum, entry) => sum + entry.layers, 0);
  deps.log?.(`planned ${publishes} publish(es) in ${plan.regions.length} region(s)`);
  return plan;
}
