import '../polyfills';
import { StateMachine } from 'aws-local-stepfunctions';
import { randomUUID } from 'node:crypto';
import { setMaxListeners } from 'node:events';
import { applyTemplate, effectiveInput, queryPath, stateOutput, type ContextObject, type DataFlowFields } from './data-flow';
import { checkPayload, errorMatches, StatesError } from './errors';
import { ExecutionHistory, HistoryLimitExceeded, type HistoryEventType } from './history';
import { RetryPolicy, type Retrier } from './retry';

/** A state of an Amazon States Language definition (JSONPath). */
export interface AslState extends DataFlowFields {
  Type: string;
  Next?: string;
  End?: boolean;
  Resource?: string;
  Retry?: Retrier[];
  Catch?: { ErrorEquals: string[]; Next: string; ResultPath?: string | null }[];
  TimeoutSeconds?: number;
  [field: string]: unknown;
}
export interface AslMachine {
  StartAt: string;
  States: Record<string, AslState>;
  Comment?: string;
  ProcessorConfig?: { Mode?: 'INLINE' | 'DISTRIBUTED'; ExecutionType?: 'STANDARD' | 'EXPRESS' };
}

export type ExecutionStatus = 'RUNNING' | 'SUCCEEDED' | 'FAILED' | 'ABORTED';

/** One execution as DescribeExecution tells it, with its history. */
export interface ExecutionRecord {
  executionArn: string;
  name: string;
  stateMachineArn: string;
  /** For a Distributed Map's child execution: its Map Run and the execution that started it. */
  mapRunArn?: string;
  parentExecutionArn?: string;
  status: ExecutionStatus;
  startDate: Date;
  stopDate?: Date;
  input: unknown;
  output?: unknown;
  error?: string;
  cause?: string;
  history: ExecutionHistory;
  /** Settles when the execution has stopped, however it ended. */
  done: Promise<ExecutionRecord>;
}

export interface EngineOptions {
  /**
   * Runs a Task state's Resource (a Lambda function ARN) on the task's effective input. A rejection's `name` is
   * the error Step Functions matches in Retry and Catch, its `message` the Cause.
   */
  invokeTask: (resource: string, input: unknown, task: { stateName: string; execution: ExecutionRecord }) => Promise<unknown>;
  /** The S3 an ItemReader reads items from and a ResultWriter writes results to. */
  s3: { getObject(bucket: string, key: string): Promise<string>; putObject(bucket: string, key: string, body: string): Promise<void> };
  region?: string;
  account?: string;
  /** Fixed pause between retries instead of the definition's backoff (tests keep it short). */
  retryIntervalMs?: number;
  /** Told about every execution this engine starts: the parent, and each child of a Distributed Map. */
  onExecution?: (execution: ExecutionRecord) => void;
}

/** An inline Map runs at most 40 iterations at once, whatever its MaxConcurrency says. */
export const INLINE_MAP_MAX_CONCURRENCY = 40;
/** A Distributed Map's child executions at once when MaxConcurrency is 0 or absent (AWS: up to 10,000). */
export const DISTRIBUTED_MAP_MAX_CONCURRENCY = 10_000;
/** The only ItemReader lamina's definition uses: a JSON array in one S3 object. */
const S3_GET_OBJECT = 'arn:aws:states:::s3:getObject';
/** Rewritten states run as Task states the library hands to us; it must not time them out itself. */
const UNLIMITED_SECONDS = 2_000_000;
const LOCAL_RESOURCE = 'arn:aws:states:::lamina:local-state';

interface Scope {
  execution: ExecutionRecord;
  context: ContextObject;
  signal: AbortSignal;
}

interface Prepared {
  definition: AslMachine;
  /** States the engine runs itself (Task, Pass, Map), by name; the library runs Choice, Wait, Succeed, Fail. */
  own: Map<string, AslState>;
}

const prepared = new WeakMap<AslMachine, Prepared>();

