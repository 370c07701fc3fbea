import {
  DescribeExecutionCommand,
  GetExecutionHistoryCommand,
  ListExecutionsCommand,
  StartExecutionCommand,
  StopExecutionCommand,
  type DescribeExecutionCommandOutput,
} from '@aws-sdk/client-sfn';
import { LAMBDA_REGIONS } from '../../functions/regions/lambda-regions';
import { explainOutcome, outcomesPerRegion } from '../../functions/report/summary';
import type { RunRequest, RunSummary } from '../../functions/shared/pipeline-events';
import { LayerStore } from '../../functions/store/layer-store';
import type { RunOutcome } from '../../schema/table';
import { newRunId } from '../runner';
import { EXIT, UsageError, type Command } from './command';
import { formatTable, listOption, parseOptions } from './options';
import { latestRows, printRunResult } from './run-report';
import { TARGET_OPTIONS, executionArnOf, findPipeline, type PipelineTarget } from './sfn-target';

const ENTRY_NAME = /^[a-zA-Z0-9][a-zA-Z0-9_-]{0,63}$/;

/** The SDK's "no such execution" as the person's mistake: exit 2, naming the run and where to look. */
async function knownExecution<T>(target: PipelineTarget, run: string, call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (error) {
    const name = (error as Error).name;
    if (name === 'ExecutionDoesNotExist') throw new UsageError(`no run ${JSON.stringify(run)} on ${target.stateMachineArn} (${target.source}); lamina runs lists them`);
    if (name === 'InvalidArn') throw new UsageError(`${JSON.stringify(run)} is not a run id or an execution ARN of ${target.stateMachineArn}`);
    throw error;
  }
}

function runOf(positionals: string[], command: string): string {
  if (positionals.length !== 1) throw new UsageError(`lamina ${command} takes one run id (an execution name, or its ARN); lamina runs lists them`);
  return positionals[0];
}

const seconds = (date?: Date) => (date ? date.toISOString().replace(/\.\d{3}Z$/, 'Z') : '-');

/** The run's outcomes as recorded so far, one per layer × region once the run knows its regions. */
async function recordedOutcomes(runId: string, regions?: string[]): Promise<RunOutcome[]> {
  const outcomes = await new LayerStore().listOutcomes(runId);
  return regions ? outcomesPerRegion(outcomes, regions) : outcomes;
}

/**
 * Follows an execution until it stops: the state it is in (from its history) and each layer × region outcome as it
 * is recorded, on stderr. Returns the final description.
 */
async function follow(target: PipelineTarget, executionArn: string, runId: string, pollMs: number): Promise<DescribeExecutionCommandOutput> {
  const told = new Set<string>();
  let lastState = '';
  for (;;) {
    const execution = await target.sfn.send(new DescribeExecutionCommand({ executionArn }));
    const history = await target.sfn.send(new GetExecutionHistoryCommand({ executionArn, reverseOrder: true, maxResults: 20, includeExecutionData: false }));
    const entered = history.events?.find((event) => event.stateEnteredEventDetails?.name)?.stateEnteredEventDetails?.name;
    if (entered && entered !== lastState) {
      lastState = entered;
      console.error(`· ${entered}`);
    }
    if (target.records) {
      for (const outcome of await recordedOutcomes(runId)) {
        const key = `${outcome.layerName} ${outcome.region ?? '-'} ${outcome.status}`;
        if (told.has(key)) continue;
        told.add(key);
        console.error(`  ${outcome.layerName}${outcome.region ? ` ${outcome.region}` : ''}: ${outcome.status}${outcome.version ? ` (version ${outcome.version})` : ''}${outcome.status === 'failed' || outcome.status === 'skipped' ? `: ${explainOutcome(outcome)}` : ''}`);
      }
    }
    if (execution.status !== 'RUNNING') return execution;
    await new Promise((resolve) => setTimeout(resolve, pollMs));
  }
}

/** The summary the pipeline's Report step returned, from a finished execution's output. */
function summaryOf(execution: DescribeExecutionCommandOutput): RunSummary | undefined {
  try {
    return (JSON.parse(execution.output ?? 'null') as { summary?: RunSummary } | null)?.summary;
  } catch {
    return undefined;
  }
}

/** What `lamina run` prints, for an execution that has stopped. */
async function finish(target: PipelineTarget, execution: DescribeExecutionCommandOutput, json: boolean): Promise<number> {
  if (execution.status !== 'SUCCEEDED') {
    console.error(`lamina: run ${execution.name} ${execution.status}${execution.error ? `: ${execution.error}` : ''}${execution.cause ? ` ${execution.cause}` : ''}`);
    return EXIT.failed;
  }
  const summary = summaryOf(execution);
  if (!summary) {
    console.error(`lamina: run ${execution.name} succeeded without a summary in its output`);
    return EXIT.failed;
  }
  if (!target.records) {
    // Without the table, the summary the execution returned is what there is.
    console.log(JSON.stringify(summary, null, 2));
    return summary.failed ? EXIT.failed : EXIT.ok;
  }
  const outcomes = await recordedOutcomes(summary.runId, summary.regions);
  const rows = await latestRows(new LayerStore(), [...new Set(outcomes.map((outcome) => outcome.layerName))], summary.regions ?? []);
  return printRunResult(summary, outcomes, rows, json);
}

