import { log } from '../shared/log';
import { lambdaHandler } from '../shared/handler-runtime';
import type { ReportEvent, RunSummary } from '../shared/pipeline-events';
import { LayerStore } from '../store/layer-store';
import { report } from './report';

export function run(event: ReportEvent): Promise<RunSummary> {
  return report(event, { store: new LayerStore(), log });
}

export const handler = lambdaHandler(run);
