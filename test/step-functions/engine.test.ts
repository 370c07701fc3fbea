import { LocalStepFunctions, type AslMachine, type EngineOptions } from '../../local/step-functions/engine';
import { MAX_STATE_PAYLOAD_BYTES } from '../../local/step-functions/errors';
import { HISTORY_LIMIT_CAUSE, MAX_HISTORY_EVENTS } from '../../local/step-functions/history';

const FN = 'arn:aws:lambda:us-east-1:000000000000:function:work';

function engineWith(invokeTask: EngineOptions['invokeTask'], objects = new Map<string, string>()) {
  return new LocalStepFunctions({
    invokeTask,
    retryIntervalMs: 1,
    s3: {
      getObject: async (bucket, key) => {
        const body = objects.get(`${bucket}/${key}`);
        if (body === undefined) throw Object.assign(new Error('The specified key does not exist.'), { name: 'NoSuchKey' });
        return body;
      },
      putObject: async (bucket, key, body) => void objects.set(`${bucket}/${key}`, body),
    },
  });
}

async function run(engine: LocalStepFunctions, machine: AslMachine, input: unknown = {}) {
  const execution = engine.startExecution(machine, input, { stateMachineArn: engine.stateMachineArn('test') });
  return execution.done;
}

const catchAll = (next: string) => [{ ErrorEquals: ['States.ALL'], ResultPath: '$.error', Next: next }];