/**
 * The definition as aws-local-stepfunctions runs it: every Task, Pass and Map state becomes a Task whose local
 * handler is this engine (so that it can count AWS's history events, enforce the payload limit after
 * ResultPath, cap an inline Map at 40, and run a Distributed Map's child executions); Choice, Wait, Succeed and
 * Fail stay the library's. Catch stays on the rewritten state, so routing after a failure is the library's too.
 * This is the one place the parsed definition is rewritten; the file itself stays what CDK deploys.
 */
function prepare(machine: AslMachine): Prepared {
  let found = prepared.get(machine);
  if (found) return found;
  const own = new Map<string, AslState>();
  const states: Record<string, AslState> = {};
  for (const [name, state] of Object.entries(machine.States)) {
    if (state.Type === 'Parallel') throw new Error(`${name}: Parallel states are not supported by the local runner`);
    if (state.Type === 'Task' || state.Type === 'Pass' || state.Type === 'Map') {
      own.set(name, state);
      states[name] = {
        Type: 'Task',
        Resource: LOCAL_RESOURCE,
        TimeoutSeconds: UNLIMITED_SECONDS,
        ...(state.Catch ? { Catch: state.Catch } : {}),
        ...(state.End ? { End: true } : { Next: state.Next }),
      };
    } else {
      states[name] = state;
    }
  }
  found = { definition: { StartAt: machine.StartAt, States: states }, own };
  prepared.set(machine, found);
  return found;
}

function asStatesError(error: unknown): Error & { isCatchable?: boolean; isRetryable?: boolean } {
  if (error instanceof HistoryLimitExceeded || error instanceof StatesError) return error;
  const cause = (error as { cause?: unknown })?.cause;
  if ((error as Error)?.name === 'ExecutionError' && cause instanceof Error) return asStatesError(cause);
  if (error instanceof Error) return new StatesError(error.name || 'Error', error.message);
  return new StatesError('Error', String(error));
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(resolve, ms);
    signal.addEventListener('abort', () => {
      clearTimeout(timer);
      resolve();
    }, { once: true });
  });
}

/** Runs `work` over items with at most `limit` at once; stops starting new ones once `stop()` says so. */
async function eachLimited<T>(items: T[], limit: number, stop: () => boolean, work: (item: T, index: number) => Promise<void>): Promise<void> {
  let next = 0;
  const workers = Array.from({ length: Math.min(Math.max(limit, 1), items.length) }, async () => {
    while (next < items.length && !stop()) {
      const index = next++;
      await work(items[index], index);
    }
  });
  await Promise.all(workers);
}

/**
 * Step Functions, locally: runs Standard executions of an ASL definition with aws-local-stepfunctions for the
 * flow (transitions, Choice, Catch routing) and this engine for what the library lacks or does differently from
 * AWS: history events counted per execution and the 25,000-event quota, 256 KB per state input and output (after
 * ResultPath), errors that no Catch may handle, inline Map concurrency capped at 40, and Distributed Maps whose
 * items come from S3 through an ItemReader, each item a child execution with its own history, with tolerated
 * failures and a ResultWriter.
 */
export class LocalStepFunctions {
  /** Every execution started, by ARN: parents and children. */
  readonly executions = new Map<string, ExecutionRecord>();
  /** The largest state input or output seen so far, in bytes. */
  maxPayloadBytes = 0;
  private readonly region: string;
  private readonly account: string;
  private readonly controllers = new Map<string, AbortController>();

  constructor(private readonly options: EngineOptions) {
    this.region = options.region ?? 'us-east-1';
    this.account = options.account ?? '000000000000';
  }

  stateMachineArn(name: string): string {
    return `arn:aws:states:${this.region}:${this.account}:stateMachine:${name}`;
  }

  /** The largest history of any one execution so far. */
  get maxExecutionEvents(): number {
    let max = 0;
    for (const execution of this.executions.values()) max = Math.max(max, execution.history.count);
    return max;
  }

