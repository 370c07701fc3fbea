import './polyfills';
import { StateMachine } from 'aws-local-stepfunctions';
import { mkdtemp, mkdir, rm } from 'node:fs/promises';
import * as path from 'node:path';
import type { HandlerRuntime } from '../functions/shared/handler-runtime';
import type { RunRequest, RunSummary } from '../functions/shared/pipeline-events';
import { TASK_FUNCTIONS, substitutedDefinition, taskStates, type HandlerName } from '../statemachine/definition';

type HandlerModule = { run: (event: any, runtime: HandlerRuntime) => Promise<unknown> };

/** The handler modules the deployed functions run, loaded the same way here. */
const HANDLERS: Record<HandlerName, () => Promise<HandlerModule>> = {
  plan: () => import('../functions/plan/handler'),
  build: () => import('../functions/build/handler'),
  publish: () => import('../functions/publish/handler'),
  report: () => import('../functions/report/handler'),
  expire: () => import('../functions/expire/handler'),
};

export const LOCAL_ACCOUNT = '000000000000';
const functionArn = (name: string) => `arn:aws:lambda:us-east-1:${LOCAL_ACCOUNT}:function:lamina-${name}`;

/** Lambda turns a handler's exception into {errorType, errorMessage, trace}, in the task's Cause: so do we. */
export class LambdaFunctionError extends Error {
  constructor(cause: unknown) {
    const error = cause instanceof Error ? cause : new Error(String(cause));
    super(JSON.stringify({ errorType: error.name, errorMessage: error.message, trace: (error.stack ?? '').split('\n') }));
    this.name = error.name;
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
        const output = await (await HANDLERS[handlerName]()).run(input, { tmpDir, cacheDir });
        options.onTask?.(state, input, { ok: true, output });
        return output as never;
      } catch (error) {
        options.onTask?.(state, input, { ok: false, error: error as Error });
        throw new LambdaFunctionError(error);
      } finally {
        await rm(tmpDir, { recursive: true, force: true });
      }
    };
    if (options.retryIntervalMs !== undefined) retries[state] = options.retryIntervalMs;
  }
  const machine = new StateMachine(definition, { validationOptions: { checkArn: true, checkPaths: true } });
  const execution = machine.run(request as never, {
    overrides: { taskResourceLocalHandlers: handlers, retryIntervalOverrides: retries },
  });
  const output = (await execution.result) as unknown as LocalRunResult;
  return output;
}