describe('the local Step Functions engine models AWS limits', () => {
  it('fails an execution whose inline Map goes over 25,000 history events, as AWS does, and no Catch handles it', async () => {
    const items = Array.from({ length: 7_000 }, (_, index) => index);
    const machine: AslMachine = {
      StartAt: 'Each',
      States: {
        Each: {
          Type: 'Map',
          ItemsPath: '$.items',
          ItemProcessor: { ProcessorConfig: { Mode: 'INLINE' }, StartAt: 'Step', States: { Step: { Type: 'Pass', End: true } } },
          ResultPath: null,
          Catch: catchAll('Caught'),
          Next: 'Done',
        },
        Caught: { Type: 'Pass', End: true },
        Done: { Type: 'Succeed' },
      },
    };
    const execution = await run(engineWith(async () => null), machine, { items });
    expect(execution.status).toBe('FAILED');
    expect({ error: execution.error, cause: execution.cause }).toEqual({ error: 'States.Runtime', cause: HISTORY_LIMIT_CAUSE });
    expect(execution.history.count).toBe(MAX_HISTORY_EVENTS);
    expect(execution.history.events.at(-1)).toMatchObject({ type: 'ExecutionFailed', id: MAX_HISTORY_EVENTS });
    expect(execution.history.events.some((event) => event.details?.name === 'Caught')).toBe(false);

    // The same Map over fewer items stays under the quota and succeeds: 2 + 4 (Map) + 4 per iteration + 2 (Succeed).
    const small = await run(engineWith(async () => null), machine, { items: items.slice(0, 100) });
    expect(small.status).toBe('SUCCEEDED');
    expect(small.history.count).toBe(2 + 4 + 100 * 4 + 2);
  }, 120_000);

  it('counts a Lambda task as AWS does: 5 events, and 3 more per retry', async () => {
    let calls = 0;
    const engine = engineWith(async () => {
      calls++;
      if (calls < 3) throw Object.assign(new Error('busy'), { name: 'Lambda.TooManyRequestsException' });
      return { ok: true };
    });
    const execution = await run(engine, {
      StartAt: 'Work',
      States: { Work: { Type: 'Task', Resource: FN, Retry: [{ ErrorEquals: ['Lambda.TooManyRequestsException'], MaxAttempts: 3 }], End: true } },
    });
    expect(execution.status).toBe('SUCCEEDED');
    expect(execution.history.events.map((event) => event.type)).toEqual([
      'ExecutionStarted',
      'TaskStateEntered',
      'TaskScheduled', 'TaskStarted', 'TaskFailed',
      'TaskScheduled', 'TaskStarted', 'TaskFailed',
      'TaskScheduled', 'TaskStarted', 'TaskSucceeded',
      'TaskStateExited',
      'ExecutionSucceeded',
    ]);
  });

  it('fails a state whose output is over 256 KB after ResultPath, and States.ALL does not catch it', async () => {
    const big = 'x'.repeat(200_000);
    const machine: AslMachine = {
      StartAt: 'Work',
      States: {
        // The task's result is under the limit; the state's output (input + result at ResultPath) is not.
        Work: { Type: 'Task', Resource: FN, ResultPath: '$.result', Catch: catchAll('Caught'), Next: 'Done' },
        Caught: { Type: 'Pass', End: true },
        Done: { Type: 'Succeed' },
      },
    };
    const engine = engineWith(async () => ({ more: 'y'.repeat(100_000) }));
    const execution = await run(engine, machine, { big });
    expect(execution.status).toBe('FAILED');
    expect(execution.error).toBe('States.DataLimitExceeded');
    expect(execution.cause).toMatch(new RegExp(`the output of Work is \\d+ bytes, over Step Functions' ${MAX_STATE_PAYLOAD_BYTES}-byte limit`));
    expect(execution.history.events.some((event) => event.details?.name === 'Caught')).toBe(false);

    // Under the limit the same state passes; a Catch naming the error itself does handle it.
    expect((await run(engine, machine, { big: 'small' })).status).toBe('SUCCEEDED');
    const named = await run(engine, {
      ...machine,
      States: { ...machine.States, Work: { ...machine.States.Work, Catch: [{ ErrorEquals: ['States.DataLimitExceeded'], ResultPath: null, Next: 'Caught' }] } },
    }, { big });
    expect(named.status).toBe('SUCCEEDED');
    expect(named.history.events.some((event) => event.type === 'PassStateEntered' && event.details?.name === 'Caught')).toBe(true);
  });

  it('fails a task whose result alone is over 256 KB, and checks inputs too', async () => {
    const execution = await run(engineWith(async () => 'z'.repeat(MAX_STATE_PAYLOAD_BYTES)), {
      StartAt: 'Work',
      States: { Work: { Type: 'Task', Resource: FN, Catch: catchAll('Caught'), End: true }, Caught: { Type: 'Pass', End: true } },
    });
    expect({ status: execution.status, error: execution.error }).toEqual({ status: 'FAILED', error: 'States.DataLimitExceeded' });
    expect(execution.cause).toMatch(/the result of Work/);
    const input = await run(engineWith(async () => null), { StartAt: 'Work', States: { Work: { Type: 'Pass', End: true } } }, { big: 'x'.repeat(300_000) });
    expect({ status: input.status, error: input.error }).toEqual({ status: 'FAILED', error: 'States.DataLimitExceeded' });
  });

  it('runs an inline Map at most 40 iterations at once, whatever MaxConcurrency says', async () => {
    let running = 0;
    let most = 0;
    const engine = engineWith(async () => {
      running++;
      most = Math.max(most, running);
      await new Promise((resolve) => setTimeout(resolve, 20));
      running--;
      return null;
    });
    const execution = await run(engine, {
      StartAt: 'Each',
      States: {
        Each: {
          Type: 'Map',
          MaxConcurrency: 100,
          ItemProcessor: { ProcessorConfig: { Mode: 'INLINE' }, StartAt: 'Work', States: { Work: { Type: 'Task', Resource: FN, End: true } } },
          End: true,
        },
      },
    }, Array.from({ length: 120 }, (_, index) => index));
    expect(execution.status).toBe('SUCCEEDED');
    expect(most).toBe(40);
  });

  it('runs an inline Map inside an inline Map (the pipeline\'s InlinePublishes): each inner one at its own MaxConcurrency, all events in the one history', async () => {
    const running = new Map<string, number>();
    const most = new Map<string, number>();
    let total = 0;
    let mostTotal = 0;
    const seen: unknown[] = [];
    const engine = engineWith(async (_resource, input) => {
      const { group } = input as { group: string };
      seen.push(input);
      running.set(group, (running.get(group) ?? 0) + 1);
      most.set(group, Math.max(most.get(group) ?? 0, running.get(group)!));
      mostTotal = Math.max(mostTotal, ++total);
      await new Promise((resolve) => setTimeout(resolve, 20));
      running.set(group, running.get(group)! - 1);
      total--;
      return null;
    });
    const machine: AslMachine = {
      StartAt: 'Which',
      States: {
        Which: { Type: 'Choice', Choices: [{ Variable: '$.plan.inline', IsPresent: true, Next: 'Groups' }], Default: 'Other' },
        Other: { Type: 'Fail', Error: 'Wrong' },
        Groups: {
          Type: 'Map',
          ItemsPath: '$.plan.inline.groups',
          ItemSelector: { 'group.$': '$$.Map.Item.Value.name', 'positions.$': '$$.Map.Item.Value.items', 'things.$': '$.plan.inline.things' },
          MaxConcurrency: 0,
          ItemProcessor: {
            ProcessorConfig: { Mode: 'INLINE' },
            StartAt: 'Group',
            States: {
              Group: {
                Type: 'Map',
                ItemsPath: '$.positions',
                ItemSelector: { 'group.$': '$.group', 'thing.$': 'States.ArrayGetItem($.things, $$.Map.Item.Value)' },
                MaxConcurrency: 2,
                ItemProcessor: { ProcessorConfig: { Mode: 'INLINE' }, StartAt: 'Work', States: { Work: { Type: 'Task', Resource: FN, ResultPath: null, OutputPath: '$.thing', End: true } } },
                End: true,
              },
            },
          },
          ResultPath: '$.results',
          End: true,
        },
      },
    };
    const groups = ['a', 'b', 'c'].map((name) => ({ name, items: [0, 1, 2, 3, 4] }));
    const execution = await run(engine, machine, { plan: { inline: { things: ['t0', 't1', 't2', 't3', 't4'], groups } } });
    expect(execution.status).toBe('SUCCEEDED');
    expect([...most.values()]).toEqual([2, 2, 2]);
    expect(mostTotal).toBe(6);
    expect(seen).toContainEqual({ group: 'b', thing: 't3' });
    expect((execution.output as { results: unknown }).results).toEqual(groups.map(() => ['t0', 't1', 't2', 't3', 't4']));
    // One execution: 2 + Choice 2 + outer Map 4 + per group (2 + inner Map 4 + per item (2 + Task 5)).
    expect(engine.executions.size).toBe(1);
    expect(execution.history.count).toBe(2 + 2 + 4 + 3 * (2 + 4 + 5 * (2 + 5)));
  });

  it('runs a Distributed Map: items from S3, one child execution each with its own history, tolerated failures, a ResultWriter', async () => {
    const objects = new Map<string, string>([['bucket/items.json', JSON.stringify(Array.from({ length: 300 }, (_, n) => ({ n })))]]);
    const engine = engineWith(async (_resource, input) => {
      const { n } = input as { n: number };
      if (n === 7) throw Object.assign(new Error(`item ${n} broke`), { name: 'Broken' });
      return { doubled: n * 2 };
    }, objects);
    const machine: AslMachine = {
      StartAt: 'Fan',
      States: {
        Fan: {
          Type: 'Map',
          Label: 'Fan',
          MaxConcurrency: 8,
          ToleratedFailurePercentage: 1,
          ItemReader: { Resource: 'arn:aws:states:::s3:getObject', ReaderConfig: { InputType: 'JSON' }, Parameters: { Bucket: 'bucket', 'Key.$': '$.key' } },
          ItemSelector: { 'n.$': '$$.Map.Item.Value.n', 'tag.$': '$.tag' },
          ResultWriter: { Resource: 'arn:aws:states:::s3:putObject', Parameters: { Bucket: 'bucket', Prefix: 'results' } },
          ItemProcessor: {
            ProcessorConfig: { Mode: 'DISTRIBUTED', ExecutionType: 'STANDARD' },
            StartAt: 'Work',
            States: { Work: { Type: 'Task', Resource: FN, End: true } },
          },
          ResultPath: '$.fan',
          End: true,
        },
      },
    };
    const parent = await run(engine, machine, { key: 'items.json', tag: 't' });
    expect(parent.status).toBe('SUCCEEDED');
    // The parent's history does not grow with the items: execution 2, Map 6.
    expect(parent.history.events.map((event) => event.type)).toEqual([
      'ExecutionStarted', 'MapStateEntered', 'MapStateStarted', 'MapRunStarted', 'MapRunSucceeded', 'MapStateSucceeded', 'MapStateExited', 'ExecutionSucceeded',
    ]);
    const children = [...engine.executions.values()].filter((execution) => execution.parentExecutionArn === parent.executionArn);
    expect(children).toHaveLength(300);
    expect(new Set(children.map((child) => child.history))).toHaveProperty('size', 300);
    expect(children.find((child) => (child.input as { n: number }).n === 3)).toMatchObject({ status: 'SUCCEEDED', input: { n: 3, tag: 't' }, output: { doubled: 6 } });
    expect(children.filter((child) => child.status === 'FAILED').map((child) => child.error)).toEqual(['Broken']);
    for (const child of children) expect(child.executionArn).toMatch(/^arn:aws:states:us-east-1:000000000000:execution:test\/Fan:[0-9a-f-]{36}$/);

    const { MapRunArn, ResultWriterDetails } = (parent.output as { fan: { MapRunArn: string; ResultWriterDetails: { Bucket: string; Key: string } } }).fan;
    expect(MapRunArn).toMatch(/^arn:aws:states:us-east-1:000000000000:mapRun:test\/Fan:/);
    const manifest = JSON.parse(objects.get(`bucket/${ResultWriterDetails.Key}`)!);
    expect(manifest.ResultFiles.SUCCEEDED).toHaveLength(1);
    const failed = JSON.parse(objects.get(`bucket/${manifest.ResultFiles.FAILED[0].Key}`)!);
    expect(failed).toEqual([expect.objectContaining({ Status: 'FAILED', Error: 'Broken', Input: JSON.stringify({ n: 7, tag: 't' }) })]);

    // Over the tolerated share the Map Run fails, and a Catch may handle that.
    objects.set('bucket/items.json', JSON.stringify([{ n: 7 }, { n: 1 }]));
    const over = await run(engine, machine, { key: 'items.json', tag: 't' });
    expect({ status: over.status, error: over.error }).toEqual({ status: 'FAILED', error: 'States.ExceedToleratedFailureThreshold' });
    // An items object that is not there fails the state with States.ItemReaderFailed.
    const missing = await run(engine, machine, { key: 'nothing.json', tag: 't' });
    expect({ status: missing.status, error: missing.error }).toEqual({ status: 'FAILED', error: 'States.ItemReaderFailed' });
  });
  it('runs a Distributed Map inside a Distributed Map\'s child: each child its own Map Run, whose children have their own histories', async () => {
    // One group's items would be over the quota as an inline Map in its child's history: 4,000 x (2 + 5) events.
    const groups = { a: 4_000, b: 3 };
    const objects = new Map<string, string>(Object.entries(groups).map(([group, count]) => [`bucket/${group}.json`, JSON.stringify(Array.from({ length: count }, (_, n) => ({ n })))]));
    const engine = engineWith(async (_resource, input) => {
      const { group, item } = input as { group: string; item: { n: number } };
      if (group === 'b' && item.n === 1) throw Object.assign(new Error('b1 broke'), { name: 'Broken' });
      return `${group}${item.n}`;
    }, objects);
    const writer = { Resource: 'arn:aws:states:::s3:putObject', Parameters: { Bucket: 'bucket', Prefix: 'results' } };
    const machine: AslMachine = {
      StartAt: 'Groups',
      States: {
        Groups: {
          Type: 'Map',
          Label: 'Groups',
          ItemsPath: '$.groups',
          ItemSelector: { 'group.$': '$$.Map.Item.Value' },
          ToleratedFailurePercentage: 100,
          ResultWriter: writer,
          ItemProcessor: {
            ProcessorConfig: { Mode: 'DISTRIBUTED', ExecutionType: 'STANDARD' },
            StartAt: 'Items',
            States: {
              Items: {
                Type: 'Map',
                Label: 'Items',
                MaxConcurrency: 4,
                ToleratedFailurePercentage: 100,
                ItemReader: { Resource: 'arn:aws:states:::s3:getObject', ReaderConfig: { InputType: 'JSON' }, Parameters: { Bucket: 'bucket', 'Key.$': "States.Format('{}.json', $.group)" } },
                ItemSelector: { 'group.$': '$.group', 'item.$': '$$.Map.Item.Value' },
                ResultWriter: writer,
                ItemProcessor: {
                  ProcessorConfig: { Mode: 'DISTRIBUTED', ExecutionType: 'STANDARD' },
                  StartAt: 'Work',
                  States: { Work: { Type: 'Task', Resource: FN, End: true } },
                },
                End: true,
              },
            },
          },
          ResultPath: '$.groups',
          End: true,
        },
      },
    };
    const parent = await run(engine, machine, { groups: Object.keys(groups) });
    expect(parent.status).toBe('SUCCEEDED');
    const childrenOf = (execution: { executionArn: string }) => [...engine.executions.values()].filter((child) => child.parentExecutionArn === execution.executionArn);
    const groupChildren = childrenOf(parent);
    expect(groupChildren.map((child) => child.input)).toEqual([{ group: 'a' }, { group: 'b' }]);
    for (const child of groupChildren) {
      expect(child.executionArn).toMatch(/^arn:aws:states:us-east-1:000000000000:execution:test\/Groups:[0-9a-f-]{36}$/);
      // A group's history is its own Map Run's 6 events and the execution's 2, whatever the number of its items.
      expect(child.history.count).toBe(8);
      expect(child.status).toBe('SUCCEEDED');
    }
    const [a, b] = groupChildren;
    expect(childrenOf(a)).toHaveLength(groups.a);
    expect(childrenOf(a).reduce((sum, child) => sum + child.history.count, 0)).toBeGreaterThan(MAX_HISTORY_EVENTS);
    for (const item of childrenOf(b)) expect(item.executionArn).toMatch(/^arn:aws:states:us-east-1:000000000000:execution:test\/Items:[0-9a-f-]{36}$/);
    // A failed item fails only its own execution; its group's Map Run results name it.
    const { ResultWriterDetails } = b.output as { ResultWriterDetails: { Key: string } };
    const manifest = JSON.parse(objects.get(`bucket/${ResultWriterDetails.Key}`)!);
    const failed = JSON.parse(objects.get(`bucket/${manifest.ResultFiles.FAILED[0].Key}`)!);
    expect(failed).toEqual([expect.objectContaining({ Status: 'FAILED', Error: 'Broken', Input: JSON.stringify({ group: 'b', item: { n: 1 } }) })]);
    const succeeded = JSON.parse(objects.get(`bucket/${manifest.ResultFiles.SUCCEEDED[0].Key}`)!) as { Output: string }[];
    expect(succeeded.map((entry) => JSON.parse(entry.Output)).sort()).toEqual(['b0', 'b2']);
  }, 120_000);
});
