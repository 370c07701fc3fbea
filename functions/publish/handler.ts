import { log } from '../shared/log';
import { ArtifactStore } from '../aws/artifacts';
import { LayerApi } from '../aws/lambda-layers';
import { publishRate } from '../regions/control-plane';
import { lambdaHandler } from '../shared/handler-runtime';
import type { PublishEvent } from '../shared/pipeline-events';
import { LayerStore } from '../store/layer-store';
import { publish } from './publish';
import { stagingConfigFromEnvironment } from './staging';
import type { RunOutcome } from '../../schema/table';
import { noticeDeps } from '../notices/environment';
import { afterPublish } from '../notices/pipeline-notices';

export async function run(event: PublishEvent): Promise<RunOutcome> {
  const outcome = await publish(event, {
    // Up to PUBLISHES_PER_REGION publishes share the region's control-plane quota at once.
    api: new LayerApi(event.region, undefined, publishRate()),
    store: new LayerStore(),
    artifacts: ArtifactStore.fromEnvironment(),
    staging: stagingConfigFromEnvironment(),
    log,
  });
  // The SSM lookup and the EventBridge events of this region (functions/notices).
  await afterPublish(event, outcome, await noticeDeps());
  return outcome;
}

export const handler = lambdaHandler(run);