  /** Starts an execution; it runs in the background (`record.done` settles when it stops). */
  startExecution(
    machine: AslMachine,
    input: unknown,
    options: { stateMachineArn: string; name?: string; mapRun?: { arn: string; label: string }; parent?: ExecutionRecord },
  ): ExecutionRecord {
    const name = options.name ?? randomUUID();
    const stateMachineName = options.stateMachineArn.split(':').pop()!.split('/')[0];
    const executionArn = options.mapRun
      ? `arn:aws:states:${this.region}:${this.account}:execution:${stateMachineName}/${options.mapRun.label}:${name}`
      : `arn:aws:states:${this.region}:${this.account}:execution:${stateMachineName}:${name}`;
    if (this.executions.has(executionArn)) throw new StatesError('ExecutionAlreadyExists', `execution ${executionArn} already exists`);
    const controller = new AbortController();
    // Every state and Map iteration of the execution listens for a stop: as many as it has running at once.
    setMaxListeners(0, controller.signal);
    const record = {
      executionArn,
      name,
      stateMachineArn: options.mapRun ? `${options.stateMachineArn}/${options.mapRun.label}` : options.stateMachineArn,
      mapRunArn: options.mapRun?.arn,
      parentExecutionArn: options.parent?.executionArn,
      status: 'RUNNING',
      startDate: new Date(),
      input,
      history: new ExecutionHistory(),
    } as ExecutionRecord;
    this.executions.set(executionArn, record);
    this.controllers.set(executionArn, controller);
    const context: ContextObject = {
      Execution: { Id: executionArn, Name: name, StartTime: record.startDate.toISOString(), Input: input, RoleArn: `arn:aws:iam::${this.account}:role/local` },
      StateMachine: { Id: record.stateMachineArn, Name: stateMachineName },
    };
    record.done = (async () => {
      try {
        record.history.add('ExecutionStarted');
        checkPayload(`the input of execution ${name}`, input, this.observe);
        const output = await this.runSegment(machine, input, { execution: record, context, signal: controller.signal });
        checkPayload(`the output of execution ${name}`, output, this.observe);
        if (controller.signal.aborted) throw new StatesError('States.Aborted', 'the execution was stopped');
        record.history.add('ExecutionSucceeded');
        record.output = output;
        record.status = 'SUCCEEDED';
      } catch (error) {
        const failure = asStatesError(error);
        const aborted = controller.signal.aborted && !(failure instanceof HistoryLimitExceeded);
        record.status = aborted ? 'ABORTED' : 'FAILED';
        record.error = aborted ? record.error : failure.name;
        record.cause = aborted ? record.cause : failure.message;
        if (!record.history.isClosed) {
          try {
            record.history.add(aborted ? 'ExecutionAborted' : 'ExecutionFailed', aborted ? undefined : { error: failure.name, cause: failure.message });
          } catch {
            // The quota's own ExecutionFailed took the last place.
          }
        }
      } finally {
        record.stopDate = new Date();
        this.controllers.delete(executionArn);
      }
      return record;
    })();
    this.options.onExecution?.(record);
    return record;
  }

  /** StopExecution: the execution (and its Map's children) stop; it ends ABORTED. */
  stopExecution(executionArn: string, error?: string, cause?: string): boolean {
    const controller = this.controllers.get(executionArn);
    if (!controller) return false;
    const record = this.executions.get(executionArn)!;
    record.error = error;
    record.cause = cause;
    controller.abort();
    return true;
  }

  private readonly observe = (bytes: number) => {
    if (bytes > this.maxPayloadBytes) this.maxPayloadBytes = bytes;
  };

