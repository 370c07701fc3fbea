import { log } from '../shared/log';
import { ArtifactStore } from '../aws/artifacts';
import { LayerApi } from '../aws/lambda-layers';
import { publishBurst, publishRate } from '../regions/control-plane';
import { lambdaHandler } from '../shared/handler-runtime';
import type { PublishEvent } from '../shared/pipeline-events';
import { LayerStore } from '../store/layer-store';
import { failureKindOf, RegionUnhealthyError } from '../regions/health';
import { publishRegion } from './publish';
import { stagingConfigFromEnvironment } from './staging';
import type { RunOutcome } from '../../schema/table';
import { noticeDeps } from '../notices/environment';
import { afterPublish } from '../notices/pipeline-notices';

export async function run(event: PublishEvent): Promise<RunOutcome> {
  const store = new LayerStore();
  // A region that is unhealthy (or was denied) is tried once, not with every retry: functions/regions/health.ts.
  // Plan read every region's health at the start of the run and names those (nothing writes health until Report).
  const held = event.settings.suspectRegions?.includes(event.region) ?? false;
  const { outcome, record } = await publishRegion(event, {
    // Up to PUBLISHES_PER_REGION publishes share the region's control-plane quota at once.
    api: held ? LayerApi.singleAttempt(event.region, publishRate(), publishBurst()) : new LayerApi(event.region, undefined, publishRate(), publishBurst()),
    store,
    artifacts: ArtifactStore.fromEnvironment(),
    staging: stagingConfigFromEnvironment(),
    log,
  }).catch((error: unknown) => {
    throw held && failureKindOf((error as Error).name) === 'service' ? new RegionUnhealthyError(event.region, error) : error;
  });
  // The SSM lookup and the EventBridge events of this region (functions/notices).
  await afterPublish(event, outcome, await noticeDeps(), record);
  return outcome;
}

export const handler = lambdaHandler(run);
