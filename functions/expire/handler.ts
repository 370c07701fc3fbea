import { log } from '../shared/log';
import { LayerApi } from '../aws/lambda-layers';
import { lambdaHandler } from '../shared/handler-runtime';
import { LayerStore } from '../store/layer-store';
import { expire } from './expire';

export function run(): ReturnType<typeof expire> {
  return expire({ store: new LayerStore(), apiFor: (region) => new LayerApi(region), log });
}

export const handler = lambdaHandler(run);