  /** Runs a definition (an execution's, or one inline Map iteration's) in the library; events go to scope's history. */
  private async runSegment(machine: AslMachine, input: unknown, scope: Scope): Promise<unknown> {
    const { definition, own } = prepare(machine);
    const pending = new Set<Promise<unknown>>();
    const handlers: Record<string, (raw: unknown) => Promise<unknown>> = {};
    for (const [name, state] of own) {
      handlers[name] = (raw) => {
        const running = this.runState(name, state, raw, scope);
        pending.add(running);
        void running.catch(() => undefined).finally(() => pending.delete(running));
        return running as Promise<never>;
      };
    }
    const run = new StateMachine(definition as never, { validationOptions: { noValidate: true } }).run(input as never, {
      overrides: { taskResourceLocalHandlers: handlers as never },
      context: scope.context as never,
    });
    const onAbort = () => run.abort();
    scope.signal.addEventListener('abort', onAbort, { once: true });
    let limitReached: HistoryLimitExceeded | undefined;
    // The library's own states (Choice, Wait, Succeed, Fail) are counted from its event log: it records their
    // entering and leaving exactly as AWS does, and with no library-run Map nothing arrives after it closes.
    const counting = (async () => {
      for await (const event of run.eventLogs) {
        if (event.type !== 'StateEntered' && event.type !== 'StateExited') continue;
        if (own.has(event.state.name) || scope.signal.aborted || limitReached) continue;
        try {
          if (event.type === 'StateEntered') checkPayload(`the input of ${event.state.name}`, event.state.input, this.observe);
          scope.execution.history.add(`${event.state.type}State${event.type === 'StateEntered' ? 'Entered' : 'Exited'}` as HistoryEventType, {
            name: event.state.name,
          });
        } catch (error) {
          if (error instanceof HistoryLimitExceeded) {
            limitReached = error;
            run.abort();
          }
        }
      }
    })();
    try {
      return await run.result;
    } catch (error) {
      throw limitReached ?? asStatesError(error);
    } finally {
      scope.signal.removeEventListener('abort', onAbort);
      await counting;
      // Work a failure or an abort left running (a task in flight) settles before the caller goes on.
      await Promise.allSettled([...pending]);
      if (limitReached) throw limitReached;
    }
  }

  private async runState(name: string, state: AslState, raw: unknown, scope: Scope): Promise<unknown> {
    const history = scope.execution.history;
    const isTask = state.Type === 'Task';
    const retry = new RetryPolicy(state.Retry, isTask, this.options.retryIntervalMs);
    const context = (): ContextObject => ({ ...scope.context, State: { Name: name, EnteredTime: entered, RetryCount: retry.retryCount } });
    const entered = new Date().toISOString();
    try {
      checkPayload(`the input of ${name}`, raw, this.observe);
      history.add(`${state.Type}StateEntered` as HistoryEventType, { name });
      let result: unknown;
      if (state.Type === 'Pass') {
        const input = await effectiveInput(state, raw, context());
        result = 'Result' in state ? state.Result : input;
      } else {
        for (;;) {
          try {
            result = state.Type === 'Map' ? await this.mapAttempt(name, state, raw, context(), scope) : await this.taskAttempt(name, state, raw, context(), scope);
            break;
          } catch (error) {
            const failure = asStatesError(error);
            const delay = failure instanceof HistoryLimitExceeded || scope.signal.aborted ? undefined : retry.next(failure);
            if (delay === undefined) throw failure;
            await sleep(delay, scope.signal);
          }
        }
      }
      const output = await stateOutput(state, raw, result, context());
      checkPayload(`the output of ${name}`, output, this.observe);
      history.add(`${state.Type}StateExited` as HistoryEventType, { name });
      return output;
    } catch (error) {
      const failure = asStatesError(error);
      if (failure instanceof HistoryLimitExceeded) throw failure;
      // Whether a Catch may handle it is decided here (States.ALL does not match States.DataLimitExceeded); the
      // library then picks the catcher and routes.
      const caught = (state.Catch ?? []).some((catcher) => errorMatches(catcher, failure, isTask));
      if (caught && !scope.signal.aborted) history.add(`${state.Type}StateExited` as HistoryEventType, { name });
      throw new StatesError(failure.name, failure.message, caught, false);
    }
  }

