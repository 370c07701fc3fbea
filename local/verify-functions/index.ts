import { ArtifactStore } from '../../functions/aws/artifacts';
import type { HandlerRuntime } from '../../functions/shared/handler-runtime';
import { log } from '../../functions/shared/log';
import type { VerifyTargetEvent, VerifyTargetResult } from '../../functions/shared/pipeline-events';
import { hostEnvironment } from '../../functions/verify/environments';
import { verifyTarget } from '../../functions/verify/verify-target';

/** The Step Functions integration the Verify map uses to call the function Build named for each check. */
export const LAMBDA_INVOKE = 'arn:aws:states:::lambda:invoke';

/**
 * The local stand-in for every verify function: the same verification code, on this machine (a matching
 * python3.X, a Node.js of the target major from the npm registry, qemu-aarch64 for arm64), or "not verified" with
 * the reason. It answers in the lambda:invoke integration's shape, {StatusCode, Payload}, as Step Functions would.
 */
export async function run(
  input: { FunctionName: string; Payload: VerifyTargetEvent },
  runtime: HandlerRuntime,
): Promise<{ StatusCode: number; Payload: VerifyTargetResult }> {
  const cacheDir = runtime.cacheDir ?? runtime.tmpDir;
  const payload = await verifyTarget(input.Payload, {
    artifacts: ArtifactStore.fromEnvironment(),
    environmentOf: (check) => hostEnvironment(check, { cacheDir, log }),
    tmpDir: runtime.tmpDir,
    cacheDir,
    log,
  });
  return { StatusCode: 200, Payload: payload };
}
