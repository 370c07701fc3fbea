import { log } from '../shared/log';
import { LayerApi } from '../aws/lambda-layers';
import { lambdaHandler } from '../shared/handler-runtime';
import { LayerStore } from '../store/layer-store';
import { expire, type ExpireProgress } from './expire';
import { noticeDeps } from '../notices/environment';
import { afterExpire } from '../notices/pipeline-notices';

/** The state machine passes the previous invocation's progress (counts and cursor) and loops until `done`. */
export async function run(event: { previous?: Partial<ExpireProgress> } | undefined): Promise<ExpireProgress> {
  const { expired, ...progress } = await expire(event?.previous, {
    store: new LayerStore(),
    apiFor: (region) => new LayerApi(region),
    log,
    // Shorter budgets make each invocation stop after a page (tests of the state machine's Expire loop).
    budgetMs: Number(process.env.LAMINA_EXPIRE_BUDGET_MS) || undefined,
  });
  // Deletions announced, lookups of layers gone removed, reminders of coming deletions (functions/notices); the
  // versions this invocation deleted stay here: the state carries only counts.
  await afterExpire({ expired }, await noticeDeps());
  return progress;
}

export const handler = lambdaHandler(run);
