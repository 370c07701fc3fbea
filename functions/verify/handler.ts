import { log } from '../shared/log';
import { ArtifactStore } from '../aws/artifacts';
import { lambdaHandler, type HandlerRuntime } from '../shared/handler-runtime';
import type { VerifyTargetEvent, VerifyTargetResult } from '../shared/pipeline-events';
import { nativeEnvironment } from './environments';
import { verifyTarget } from './verify-target';

/**
 * A Node.js verify function (one per nodejsN.x / provided runtime × architecture, created by CDK): the function
 * itself is the target environment. Python targets have their own, standard-library Python verify functions
 * (python/verify_layer.py).
 */
export function run(event: VerifyTargetEvent, runtime: HandlerRuntime): Promise<VerifyTargetResult> {
  return verifyTarget(event, {
    artifacts: ArtifactStore.fromEnvironment(),
    environmentOf: async (check) => nativeEnvironment(check),
    tmpDir: runtime.tmpDir,
    cacheDir: runtime.cacheDir,
    log,
  });
}

export const handler = lambdaHandler(run);
