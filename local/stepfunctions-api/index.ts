import * as path from 'node:path';
import { promises as fs } from 'node:fs';
import { AwsServiceError, readState, startJsonService, writeState, type JsonService } from '../aws-protocol/json-service';
import { Journal } from '../state-folder/journal';
import type { ExecutionBackend, ExecutionRecordView, HistoryEventRecord } from './backend';
import { historyEventShape } from './history-shapes';

export type { ExecutionBackend, ExecutionRecordView } from './backend';

/**
 * The subset of the Step Functions API that `lamina start/runs/status/stop` and `aws stepfunctions` use:
 * StartExecution, DescribeExecution, ListExecutions, GetExecutionHistory, StopExecution, on AWS's JSON 1.0
 * protocol (`X-Amz-Target: AWSStepFunctions.<Op>`) with its shapes, limits and errors, over the local engine.
 * Executions that have stopped are kept in the state folder, so `lamina runs` lists them after a restart: each one's
 * history in a file of its own, the index of them as a snapshot (`executions.json`) plus a journal keyed by execution
 * ARN (`../state-folder/journal.ts`), so an execution's end writes its own entry, not the index.
 */

const MAX_INPUT_BYTES = 262_144;
/** How long StopExecution waits for the execution to settle before it answers. */
const STOP_WAIT_MS = 30_000;
/** Names: 1-80 characters, none of whitespace, brackets, wildcards, `"#%\^|~`$&,;:/` or control characters. */
const NAME = /^[^\s<>{}[\]?*"#%\\^|~`$&,;:/\u0000-\u001f\u007f-\u009f]{1,80}$/;
const STATE_MACHINE_ARN = /^arn:aws[a-z-]*:states:[a-z0-9-]+:\d{12}:stateMachine:[A-Za-z0-9_-]{1,80}$/;
const EXECUTION_ARN = /^arn:aws[a-z-]*:states:[a-z0-9-]+:\d{12}:execution:([A-Za-z0-9_-]{1,80}):(.{1,80})$/;
const STATUSES = ['RUNNING', 'SUCCEEDED', 'FAILED', 'TIMED_OUT', 'ABORTED', 'PENDING_REDRIVE'];

interface StoredExecution extends Omit<ExecutionRecordView, 'startDate' | 'stopDate' | 'done' | 'history'> {
  startDate: string;
  stopDate?: string;
  inputText: string;
}

export interface StepFunctionsApi extends JsonService {
  stateMachineArn: string;
  /** Settles when every execution this process started has stopped (and is written down). */
  idle(): Promise<void>;
}

const invalidArn = (message: string) => new AwsServiceError('InvalidArn', message);

function checkStateMachineArn(value: unknown): string {
  if (typeof value !== 'string' || !STATE_MACHINE_ARN.test(value)) throw invalidArn(`Invalid Arn: 'Resource type not valid in this context: ${String(value)}'`);
  return value;
}

function checkExecutionArn(value: unknown): string {
  if (typeof value !== 'string' || !EXECUTION_ARN.test(value)) throw invalidArn(`Invalid Arn: 'Resource type not valid in this context: ${String(value)}'`);
  return value;
}

/** Paging tokens: an offset, signed by nothing but checked for shape (AWS answers InvalidToken for a bad one). */
const encodeToken = (offset: number, scope: string) => Buffer.from(JSON.stringify({ offset, scope })).toString('base64url');
function decodeToken(token: unknown, scope: string): number {
  if (token === undefined || token === null) return 0;
  try {
    const parsed = JSON.parse(Buffer.from(String(token), 'base64url').toString('utf8')) as { offset: number; scope: string };
    if (parsed.scope === scope && Number.isInteger(parsed.offset) && parsed.offset >= 0) return parsed.offset;
  } catch {
    // fall through
  }
  throw new AwsServiceError('InvalidToken', `Invalid Token: '${String(token)}'`);
}

function maxResultsOf(value: unknown, fallback: number): number {
  if (value === undefined || value === null || value === 0) return fallback;
  if (!Number.isInteger(value) || (value as number) < 0 || (value as number) > 1000) {
    throw new AwsServiceError('ValidationException', `1 validation error detected: Value '${String(value)}' at 'maxResults' failed to satisfy constraint: Member must have value less than or equal to 1000`);
  }
  return value as number;
}

export async function startStepFunctionsApi(options: { backend: ExecutionBackend; dataDir: string; port?: number }): Promise<StepFunctionsApi> {
  const { backend } = options;
  const indexFile = path.join(options.dataDir, 'executions.json');
  const historyFile = (name: string) => path.join(options.dataDir, 'history', `${Buffer.from(name).toString('base64url')}.json`);
  const stored: Record<string, StoredExecution> = {};
  const index = await Journal.open<StoredExecution>(
    indexFile,
    {
      load: (snapshot) => {
        if (typeof snapshot !== 'object' || snapshot === null || Array.isArray(snapshot)) {
          throw new Error(`Step Functions stand-in state file ${indexFile} has an unknown format (expected {executionArn: execution}); delete it to start over.`);
        }
        Object.assign(stored, snapshot);
      },
      apply: (executionArn, execution) => {
        if (execution) stored[executionArn] = execution;
        else delete stored[executionArn];
      },
      snapshot: () => stored,
    },
    { label: 'Step Functions stand-in state file' },
  );
  const live = new Map<string, { record: ExecutionRecordView; inputText: string }>();
  const pending = new Set<Promise<unknown>>();
  const roleArn = backend.stateMachineArn.replace(/:states:([a-z0-9-]+):(\d{12}):stateMachine:.*/, ':iam::$2:role/lamina-local-pipeline');

  const snapshot = (record: ExecutionRecordView, inputText: string): StoredExecution => ({
    executionArn: record.executionArn,
    name: record.name,
    stateMachineArn: record.stateMachineArn,
    status: record.status,
    startDate: record.startDate.toISOString(),
    stopDate: record.stopDate?.toISOString(),
    input: record.input,
    inputText,
    output: record.output,
    error: record.error,
    cause: record.cause,
  });

  /** An execution by ARN: live (this process) or stored (an earlier one). */
  function find(executionArn: string): { view: StoredExecution; record?: ExecutionRecordView } {
    const running = live.get(executionArn);
    if (running) return { view: snapshot(running.record, running.inputText), record: running.record };
    const view = stored[executionArn];
    if (!view) throw new AwsServiceError('ExecutionDoesNotExist', `Execution Does Not Exist: '${executionArn}'`);
    return { view };
  }

  async function historyOf(executionArn: string): Promise<readonly HistoryEventRecord[]> {
    const running = live.get(executionArn);
    if (running) return running.record.history.events;
    const events = await readState<(Omit<HistoryEventRecord, 'timestamp'> & { timestamp: string })[]>(historyFile(stored[executionArn].name), []);
    return events.map((event) => ({ ...event, timestamp: new Date(event.timestamp) }));
  }

  function checkOwnStateMachine(arn: string): void {
    if (arn !== backend.stateMachineArn) throw new AwsServiceError('StateMachineDoesNotExist', `State Machine Does Not Exist: '${arn}'`);
  }

  const service = await startJsonService({
    targetPrefix: 'AWSStepFunctions',
    version: '1.0',
    defaultRegion: backend.stateMachineArn.split(':')[3],
    port: options.port,
    operations: {
      StartExecution(input) {
        const stateMachineArn = checkStateMachineArn(input.stateMachineArn);
        checkOwnStateMachine(stateMachineArn);
        const inputText: string = input.input ?? '{}';
        if (typeof inputText !== 'string' || Buffer.byteLength(inputText) > MAX_INPUT_BYTES) {
          throw new AwsServiceError('InvalidExecutionInput', `Invalid State Machine Execution Input: 'The input is over ${MAX_INPUT_BYTES} bytes'`);
        }
        let parsed: unknown;
        try {
          parsed = JSON.parse(inputText);
        } catch (error) {
          throw new AwsServiceError('InvalidExecutionInput', `Invalid State Machine Execution Input: '${(error as Error).message}'`);
        }
        const name: string = input.name ?? `${new Date().toISOString().replace(/[:.]/g, '-')}-${Math.random().toString(36).slice(2, 10)}`;
        if (typeof name !== 'string' || !NAME.test(name)) throw new AwsServiceError('InvalidName', `Invalid Name: '${name}'`);
        const executionArn = stateMachineArn.replace(':stateMachine:', ':execution:') + `:${name}`;
        const open = live.get(executionArn);
        // Same name and input while it runs: the same answer (idempotent). Otherwise the name is taken for 90 days.
        if (open && open.record.status === 'RUNNING' && open.inputText === inputText) return { executionArn, startDate: open.record.startDate.getTime() / 1000 };
        if (open || stored[executionArn]) throw new AwsServiceError('ExecutionAlreadyExists', `Execution Already Exists: '${executionArn}'`);
        if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed)) {
          throw new AwsServiceError('InvalidExecutionInput', "Invalid State Machine Execution Input: 'lamina's pipeline takes a JSON object: {only?, regions?, force?}'");
        }
        const record = backend.start(parsed as Record<string, unknown>, name);
        live.set(record.executionArn, { record, inputText });
        const finished = record.done.then(async () => {
          stored[record.executionArn] = snapshot(record, inputText);
          // The history first: an execution in the index always has its history.
          await writeState(historyFile(record.name), record.history.events);
          await index.record(record.executionArn, stored[record.executionArn]);
          live.delete(record.executionArn);
        }).catch(() => undefined);
        pending.add(finished);
        void finished.finally(() => pending.delete(finished));
        return { executionArn: record.executionArn, startDate: record.startDate.getTime() / 1000 };
      },
      DescribeExecution(input) {
        const { view } = find(checkExecutionArn(input.executionArn));
        return {
          executionArn: view.executionArn,
          stateMachineArn: view.stateMachineArn,
          name: view.name,
          status: view.status,
          startDate: new Date(view.startDate).getTime() / 1000,
          stopDate: view.stopDate ? new Date(view.stopDate).getTime() / 1000 : undefined,
          input: view.inputText,
          inputDetails: { included: true },
          output: view.status === 'SUCCEEDED' ? JSON.stringify(view.output ?? null) : undefined,
          outputDetails: view.status === 'SUCCEEDED' ? { included: true } : undefined,
          error: view.error,
          cause: view.cause,
          redriveCount: 0,
          redriveStatus: 'NOT_REDRIVABLE',
        };
      },
      ListExecutions(input) {
        const stateMachineArn = checkStateMachineArn(input.stateMachineArn);
        checkOwnStateMachine(stateMachineArn);
        if (input.statusFilter !== undefined && !STATUSES.includes(input.statusFilter)) {
          throw new AwsServiceError('ValidationException', `1 validation error detected: Value '${input.statusFilter}' at 'statusFilter' failed to satisfy constraint: Member must satisfy enum value set: [${STATUSES.join(', ')}]`);
        }
        const all = new Map<string, StoredExecution>(Object.entries(stored));
        for (const [arn, { record, inputText }] of live) all.set(arn, snapshot(record, inputText));
        const executions = [...all.values()]
          .filter((execution) => !input.statusFilter || execution.status === input.statusFilter)
          .sort((a, b) => b.startDate.localeCompare(a.startDate) || b.name.localeCompare(a.name));
        const scope = `list:${stateMachineArn}:${input.statusFilter ?? ''}`;
        const start = decodeToken(input.nextToken, scope);
        const max = maxResultsOf(input.maxResults, 100);
        return {
          executions: executions.slice(start, start + max).map((execution) => ({
            executionArn: execution.executionArn,
            stateMachineArn: execution.stateMachineArn,
            name: execution.name,
            status: execution.status,
            startDate: new Date(execution.startDate).getTime() / 1000,
            stopDate: execution.stopDate ? new Date(execution.stopDate).getTime() / 1000 : undefined,
          })),
          nextToken: start + max < executions.length ? encodeToken(start + max, scope) : undefined,
        };
      },
      async GetExecutionHistory(input) {
        const executionArn = checkExecutionArn(input.executionArn);
        const { view } = find(executionArn);
        const events = [...(await historyOf(executionArn))];
        if (input.reverseOrder === true) events.reverse();
        const scope = `history:${executionArn}:${input.reverseOrder === true}`;
        const start = decodeToken(input.nextToken, scope);
        const max = maxResultsOf(input.maxResults, 100);
        const page = events.slice(start, start + max).map((event) => historyEventShape(event, view, input.includeExecutionData !== false, roleArn));
        return { events: page, nextToken: start + max < events.length ? encodeToken(start + max, scope) : undefined };
      },
      async StopExecution(input) {
        const executionArn = checkExecutionArn(input.executionArn);
        const { view, record } = find(executionArn);
        if (typeof input.error === 'string' && input.error.length > 256) throw new AwsServiceError('ValidationException', "1 validation error detected: Value at 'error' failed to satisfy constraint: Member must have length less than or equal to 256");
        if (record && record.status === 'RUNNING') {
          backend.stop(record, input.error, input.cause);
          // The engine stops at the next state; a task under way finishes first (as a Lambda invocation does).
          await Promise.race([record.done, new Promise((resolve) => setTimeout(resolve, STOP_WAIT_MS).unref())]);
          return { stopDate: (record.stopDate ?? new Date()).getTime() / 1000 };
        }
        // Stopping an execution that has already stopped changes nothing.
        return { stopDate: new Date(view.stopDate ?? view.startDate).getTime() / 1000 };
      },
    },
  });
  await fs.mkdir(options.dataDir, { recursive: true });
  return {
    ...service,
    stateMachineArn: backend.stateMachineArn,
    idle: async () => {
      while (pending.size > 0) await Promise.all([...pending]);
      await index.flush();
    },
    close: async () => {
      await service.close();
      for (const { record } of live.values()) if (record.status === 'RUNNING') backend.stop(record, 'States.Aborted', 'lamina serve stopped');
      while (pending.size > 0) await Promise.all([...pending]);
      await index.close();
    },
  };
}
