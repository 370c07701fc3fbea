import '../polyfills';
import { StateMachine } from 'aws-local-stepfunctions';
import { StatesError } from './errors';

/** The `$$` context object of one state: the execution, the state machine, the state, and a Map's item. */
export type ContextObject = Record<string, unknown>;

/** The JSONPath input/output fields of a state (ASL "Input and Output Processing"). */
export interface DataFlowFields {
  InputPath?: string | null;
  Parameters?: unknown;
  ResultSelector?: unknown;
  ResultPath?: string | null;
  OutputPath?: string | null;
}

/**
 * Evaluates paths and payload templates (with intrinsic functions) by running a one-state Pass machine in
 * aws-local-stepfunctions: its own evaluator, so that local data flow is the library's, not a second copy.
 */
async function evaluatePass(fields: Record<string, unknown>, input: unknown, context: ContextObject): Promise<unknown> {
  const machine = new StateMachine(
    { StartAt: 'Evaluate', States: { Evaluate: { Type: 'Pass', ...fields, End: true } } } as never,
    { validationOptions: { noValidate: true } },
  );
  try {
    return await machine.run(input as never, { context: context as never }).result;
  } catch (error) {
    const cause = (error as { cause?: Error }).cause ?? (error as Error);
    throw new StatesError(cause.name || 'States.Runtime', cause.message, false, false);
  }
}

/** InputPath, then Parameters (for a Map, ItemSelector applies per item instead). */
export async function effectiveInput(state: DataFlowFields, raw: unknown, context: ContextObject, withParameters = true): Promise<unknown> {
  const fields: Record<string, unknown> = {};
  if ('InputPath' in state) fields.InputPath = state.InputPath;
  if (withParameters && state.Parameters !== undefined) fields.Parameters = state.Parameters;
  return Object.keys(fields).length === 0 ? raw : evaluatePass(fields, raw, context);
}

/** A payload template (Parameters, ItemSelector, ResultSelector, an ItemReader's Parameters) applied to a value. */
export function applyTemplate(template: unknown, value: unknown, context: ContextObject): Promise<unknown> {
  return evaluatePass({ Parameters: template }, value, context);
}

/** A reference path queried on a value (ItemsPath, OutputPath). */
export function queryPath(path: string, value: unknown, context: ContextObject): Promise<unknown> {
  return evaluatePass({ InputPath: path }, value, context);
}

function setAt(target: unknown, segments: string[], value: unknown, path: string): unknown {
  if (segments.length === 0) return value;
  if (target === null || typeof target !== 'object' || Array.isArray(target)) {
    if (target !== undefined && target !== null) {
      throw new StatesError('States.ResultPathMatchFailure', `ResultPath ${path} cannot be applied to the state's input`);
    }
    target = {};
  }
  const [head, ...tail] = segments;
  const copy = { ...(target as Record<string, unknown>) };
  copy[head] = setAt(copy[head], tail, value, path);
  return copy;
}

/** ResultPath: where the result goes in the state's raw input (`$` replaces it, null discards the result). */
export function applyResultPath(path: string | null | undefined, raw: unknown, result: unknown): unknown {
  if (path === undefined || path === '$') return result;
  if (path === null) return raw;
  const segments = path
    .replace(/^\$\.?/, '')
    .split(/\.|\[['"]?|['"]?\]/)
    .filter((segment) => segment.length > 0);
  return setAt(raw, segments, result, path);
}

/** ResultSelector, ResultPath, OutputPath: from a state's result to its output. */
export async function stateOutput(state: DataFlowFields, raw: unknown, result: unknown, context: ContextObject): Promise<unknown> {
  let value = result;
  if (state.ResultSelector !== undefined) value = await applyTemplate(state.ResultSelector, value, context);
  value = applyResultPath(state.ResultPath, raw, value);
  if (state.OutputPath === null) return {};
  if (state.OutputPath !== undefined && state.OutputPath !== '$') value = await queryPath(state.OutputPath, value, context);
  return value;
}
