import { log } from '../shared/log';
import { ArtifactStore } from '../aws/artifacts';
import { lambdaHandler, type HandlerRuntime } from '../shared/handler-runtime';
import type { SealEvent, SealResult } from '../shared/pipeline-events';
import { LayerStore } from '../store/layer-store';
import { seal } from './seal';

export function run(event: SealEvent, runtime: HandlerRuntime): Promise<SealResult> {
  return seal(event, { store: new LayerStore(), artifacts: ArtifactStore.fromEnvironment(), tmpDir: runtime.tmpDir, log });
}

export const handler = lambdaHandler(run);
