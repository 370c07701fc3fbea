import { log } from '../shared/log';
import { LayerApi } from '../aws/lambda-layers';
import { lambdaHandler } from '../shared/handler-runtime';
import { LayerStore } from '../store/layer-store';
import { expire } from './expire';
import { noticeDeps } from '../notices/environment';
import { afterExpire } from '../notices/pipeline-notices';

export async function run(): ReturnType<typeof expire> {
  const result = await expire({ store: new LayerStore(), apiFor: (region) => new LayerApi(region), log });
  // Deletions announced, lookups of layers gone removed, reminders of coming deletions (functions/notices).
  await afterExpire(result, await noticeDeps());
  return result;
}

export const handler = lambdaHandler(run);
