import { readFileSync } from 'node:fs';
import * as path from 'node:path';

/** The ASL file CDK deploys and `lamina run` executes: the single source of the pipeline's flow. */
export const DEFINITION_FILE = path.join(__dirname, 'pipeline.asl.json');

/** Task states and the handler each one runs, by the substitution variable in its Resource. */
export const TASK_FUNCTIONS = {
  PlanFunctionArn: 'plan',
  BuildFunctionArn: 'build',
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
