import { ArtifactStore } from '../aws/artifacts';
import { log } from '../shared/log';
import { lambdaHandler } from '../shared/handler-runtime';
import type { PlanPublishesEvent, PublishPlan } from '../shared/pipeline-events';
import { planPublishes } from './plan-publishes';

export function run(event: PlanPublishesEvent): Promise<PublishPlan> {
  return planPublishes(event, { artifacts: ArtifactStore.fromEnvironment(), log });
}

export const handler = lambdaHandler(run);