  private async taskAttempt(name: string, state: AslState, raw: unknown, context: ContextObject, scope: Scope): Promise<unknown> {
    const history = scope.execution.history;
    const resource = state.Resource ?? '';
    const input = await effectiveInput(state, raw, context);
    checkPayload(`the input of ${name}`, input, this.observe);
    history.add('TaskScheduled', { name, resource });
    history.add('TaskStarted', { name, resource });
    let result: unknown;
    try {
      const invocation = this.options.invokeTask(resource, input, { stateName: name, execution: scope.execution });
      if (state.TimeoutSeconds) {
        let timer: NodeJS.Timeout | undefined;
        const timeout = new Promise<never>((_, reject) => {
          timer = setTimeout(() => reject(new StatesError('States.Timeout', `${name} did not finish within ${state.TimeoutSeconds} seconds`)), state.TimeoutSeconds! * 1000);
        });
        try {
          result = await Promise.race([invocation, timeout]);
        } finally {
          clearTimeout(timer);
        }
      } else {
        result = await invocation;
      }
      checkPayload(`the result of ${name}`, result, this.observe);
    } catch (error) {
      const failure = asStatesError(error);
      if (!scope.signal.aborted) {
        history.add(failure.name === 'States.Timeout' ? 'TaskTimedOut' : 'TaskFailed', { name, resource, error: failure.name, cause: failure.message });
      }
      throw failure;
    }
    if (!scope.signal.aborted) history.add('TaskSucceeded', { name, resource });
    return result;
  }

  private async mapAttempt(name: string, state: AslState, raw: unknown, context: ContextObject, scope: Scope): Promise<unknown> {
    const history = scope.execution.history;
    const processor = (state.ItemProcessor ?? state.Iterator) as AslMachine;
    const distributed = processor.ProcessorConfig?.Mode === 'DISTRIBUTED';
    const input = await effectiveInput(state, raw, context, false);
    history.add('MapStateStarted', { name });
    try {
      let items: unknown;
      if (state.ItemReader) items = await this.readItems(name, state.ItemReader as Record<string, unknown>, input, context);
      else items = state.ItemsPath ? await queryPath(state.ItemsPath as string, input, context) : input;
      if (!Array.isArray(items)) throw new StatesError('States.Runtime', `${name}: the items to iterate over are not an array`, false, false);
      if (state.ItemBatcher) throw new StatesError('States.Runtime', `${name}: ItemBatcher is not supported by the local runner`, false, false);
      const selector = state.ItemSelector ?? state.Parameters;
      const select = (item: unknown, index: number) =>
        selector === undefined ? Promise.resolve(item) : applyTemplate(selector, input, { ...context, Map: { Item: { Index: index, Value: item } } });
      const result = distributed
        ? await this.distributedRun(name, state, processor, items, select, input, context, scope)
        : await this.inlineRun(name, state, processor, items, select, scope);
      history.add('MapStateSucceeded', { name });
      return result;
    } catch (error) {
      const failure = asStatesError(error);
      if (!(failure instanceof HistoryLimitExceeded) && !scope.signal.aborted) {
        history.add('MapStateFailed', { name, error: failure.name, cause: failure.message });
      }
      throw failure;
    }
  }

