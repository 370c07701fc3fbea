import { log } from '../shared/log';
import { ArtifactStore } from '../aws/artifacts';
import { LayerApi } from '../aws/lambda-layers';
import { lambdaHandler } from '../shared/handler-runtime';
import type { PublishEvent } from '../shared/pipeline-events';
import { LayerStore } from '../store/layer-store';
import { publish } from './publish';
import { stagingConfigFromEnvironment } from './staging';
import type { RunOutcome } from '../../schema/table';

export function run(event: PublishEvent): Promise<RunOutcome> {
  return publish(event, {
    api: new LayerApi(event.region),
    store: new LayerStore(),
    artifacts: ArtifactStore.fromEnvironment(),
    staging: stagingConfigFromEnvironment(),
    log,
  });
}

export const handler = lambdaHandler(run);
