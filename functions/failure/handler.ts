import { lambdaHandler } from '../shared/handler-runtime';
import { log } from '../shared/log';
import type { FailureEvent } from '../shared/pipeline-events';
import { LayerStore } from '../store/layer-store';
import { recordFailure } from './failure';
import type { RunOutcome } from '../../schema/table';

export async function run(event: FailureEvent): Promise<RunOutcome> {
  const outcome = await recordFailure(event, new LayerStore());
  log(`${outcome.layerName}${outcome.region ? ` ${outcome.region}` : ''} failed: ${outcome.reason}: ${outcome.detail}`);
  return outcome;
}

export const handler = lambdaHandler(run);
