import { ArtifactStore } from '../aws/artifacts';
import { log } from '../shared/log';
import { lambdaHandler } from '../shared/handler-runtime';
import type { InlinePublishPlan, PlanPublishesEvent, PublishPlan } from '../shared/pipeline-events';
import { INLINE_BUDGET, planPublishes } from './plan-publishes';

/**
 * LAMINA_INLINE_PUBLISHES (tests only; never set in a deployment) lowers the inline budget's publishes, so that a
 * test's small run takes the distributed path: the crash test's write point in it, the budget's boundary.
 */
function inlineBudget() {
  const publishes = process.env.LAMINA_INLINE_PUBLISHES;
  return publishes ? { ...INLINE_BUDGET, publishes: Number(publishes) } : INLINE_BUDGET;
}

export function run(event: PlanPublishesEvent): Promise<PublishPlan | InlinePublishPlan> {
  return planPublishes(event, { artifacts: ArtifactStore.fromEnvironment(), log, inlineBudget: inlineBudget() });
}

export const handler = lambdaHandler(run);