export const startCommand: Command = {
  async run(args) {
    const { values } = parseOptions(args, {
      ...TARGET_OPTIONS,
      only: { type: 'string', multiple: true },
      regions: { type: 'string', multiple: true },
      force: { type: 'boolean', default: false },
      wait: { type: 'boolean', default: false },
      name: { type: 'string' },
      json: { type: 'boolean', default: false },
      'poll-ms': { type: 'string', default: '1000' },
    });
    const only = listOption(values.only, 'only', 'bash');
    const regions = listOption(values.regions, 'regions', 'eu-west-1');
    // What can be checked without the catalog is checked before anything starts; Plan checks the rest.
    for (const name of only ?? []) if (!ENTRY_NAME.test(name)) throw new UsageError(`--only ${JSON.stringify(name)} is not a catalog entry name (1-64 letters, digits, - or _)`);
    for (const region of regions ?? []) {
      if (!(LAMBDA_REGIONS as readonly string[]).includes(region)) throw new UsageError(`--regions: ${JSON.stringify(region)} is not a region where Lambda runs`);
    }
    const runId = values.name ?? newRunId();
    if (!/^[A-Za-z0-9_.:-]{1,80}$/.test(runId)) throw new UsageError(`--name ${JSON.stringify(runId)} is not a run id: 1-80 letters, digits, _ . : -`);
    const pollMs = Number(values['poll-ms']);
    const target = await findPipeline(values);
    const input: RunRequest = { runId, force: values.force, ...(only ? { only } : {}), ...(regions ? { regions } : {}) };
    const started = await target.sfn.send(new StartExecutionCommand({ stateMachineArn: target.stateMachineArn, name: runId, input: JSON.stringify(input) }));
    console.error(`Started run ${runId} on ${target.source}: ${started.executionArn}`);
    if (!values.wait) {
      console.log(started.executionArn);
      return EXIT.ok;
    }
    const execution = await follow(target, started.executionArn!, runId, pollMs);
    return finish(target, execution, values.json!);
  },
};

export const runsCommand: Command = {
  async run(args) {
    const { values } = parseOptions(args, { ...TARGET_OPTIONS, max: { type: 'string', default: '20' }, status: { type: 'string' } });
    const max = Number(values.max);
    if (!Number.isInteger(max) || max < 1 || max > 1000) throw new UsageError(`--max ${values.max} is not a whole number from 1 to 1000`);
    const statuses = ['RUNNING', 'SUCCEEDED', 'FAILED', 'TIMED_OUT', 'ABORTED'];
    if (values.status && !statuses.includes(values.status)) throw new UsageError(`--status ${values.status} is not one of ${statuses.join(', ')}`);
    const target = await findPipeline(values);
    const listed = await target.sfn.send(
      new ListExecutionsCommand({ stateMachineArn: target.stateMachineArn, maxResults: max, statusFilter: values.status as never }),
    );
    const rows: string[][] = [];
    for (const execution of listed.executions ?? []) {
      let outcome = '';
      if (target.records) {
        const run = await new LayerStore().getRun(execution.name!);
        if (run) outcome = `${run.counts.published} published, ${run.counts.failed} failed (of ${run.targets})`;
      }
      rows.push([execution.name!, execution.status!, seconds(execution.startDate), seconds(execution.stopDate), outcome]);
    }
    console.log(formatTable(['RUN', 'STATUS', 'STARTED', 'STOPPED', 'OUTCOME'], rows));
    return EXIT.ok;
  },
};

export const statusCommand: Command = {
  async run(args) {
    const { values, positionals } = parseOptions(args, { ...TARGET_OPTIONS, json: { type: 'boolean', default: false } }, true);
    const run = runOf(positionals, 'status');
    const target = await findPipeline(values);
    const executionArn = executionArnOf(target, run);
    const execution = await knownExecution(target, run, () => target.sfn.send(new DescribeExecutionCommand({ executionArn })));
    if (execution.status !== 'RUNNING') return finishWithHeader(target, execution, values.json!);
    console.log(`Run ${execution.name}: RUNNING since ${seconds(execution.startDate)}`);
    if (target.records) {
      const outcomes = await recordedOutcomes(execution.name!);
      console.log(formatTable(['LAYER', 'REGION', 'SO FAR'], outcomes.map((outcome) => [outcome.layerName, outcome.region ?? '', explainOutcome(outcome)])));
    }
    return EXIT.ok;
  },
};

async function finishWithHeader(target: PipelineTarget, execution: DescribeExecutionCommandOutput, json: boolean): Promise<number> {
  if (!json) console.log(`Run ${execution.name}: ${execution.status}, ${seconds(execution.startDate)} to ${seconds(execution.stopDate)}\n`);
  return finish(target, execution, json);
}

export const stopCommand: Command = {
  async run(args) {
    const { values, positionals } = parseOptions(args, { ...TARGET_OPTIONS, cause: { type: 'string' } }, true);
    const run = runOf(positionals, 'stop');
    const target = await findPipeline(values);
    const executionArn = executionArnOf(target, run);
    const before = await knownExecution(target, run, () => target.sfn.send(new DescribeExecutionCommand({ executionArn })));
    if (before.status !== 'RUNNING') {
      console.log(`Run ${before.name} is not running (${before.status}); nothing to stop.`);
      return EXIT.ok;
    }
    await target.sfn.send(new StopExecutionCommand({ executionArn, error: 'lamina.Stopped', cause: values.cause ?? 'stopped with lamina stop' }));
    const after = await target.sfn.send(new DescribeExecutionCommand({ executionArn }));
    console.log(`Run ${after.name}: ${after.status}`);
    return EXIT.ok;
  },
};
