import type { RunRequest } from '../../functions/shared/pipeline-events';
import { LOCAL_ACCOUNT, runLocalPipeline, type LocalRunOptions } from '../runner';
import type { ExecutionBackend, ExecutionRecordView, HistoryEventRecord } from './backend';

export const LOCAL_STATE_MACHINE_NAME = 'lamina-pipeline';
export const localStateMachineArn = (region = 'us-east-1') => `arn:aws:states:${region}:${LOCAL_ACCOUNT}:stateMachine:${LOCAL_STATE_MACHINE_NAME}`;

/**
 * The local runner as the API's backend: each StartExecution is one `runLocalPipeline` with the execution's name as
 * the run id. Until the runner hands out its engine's execution records, the history is written here from the
 * runner's task callbacks, with the events Step Functions records for a Lambda task (entered, scheduled, started,
 * succeeded or failed, exited). A stopped execution ends ABORTED at once; its tasks already under way finish in the
 * background and record what they did, as Lambda invocations do after StopExecution.
 */
export function runnerBackend(options: Omit<LocalRunOptions, 'onTask'>): ExecutionBackend {
  const stateMachineArn = localStateMachineArn();
  return {
    stateMachineArn,
    start(input, name) {
      const events: HistoryEventRecord[] = [];
      const add = (type: string, details?: HistoryEventRecord['details']) => {
        if (record.status !== 'RUNNING' && !type.startsWith('Execution')) return;
        events.push({ id: events.length + 1, previousEventId: events.length, type, timestamp: new Date(), ...(details ? { details } : {}) });
      };
      let settle!: () => void;
      const record: ExecutionRecordView = {
        executionArn: `${stateMachineArn.replace(':stateMachine:', ':execution:')}:${name}`,
        name,
        stateMachineArn,
        status: 'RUNNING',
        startDate: new Date(),
        input,
        history: { events },
        done: new Promise<void>((resolve) => (settle = resolve)),
      };
      add('ExecutionStarted', { input });
      const onTask: LocalRunOptions['onTask'] = (state, taskInput, outcome) => {
        const resource = `arn:aws:lambda:us-east-1:${LOCAL_ACCOUNT}:function:lamina-${state.toLowerCase()}`;
        add('TaskStateEntered', { name: state, input: taskInput });
        add('TaskScheduled', { name: state, resource, input: taskInput });
        add('TaskStarted', { name: state, resource });
        if (outcome.ok) {
          add('TaskSucceeded', { name: state, resource, output: outcome.output });
          add('TaskStateExited', { name: state, output: outcome.output });
        } else {
          add('TaskFailed', { name: state, resource, error: outcome.error.name, cause: outcome.error.message });
        }
      };
      runLocalPipeline({ ...(input as RunRequest), runId: name }, { ...options, onTask }).then(
        (result) => {
          if (record.status !== 'RUNNING') return;
          record.output = { summary: result.summary, expire: result.expire };
          record.status = 'SUCCEEDED';
          record.stopDate = new Date();
          add('ExecutionSucceeded', { output: record.output });
        },
        (error: Error) => {
          if (record.status !== 'RUNNING') return;
          record.status = 'FAILED';
          record.error = error.name === 'PipelineFailedError' || error.name === 'Error' ? 'States.TaskFailed' : error.name;
          record.cause = error.message;
          record.stopDate = new Date();
          add('ExecutionFailed', { error: record.error, cause: record.cause });
        },
      ).finally(() => settle());
      return record;
    },
    stop(record, error, cause) {
      record.status = 'ABORTED';
      record.error = error;
      record.cause = cause;
      record.stopDate = new Date();
      record.history.events.push({
        id: record.history.events.length + 1,
        previousEventId: record.history.events.length,
        type: 'ExecutionAborted',
        timestamp: record.stopDate,
        ...(error || cause ? { details: { error, cause } } : {}),
      });
    },
  };
}
