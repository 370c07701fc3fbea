import * as path from 'node:path';
import type { Catalog } from '../../functions/catalog/catalog';
import { applyNotificationSettings } from '../aws-stand-ins';
import type { LocalServices } from '../services';
import { removeServeInfo, writeServeInfo } from './discovery';
import { startStepFunctionsApi, type StepFunctionsApi } from './index';
import { runnerBackend } from './runner-backend';

/**
 * The pipeline as a service, for `lamina serve`: the Step Functions API over the local runner on the catalog, with
 * the state folder's serve.json saying where it is.
 */
export async function startPipelineService(options: {
  stateDir: string;
  catalog: Catalog;
  services: LocalServices;
  port?: number;
  retryIntervalMs?: number;
}): Promise<{ api: StepFunctionsApi; close(): Promise<void> }> {
  await applyNotificationSettings(options.services.standIns, options.services.env.LAMINA_TOPIC_ARN, options.catalog.settings.notifications);
  const api = await startStepFunctionsApi({
    backend: runnerBackend({ stateDir: options.stateDir, catalogFile: options.catalog.file, retryIntervalMs: options.retryIntervalMs }),
    dataDir: path.join(options.stateDir, 'stepfunctions'),
    port: options.port,
  });
  await writeServeInfo(options.stateDir, { pid: process.pid, stepFunctions: api.url, stateMachineArn: api.stateMachineArn, env: options.services.env });
  return {
    api,
    close: async () => {
      await removeServeInfo(options.stateDir);
      await api.close();
    },
  };
}
