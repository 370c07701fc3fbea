import { log } from '../shared/log';
import { ArtifactStore } from '../aws/artifacts';
import { lambdaHandler, type HandlerRuntime } from '../shared/handler-runtime';
import type { BuildEvent, BuildResult } from '../shared/pipeline-events';
import { LayerStore } from '../store/layer-store';
import { build } from './build';
import { deployedVerifyFunctions } from '../verify/checks';

export function run(event: BuildEvent, runtime: HandlerRuntime): Promise<BuildResult> {
  return build(event, {
    store: new LayerStore(),
    artifacts: ArtifactStore.fromEnvironment(),
    tmpDir: runtime.tmpDir,
    cacheDir: runtime.cacheDir,
    log,
    verifyFunctions: deployedVerifyFunctions(),
  });
}

export const handler = lambdaHandler(run);