  private async readItems(name: string, reader: Record<string, unknown>, input: unknown, context: ContextObject): Promise<unknown[]> {
    const config = (reader.ReaderConfig ?? {}) as { InputType?: string; MaxItems?: number };
    if (reader.Resource !== S3_GET_OBJECT || (config.InputType ?? 'JSON') !== 'JSON') {
      throw new StatesError('States.Runtime', `${name}: the local runner reads items only from a JSON array in S3 (${S3_GET_OBJECT}, InputType JSON)`, false, false);
    }
    const { Bucket, Key } = (await applyTemplate(reader.Parameters ?? {}, input, context)) as { Bucket: string; Key: string };
    let text: string;
    try {
      text = await this.options.s3.getObject(Bucket, Key);
    } catch (error) {
      throw new StatesError('States.ItemReaderFailed', `${name}: could not read s3://${Bucket}/${Key}: ${(error as Error).message}`);
    }
    let items: unknown;
    try {
      items = JSON.parse(text);
    } catch (error) {
      throw new StatesError('States.ItemReaderFailed', `${name}: s3://${Bucket}/${Key} is not JSON: ${(error as Error).message}`);
    }
    if (!Array.isArray(items)) throw new StatesError('States.ItemReaderFailed', `${name}: s3://${Bucket}/${Key} does not hold a JSON array`);
    return config.MaxItems ? items.slice(0, config.MaxItems) : items;
  }

  /** An inline Map: iterations run in this execution, their events in its history, at most 40 at once. */
  private async inlineRun(
    name: string,
    state: AslState,
    processor: AslMachine,
    items: unknown[],
    select: (item: unknown, index: number) => Promise<unknown>,
    scope: Scope,
  ): Promise<unknown[]> {
    const history = scope.execution.history;
    const configured = Number(state.MaxConcurrency ?? 0);
    const limit = configured > 0 ? Math.min(configured, INLINE_MAP_MAX_CONCURRENCY) : INLINE_MAP_MAX_CONCURRENCY;
    const controller = new AbortController();
    setMaxListeners(0, controller.signal);
    const onAbort = () => controller.abort();
    scope.signal.addEventListener('abort', onAbort, { once: true });
    const results = new Array<unknown>(items.length);
    let failure: Error | undefined;
    try {
      await eachLimited(items, limit, () => failure !== undefined || scope.signal.aborted, async (item, index) => {
        try {
          const payload = await select(item, index);
          history.add('MapIterationStarted', { name, index });
          results[index] = await this.runSegment(processor, payload, { ...scope, signal: controller.signal });
          history.add('MapIterationSucceeded', { name, index });
        } catch (error) {
          const iterationFailure = asStatesError(error);
          if (failure || scope.signal.aborted) {
            if (!(iterationFailure instanceof HistoryLimitExceeded) && !scope.signal.aborted) history.add('MapIterationAborted', { name, index });
            return;
          }
          failure = iterationFailure;
          controller.abort();
          if (!(iterationFailure instanceof HistoryLimitExceeded)) {
            history.add('MapIterationFailed', { name, index, error: iterationFailure.name, cause: iterationFailure.message });
          }
        }
      });
    } finally {
      scope.signal.removeEventListener('abort', onAbort);
    }
    if (failure) throw failure;
    return results;
  }

