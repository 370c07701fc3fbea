import type { LayerTarget } from '../layers/kind';
import type { VerifyCheck } from '../shared/pipeline-events';
import type { BuildItem, LayerItem } from '../../schema/table';
import { verifyTargetsOf } from './verify';

/** `python3.12/arm64`: how a verify function is named in LAMINA_VERIFY_FUNCTIONS and in CDK. */
export function verifyFunctionKey(runtime: string, architecture: string): string {
  return `${runtime}/${architecture}`;
}

/** The build record Build leaves for Seal (Seal adds the verified zip's digest and the verifications). */
export interface PendingBuild {
  layer: Omit<LayerItem, 'pk' | 'sk' | 'type'>;
  build: Omit<BuildItem, 'pk' | 'sk' | 'type'>;
}

/** Where Build leaves a layer's pending build record for Seal. */
export function pendingKeyOf(runId: string, layerName: string): string {
  return `runs/${runId}/builds/${layerName}.json`;
}

/** Where a verify function leaves what it added to a layer (Python bytecode). */
export function changesKeyOf(runId: string, layerName: string, runtime: string, architecture: string): string {
  return `runs/${runId}/verify/${layerName}/${runtime}-${architecture}.zip`;
}

/**
 * What Verify proves a target on, each with its function: the deployed one (CDK made one per runtime × architecture
 * the catalog uses, and names them in LAMINA_VERIFY_FUNCTIONS) or, locally, a name the local runner dispatches on.
 */
export function verifyChecksOf(runId: string, target: LayerTarget, functions?: Record<string, string>): VerifyCheck[] {
  return verifyTargetsOf(target).map(({ runtime, architecture }) => {
    const key = verifyFunctionKey(runtime, architecture);
    const deployed = functions?.[key];
    if (functions && !deployed) {
      throw new Error(
        `no verify function for ${key} is deployed (there are: ${Object.keys(functions).join(', ') || 'none'}); deploy again with this catalog (npx cdk deploy), which creates one per runtime × architecture it uses`,
      );
    }
    return { runtime, architecture, functionName: deployed ?? `lamina-verify-${runtime.replace(/\./g, '-')}-${architecture}`, changesKey: changesKeyOf(runId, target.layerName, runtime, architecture) };
  });
}

/** LAMINA_VERIFY_FUNCTIONS, when set (deployed): JSON `{"python3.12/arm64": "<function ARN>", ...}`. */
export function deployedVerifyFunctions(env: NodeJS.ProcessEnv = process.env): Record<string, string> | undefined {
  return env.LAMINA_VERIFY_FUNCTIONS ? (JSON.parse(env.LAMINA_VERIFY_FUNCTIONS) as Record<string, string>) : undefined;
}
