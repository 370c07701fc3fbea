import './polyfills';
import { randomUUID } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { mkdir, rm } from 'node:fs/promises';
import * as path from 'node:path';
import { ArtifactStore } from '../functions/aws/artifacts';
import { LaminaError } from '../functions/layers/kind';
import type { HandlerRuntime } from '../functions/shared/handler-runtime';
import type { RunRequest, RunSummary } from '../functions/shared/pipeline-events';
import { LayerStore } from '../functions/store/layer-store';
import { withStepFailures } from '../functions/report/run-records';
import { countOutcomes, outcomesPerRegion } from '../functions/report/summary';
import type { RunOutcome } from '../schema/table';
import { TASK_FUNCTIONS, substitutedDefinition, type HandlerName } from '../statemachine/definition';
import { LAMBDA_INVOKE } from './verify-functions';
import { LocalStepFunctions, type AslMachine, type ExecutionRecord } from './step-functions/engine';
export { MAX_STATE_PAYLOAD_BYTES } from './step-functions/errors';

type HandlerModule = { run: (event: any, runtime: HandlerRuntime) => Promise<unknown> };

/** The handler modules the deployed functions run, loaded the same way here. */
/* eslint-disable @typescript-eslint/no-require-imports -- loaded on first use, like a function's cold start */
const HANDLERS: Record<HandlerName | 'verify', () => HandlerModule> = {
  plan: () => require('../functions/plan/handler'),
  build: () => require('../functions/build/handler'),
  seal: () => require('../functions/seal/handler'),
  'plan-publishes': () => require('../functions/plan-publishes/handler'),
  // The verify functions Build names are invoked through arn:aws:states:::lambda:invoke.
  verify: () => require('./verify-functions'),
  publish: () => require('../functions/publish/handler'),
  report: () => require('../functions/report/handler'),
  expire: () => require('../functions/expire/handler'),
  failure: () => require('../functions/failure/handler'),
};
/* eslint-enable @typescript-eslint/no-require-imports */

export const LOCAL_ACCOUNT = '000000000000';
export const LOCAL_STATE_MACHINE = 'lamina-pipeline';
const functionArn = (name: string) => `arn:aws:lambda:us-east-1:${LOCAL_ACCOUNT}:function:lamina-${name}`;

/** Lambda turns a handler's exception into {errorType, errorMessage, trace}, in the task's Cause: so do we. */
export class LambdaFunctionError extends Error {
  constructor(cause: unknown) {
    const error = cause instanceof Error ? cause : new Error(String(cause));
    super(JSON.stringify({ errorType: error.name, errorMessage: error.message, trace: (error.stack ?? '').split('\n') }));
    this.name = error.name;
  }
}

/** The execution itself failed (an error no Catch may handle, such as States.DataLimitExceeded): nothing went on. */
export class PipelineFailedError extends LaminaError {
  constructor(
    cause: string,
    readonly execution?: ExecutionRecord,
  ) {
    const json = /\{.*\}/s.exec(cause)?.[0];
    let message = cause;
    try {
      const parsed = JSON.parse(json ?? '') as { errorType?: string; errorMessage?: string };
      if (parsed.errorMessage) message = parsed.errorMessage;
    } catch {
      // Not a Lambda error payload: keep the text as it is.
    }
    super(`the run stopped: ${message}`, 'PipelineFailedError');
  }
}

export interface LocalRunOptions {
  /** State folder: `.lamina/` (per-invocation scratch folders and the download cache live below it). */
  stateDir: string;
  /** The catalog file Plan reads. */
  catalogFile: string;
  /** Pause between retries instead of the definition's backoff (tests keep it short). */
  retryIntervalMs?: number;
  /** Told about each task invocation as its handler starts (benchmarks time phases from it). */
  onTaskStart?: (state: string, input: unknown) => void;
  /** Told about each task invocation that ends, for progress output. */
  onTask?: (state: string, input: unknown, outcome: { ok: true; output: unknown } | { ok: false; error: Error }) => void;
  /**
   * Faults to inject, by Task state name: when the function returns an error, that invocation fails with it, as a
   * Lambda function's error (tests of what a failing step leaves behind; the layer-API emulator has its own).
   */
  taskFaults?: Record<string, (input: unknown) => Error | undefined>;
  /** Told about each execution the run starts (the pipeline's, one per build, one per region, one per publish), as it starts. */
  onExecution?: (execution: ExecutionRecord) => void;
}

/** What the runner measured: the figures `bench:scale` prints. */
export interface LocalRunStats {
  /** Executions started: the pipeline's own and every child of its Distributed Maps (builds, regions, publishes). */
  executions: number;
  /** The largest history of any one execution, as the runner counted it. */
  maxExecutionEvents: number;
  /** The largest state input or output, in bytes. */
  maxStatePayloadBytes: number;
}

export interface LocalRunResult {
  summary: RunSummary;
  expire: unknown;
  /** Exactly one outcome per layer × region of the run, from what the steps recorded in the table. */
  outcomes: RunOutcome[];
  /** The pipeline's execution (its history included). */
  execution: ExecutionRecord;
  /** Every execution of the run: the pipeline's first, then the children of its Distributed Maps, as they started. */
  executions: ExecutionRecord[];
  stats: LocalRunStats;
}

/** A run that has started: its execution (RUNNING until it stops), the engine, and the result to come. */
export interface LocalRun {
  execution: ExecutionRecord;
  engine: LocalStepFunctions;
  result: Promise<LocalRunResult>;
}