  /**
   * A Distributed Map: one Map Run, each item a child execution with its own history; the parent records only
   * the Map Run's start and end. Failures up to ToleratedFailureCount / ToleratedFailurePercentage let the run
   * succeed; with a ResultWriter the results go to S3 and the state's result is the manifest's location.
   */
  private async distributedRun(
    name: string,
    state: AslState,
    processor: AslMachine,
    items: unknown[],
    select: (item: unknown, index: number) => Promise<unknown>,
    input: unknown,
    context: ContextObject,
    scope: Scope,
  ): Promise<unknown> {
    const history = scope.execution.history;
    const label = (state.Label as string | undefined) ?? name;
    const mapRunId = randomUUID();
    const stateMachineName = scope.execution.stateMachineArn.split(':').pop()!.split('/')[0];
    const mapRunArn = `arn:aws:states:${this.region}:${this.account}:mapRun:${stateMachineName}/${label}:${mapRunId}`;
    history.add('MapRunStarted', { name, mapRunArn });
    const configured = Number(state.MaxConcurrency ?? 0);
    const limit = configured > 0 ? configured : DISTRIBUTED_MAP_MAX_CONCURRENCY;
    const toleratedCount = Number(state.ToleratedFailureCount ?? 0);
    const toleratedPercentage = Number(state.ToleratedFailurePercentage ?? 0);
    const tolerated = Math.max(toleratedCount, Math.floor((toleratedPercentage / 100) * items.length));
    const children: ExecutionRecord[] = [];
    let failures = 0;
    let exceeded = false;
    await eachLimited(items, limit, () => exceeded || scope.signal.aborted, async (item, index) => {
      const payload = await select(item, index);
      const child = this.startExecution(processor, payload, {
        stateMachineArn: scope.execution.stateMachineArn.split('/')[0],
        mapRun: { arn: mapRunArn, label },
        parent: scope.execution,
      });
      const stopChild = () => this.stopExecution(child.executionArn);
      scope.signal.addEventListener('abort', stopChild, { once: true });
      children[index] = await child.done;
      scope.signal.removeEventListener('abort', stopChild);
      if (child.status !== 'SUCCEEDED') {
        failures++;
        if (failures > tolerated && !exceeded) {
          exceeded = true;
          for (const running of children) if (running?.status === 'RUNNING') this.stopExecution(running.executionArn);
        }
      }
    });
    if (exceeded) {
      history.add('MapRunFailed', { name, mapRunArn });
      throw new StatesError(
        'States.ExceedToleratedFailureThreshold',
        `${name}: ${failures} of ${items.length} child executions failed, more than the ${tolerated} tolerated`,
      );
    }
    const result = state.ResultWriter
      ? await this.writeResults(state.ResultWriter as Record<string, unknown>, children.filter(Boolean), mapRunArn, mapRunId, input, context)
      : children.map((child) => child.output ?? { Error: child.error, Cause: child.cause });
    history.add('MapRunSucceeded', { name, mapRunArn });
    return result;
  }

  /** A ResultWriter's files, as AWS writes them: SUCCEEDED_0.json, FAILED_0.json and manifest.json under Prefix/<map run id>/. */
  private async writeResults(
    writer: Record<string, unknown>,
    children: ExecutionRecord[],
    mapRunArn: string,
    mapRunId: string,
    input: unknown,
    context: ContextObject,
  ): Promise<unknown> {
    const { Bucket, Prefix } = (await applyTemplate(writer.Parameters ?? {}, input, context)) as { Bucket: string; Prefix?: string };
    const base = [Prefix?.replace(/\/+$/, ''), mapRunId].filter(Boolean).join('/');
    const entry = (child: ExecutionRecord) => ({
      ExecutionArn: child.executionArn,
      Input: JSON.stringify(child.input),
      InputDetails: { Included: true },
      Name: child.name,
      ...(child.status === 'SUCCEEDED'
        ? { Output: JSON.stringify(child.output), OutputDetails: { Included: true } }
        : { Error: child.error, Cause: child.cause }),
      StartDate: child.startDate.toISOString(),
      StateMachineArn: child.stateMachineArn,
      Status: child.status,
      StopDate: child.stopDate?.toISOString(),
    });
    const files: Record<'SUCCEEDED' | 'FAILED' | 'PENDING', { Key: string; Size: number }[]> = { SUCCEEDED: [], FAILED: [], PENDING: [] };
    for (const status of ['SUCCEEDED', 'FAILED'] as const) {
      const entries = children.filter((child) => (status === 'SUCCEEDED' ? child.status === 'SUCCEEDED' : child.status !== 'SUCCEEDED')).map(entry);
      if (entries.length === 0) continue;
      const Key = `${base}/${status}_0.json`;
      const body = JSON.stringify(entries);
      await this.options.s3.putObject(Bucket, Key, body);
      files[status].push({ Key, Size: Buffer.byteLength(body) });
    }
    const manifestKey = `${base}/manifest.json`;
    await this.options.s3.putObject(Bucket, manifestKey, JSON.stringify({ DestinationBucket: Bucket, MapRunArn: mapRunArn, ResultFiles: files }));
    return { MapRunArn: mapRunArn, ResultWriterDetails: { Bucket, Key: manifestKey } };
  }
}
