import './polyfills';
import { StateMachine } from 'aws-local-stepfunctions';
import { mkdtemp, mkdir, rm } from 'node:fs/promises';
import * as path from 'node:path';
import { LaminaError } from '../functions/layers/kind';
import type { HandlerRuntime } from '../functions/shared/handler-runtime';
import type { RunRequest, RunSummary } from '../functions/shared/pipeline-events';
import { LayerStore } from '../functions/store/layer-store';
import { outcomesPerRegion } from '../functions/report/summary';
import type { RunOutcome } from '../schema/table';
import { TASK_FUNCTIONS, substitutedDefinition, taskStates, type HandlerName } from '../statemachine/definition';

type HandlerModule = { run: (event: any, runtime: HandlerRuntime) => Promise<unknown> };

/** The handler modules the deployed functions run, loaded the same way here. */
/* eslint-disable @typescript-eslint/no-require-imports -- loaded on first use, like a function's cold start */
const HANDLERS: Record<HandlerName, () => HandlerModule> = {
  plan: () => require('../functions/plan/handler'),
  build: () => require('../functions/build/handler'),
  publish: () => require('../functions/publish/handler'),
  report: () => require('../functions/report/handler'),
  expire: () => require('../functions/expire/handler'),
  failure: () => require('../functions/failure/handler'),
};
/* eslint-enable @typescript-eslint/no-require-imports */

export const LOCAL_ACCOUNT = '000000000000';
/** Step Functions' limit on a state's input or output. */
export const MAX_STATE_PAYLOAD_BYTES = 262_144;
const functionArn = (name: string) => `arn:aws:lambda:us-east-1:${LOCAL_ACCOUNT}:function:lamina-${name}`;

/** Lambda turns a handler's exception into {errorType, errorMessage, trace}, in the task's Cause: so do we. */
export class LambdaFunctionError extends Error {
  constructor(cause: unknown) {
    const error = cause instanceof Error ? cause : new Error(String(cause));
    super(JSON.stringify({ errorType: error.name, errorMessage: error.message, trace: (error.stack ?? '').split('\n') }));
    this.name = error.name;
  }
}

/** The execution itself failed (a state with no Catch, such as Plan on an invalid catalog): nothing went on. */
export class PipelineFailedError extends LaminaError {
  constructor(cause: unknown) {
    const text = cause instanceof Error ? cause.message : String(cause);
    const json = /\{.*\}/s.exec(text)?.[0];
    let message = text;
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
  /** Told about each task invocation that ends, for progress output. */
  onTask?: (state: string, input: unknown, outcome: { ok: true; output: unknown } | { ok: false; error: Error }) => void;
}

export interface LocalRunResult {
  summary: RunSummary;
  expire: unknown;
  /** Exactly one outcome per layer × region of the run, from what the steps recorded in the table. */
  outcomes: RunOutcome[];
}

/**
 * Runs the pipeline's state machine (statemachine/pipeline.asl.json, the file CDK deploys) with
 * aws-local-stepfunctions; each Task state runs the same handler module the deployed Lambda function runs, in
 * its own scratch folder standing in for /tmp. The AWS services are whatever the SDK's endpoint settings name.
 */
export async function runLocalPipeline(request: RunRequest, options: LocalRunOptions): Promise<LocalRunResult> {
  process.env.LAMINA_CATALOG = path.resolve(options.catalogFile);
  const substitutions = Object.fromEntries(Object.entries(TASK_FUNCTIONS).map(([variable, name]) => [variable, functionArn(name)]));
  const definition = JSON.parse(substitutedDefinition(substitutions));
  const scratch = path.join(options.stateDir, 'tmp');
  const cacheDir = path.join(options.stateDir, 'cache');
  await mkdir(scratch, { recursive: true });
  await mkdir(cacheDir, { recursive: true });

  const handlers: Record<string, (input: any) => Promise<any>> = {};
  const retries: Record<string, number> = {};
  for (const [state, handlerName] of Object.entries(taskStates())) {
    handlers[state] = async (input: unknown) => {
      const tmpDir = await mkdtemp(path.join(scratch, `${handlerName}-`));
      try {
        const output = await HANDLERS[handlerName]().run(input, { tmpDir, cacheDir });
        const size = Buffer.byteLength(JSON.stringify(output ?? null));
        if (size > MAX_STATE_PAYLOAD_BYTES) {
          // Step Functions fails a state whose output is over 256 KB; failing here keeps local runs honest.
          throw Object.assign(new Error(`${state} returned ${size} bytes, over Step Functions' ${MAX_STATE_PAYLOAD_BYTES}-byte limit`), {
            name: 'States.DataLimitExceeded',
          });
        }
        options.onTask?.(state, input, { ok: true, output });
        return output as never;
      } catch (error) {
        options.onTask?.(state, input, { ok: false, error: error as Error });
        throw new LambdaFunctionError(error);
      } finally {
        await rm(tmpDir, { recursive: true, force: true }).catch(() => undefined);
      }
    };
    if (options.retryIntervalMs !== undefined) retries[state] = options.retryIntervalMs;
  }
  const machine = new StateMachine(definition, { validationOptions: { checkArn: true, checkPaths: true } });
  const execution = machine.run(request as never, {
    overrides: { taskResourceLocalHandlers: handlers, retryIntervalOverrides: retries },
  });
  let output: Omit<LocalRunResult, 'outcomes'>;
  try {
    output = (await execution.result) as unknown as Omit<LocalRunResult, 'outcomes'>;
  } catch (error) {
    throw new PipelineFailedError(error);
  }
  const regions = output.summary.regions ?? [];
  return { ...output, outcomes: outcomesPerRegion(await new LayerStore().listOutcomes(output.summary.runId), regions) };
}