/**
 * S3 for the Distributed Maps' ItemReaders and ResultWriters, through the artifact store's client: the process's
 * shared S3 client (functions/aws/clients.ts), whose settings spare each request the SDK's per-request middleware
 * assembly. On AWS this is Step Functions' own work; here it runs on the handlers' thread, beside every Publish.
 */
function engineS3(): ConstructorParameters<typeof LocalStepFunctions>[0]['s3'] {
  return {
    getObject: (bucket, key) => new ArtifactStore(bucket).getText(key),
    putObject: (bucket, key, body) => new ArtifactStore(bucket).putText(key, body, 'application/json'),
  };
}

/** A run id that sorts by time: the local execution's name. */
export function newRunId(now = new Date()): string {
  return `${now.toISOString().replace(/[:.]/g, '-')}-${randomUUID().slice(0, 8)}`;
}

/**
 * Starts the pipeline's state machine (statemachine/pipeline.asl.json, the file CDK deploys) on the local Step
 * Functions engine (local/step-functions/); each Task state runs the same handler module the deployed Lambda
 * function runs, in its own scratch folder standing in for /tmp. The AWS services are whatever the SDK's endpoint
 * settings name. The execution is named after the run id.
 */
export function startLocalPipeline(request: RunRequest, options: LocalRunOptions): LocalRun {
  process.env.LAMINA_CATALOG = path.resolve(options.catalogFile);
  const bucket = process.env.LAMINA_BUCKET;
  if (!bucket) throw new Error('LAMINA_BUCKET is not set: start the local services first (local/services.ts)');
  const substitutions: Record<string, string> = { ArtifactBucketName: bucket };
  const byArn = new Map<string, HandlerName>();
  for (const [variable, name] of Object.entries(TASK_FUNCTIONS)) {
    substitutions[variable] = functionArn(name);
    byArn.set(functionArn(name), name);
  }
  const definition = JSON.parse(substitutedDefinition(substitutions)) as AslMachine;
  const scratch = path.join(options.stateDir, 'tmp');
  const cacheDir = path.join(options.stateDir, 'cache');
  const ready = Promise.all([mkdir(scratch, { recursive: true }), mkdir(cacheDir, { recursive: true })]);

  const engine = new LocalStepFunctions({
    s3: engineS3(),
    account: LOCAL_ACCOUNT,
    retryIntervalMs: options.retryIntervalMs,
    onExecution: options.onExecution,
    invokeTask: async (resource, input, task) => {
      const handlerName = resource === LAMBDA_INVOKE ? 'verify' : byArn.get(resource);
      if (!handlerName) throw Object.assign(new Error(`no local handler for ${resource}`), { name: 'Lambda.ResourceNotFoundException' });
      await ready;
      const fault = options.taskFaults?.[task.stateName]?.(input);
      if (fault) throw new LambdaFunctionError(fault);
      // The scratch folder is made when the handler first asks for it: most invocations (every Publish) never do.
      let tmpDir: string | undefined;
      const runtime = {
        get tmpDir() {
          return (tmpDir ??= mkdtempSync(path.join(scratch, `${handlerName}-`)));
        },
        cacheDir,
      };
      try {
        options.onTaskStart?.(task.stateName, input);
        const output = await HANDLERS[handlerName]().run(input, runtime);
        options.onTask?.(task.stateName, input, { ok: true, output });
        return output ?? null;
      } catch (error) {
        options.onTask?.(task.stateName, input, { ok: false, error: error as Error });
        throw new LambdaFunctionError(error);
      } finally {
        if (tmpDir) await rm(tmpDir, { recursive: true, force: true }).catch(() => undefined);
      }
    },
  });
  const runId = request.runId ?? newRunId();
  const execution = engine.startExecution(definition, { ...request, runId }, { stateMachineArn: engine.stateMachineArn(LOCAL_STATE_MACHINE), name: runId });
  const result = (async (): Promise<LocalRunResult> => {
    await execution.done;
    if (execution.status !== 'SUCCEEDED') throw new PipelineFailedError(`${execution.error}: ${execution.cause}`, execution);
    const output = execution.output as { summary: RunSummary; expire: unknown };
    const recorded = await new LayerStore().listOutcomes(runId);
    const outcomes = withStepFailures(outcomesPerRegion(recorded, (output.summary as Partial<RunSummary>).regions ?? []), recorded);
    const summary = output.summary.counts ? output.summary : summaryWithoutReport(output.summary, outcomes);
    const executions = [...engine.executions.values()];
    return {
      summary,
      expire: output.expire,
      outcomes,
      execution,
      executions,
      stats: { executions: executions.length, maxExecutionEvents: engine.maxExecutionEvents, maxStatePayloadBytes: engine.maxPayloadBytes },
    };
  })();
  return { execution, engine, result };
}

/** When Report itself failed, the state machine's summary has no counts: the runner counts the outcomes. */
function summaryWithoutReport(partial: Partial<RunSummary>, outcomes: RunOutcome[]): RunSummary {
  const counts = countOutcomes(outcomes);
  return {
    targets: outcomes.length,
    runId: partial.runId!,
    startedAt: partial.startedAt!,
    finishedAt: new Date().toISOString(),
    failures: outcomes.filter((outcome) => outcome.status === 'failed'),
    ...partial,
    counts,
    failed: true,
  };
}

/** Runs the pipeline locally to the end (see startLocalPipeline). */
export function runLocalPipeline(request: RunRequest, options: LocalRunOptions): Promise<LocalRunResult> {
  return startLocalPipeline(request, options).result;
}
