import { readFileSync } from 'node:fs';
import * as path from 'node:path';

/** The ASL file CDK deploys and `lamina run` executes: the single source of the pipeline's flow. */
export const DEFINITION_FILE = path.join(__dirname, 'pipeline.asl.json');

/** Task states and the handler each one runs, by the substitution variable in its Resource. */
export const TASK_FUNCTIONS = {
  PlanFunctionArn: 'plan',
  BuildFunctionArn: 'build',
  SealFunctionArn: 'seal',
  PlanPublishesFunctionArn: 'plan-publishes',
  PublishFunctionArn: 'publish',
  ReportFunctionArn: 'report',
  ExpireFunctionArn: 'expire',
  RecordFailureFunctionArn: 'failure',
} as const;
export type TaskVariable = keyof typeof TASK_FUNCTIONS;
export type HandlerName = (typeof TASK_FUNCTIONS)[TaskVariable];

/** The definition with `${Variable}` replaced, as Step Functions does with DefinitionSubstitutions. */
export function substitutedDefinition(substitutions: Record<string, string>): string {
  const text = readFileSync(DEFINITION_FILE, 'utf8');
  return text.replace(/\$\{(\w+)\}/g, (match, name: string) => {
    const value = substitutions[name];
    if (value === undefined) throw new Error(`${DEFINITION_FILE}: no substitution for ${match}`);
    return value;
  });
}

/** Task state name → handler name, read from the definition itself (Resource `${XFunctionArn}`). */
export function taskStates(): Record<string, HandlerName> {
  const definition = JSON.parse(readFileSync(DEFINITION_FILE, 'utf8')) as unknown;
  const found: Record<string, HandlerName> = {};
  const visit = (states: Record<string, { Type: string; Resource?: string; ItemProcessor?: { States: Record<string, unknown> } }>) => {
    for (const [name, state] of Object.entries(states)) {
      const variable = /^\$\{(\w+)\}$/.exec(state.Resource ?? '')?.[1] as TaskVariable | undefined;
      if (state.Type === 'Task' && variable && variable in TASK_FUNCTIONS) found[name] = TASK_FUNCTIONS[variable];
      if (state.ItemProcessor) visit(state.ItemProcessor.States as never);
    }
  };
  visit((definition as { States: never }).States);
  return found;
}

/** Substitutions the definition uses besides the task functions. */
export const OTHER_SUBSTITUTIONS = ['ArtifactBucketName'] as const;

interface MapStateShape {
  Type: string;
  MaxConcurrency?: number;
  ItemReader?: { Parameters?: Record<string, unknown> };
  ResultWriter?: { Parameters?: { Prefix?: string } };
  ItemProcessor?: { ProcessorConfig?: { Mode?: string }; States: Record<string, MapStateShape> };
}

export interface MapStateSummary {
  name: string;
  mode: 'INLINE' | 'DISTRIBUTED';
  maxConcurrency: number;
  resultsPrefix?: string;
}

/** Every Map state of the definition, nested ones too: its mode, its concurrency, its results prefix if any. */
export function mapStates(): MapStateSummary[] {
  const definition = JSON.parse(readFileSync(DEFINITION_FILE, 'utf8')) as { States: Record<string, MapStateShape> };
  const found: MapStateSummary[] = [];
  const visit = (states: Record<string, MapStateShape>) => {
    for (const [name, state] of Object.entries(states)) {
      if (state.Type !== 'Map' || !state.ItemProcessor) continue;
      const mode = state.ItemProcessor.ProcessorConfig?.Mode === 'DISTRIBUTED' ? 'DISTRIBUTED' : 'INLINE';
      found.push({ name, mode, maxConcurrency: state.MaxConcurrency ?? 0, resultsPrefix: state.ResultWriter?.Parameters?.Prefix });
      visit(state.ItemProcessor.States);
    }
  };
  visit(definition.States);
  return found;
}

/** The definition's Distributed Map states: what IAM must allow them (their results prefix) and their concurrency. */
export function distributedMaps(): MapStateSummary[] {
  return mapStates().filter((map) => map.mode === 'DISTRIBUTED');
}
