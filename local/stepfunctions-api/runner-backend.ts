import type { RunRequest } from '../../functions/shared/pipeline-events';
import { LOCAL_ACCOUNT, LOCAL_STATE_MACHINE, startLocalPipeline, type LocalRunOptions } from '../runner';
import type { LocalStepFunctions } from '../step-functions/engine';
import type { ExecutionBackend } from './backend';

export const localStateMachineArn = (region = 'us-east-1') => `arn:aws:states:${region}:${LOCAL_ACCOUNT}:stateMachine:${LOCAL_STATE_MACHINE}`;

/**
 * The local runner as the API's backend: each StartExecution is one run of the pipeline on the local Step
 * Functions engine (local/step-functions/), named after the execution, whose execution record (status, output,
 * history counted as AWS counts it) the API serves as it is.
 */
export function runnerBackend(options: LocalRunOptions): ExecutionBackend {
  const engines = new Map<string, LocalStepFunctions>();
  return {
    stateMachineArn: localStateMachineArn(),
    start(input, name) {
      const run = startLocalPipeline({ ...(input as RunRequest), runId: name }, options);
      // The record says how it ended; the result's rejection (a failed run) is not this caller's to handle.
      run.result.catch(() => undefined);
      engines.set(run.execution.executionArn, run.engine);
      void run.execution.done.finally(() => engines.delete(run.execution.executionArn));
      return run.execution;
    },
    stop(record, error, cause) {
      engines.get(record.executionArn)?.stopExecution(record.executionArn, error, cause);
    },
  };
}
