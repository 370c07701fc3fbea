import { SFNClient, StartExecutionCommand } from '@aws-sdk/client-sfn';
import * as path from 'node:path';
import { LocalSchedule, type Clock } from '../schedule';
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
  /** The schedule's clock (tests move it by hand). */
  clock?: Clock;
}): Promise<{ api: StepFunctionsApi; schedule: LocalSchedule; close(): Promise<void> }> {
  await applyNotificationSettings(options.services.standIns, options.services.env.LAMINA_TOPIC_ARN, options.catalog.settings.notifications);
  const api = await startStepFunctionsApi({
    backend: runnerBackend({ stateDir: options.stateDir, catalogFile: options.catalog.file, retryIntervalMs: options.retryIntervalMs }),
    dataDir: path.join(options.stateDir, 'stepfunctions'),
    port: options.port,
  });
  await writeServeInfo(options.stateDir, { pid: process.pid, stepFunctions: api.url, stateMachineArn: api.stateMachineArn, env: options.services.env });
  // The schedule starts runs as the deployed EventBridge rule does: StartExecution with {} through the API.
  const sfn = new SFNClient({ endpoint: api.url, region: api.stateMachineArn.split(':')[3], credentials: { accessKeyId: 'lamina-local', secretAccessKey: 'lamina-local' } });
  const schedule = new LocalSchedule(
    options.catalog.settings.schedule,
    async (time) => {
      await sfn.send(new StartExecutionCommand({ stateMachineArn: api.stateMachineArn, name: `scheduled-${time.toISOString().replace(/[:.]/g, '-')}`, input: '{}' }));
    },
    options.clock,
    (error) => console.error(`lamina serve: the scheduled run could not start: ${(error as Error).message}`),
  );
  schedule.start();
  return {
    api,
    schedule,
    close: async () => {
      await schedule.stop();
      sfn.destroy();
      await removeServeInfo(options.stateDir);
      await api.close();
    },
  };
}
