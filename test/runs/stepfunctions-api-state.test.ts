import { DescribeExecutionCommand, GetExecutionHistoryCommand, ListExecutionsCommand, SFNClient, StartExecutionCommand } from '@aws-sdk/client-sfn';
import { promises as fs } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { startStepFunctionsApi, type ExecutionBackend, type ExecutionRecordView, type StepFunctionsApi } from '../../local/stepfunctions-api';

const STATE_MACHINE = 'arn:aws:states:us-east-1:000000000000:stateMachine:lamina-pipeline';

/** A backend whose executions succeed at once with one event each, so the test is about what the API keeps. */
function instantBackend(): ExecutionBackend {
  return {
    stateMachineArn: STATE_MACHINE,
    start(input, name) {
      const startDate = new Date();
      const record: ExecutionRecordView = {
        executionArn: `${STATE_MACHINE.replace(':stateMachine:', ':execution:')}:${name}`,
        name,
        stateMachineArn: STATE_MACHINE,
        status: 'RUNNING',
        startDate,
        input,
        history: { events: [{ id: 1, previousEventId: 0, type: 'ExecutionStarted', timestamp: startDate }] },
        done: undefined as unknown as ExecutionRecordView['done'],
      };
      record.done = new Promise((resolve) =>
        setImmediate(() => {
          Object.assign(record, { status: 'SUCCEEDED', stopDate: new Date(), output: { name } });
          resolve(record as never);
        }),
      );
      return record;
    },
    stop() {},
  };
}

describe('Step Functions API stand-in: stopped executions kept as a snapshot + journal keyed by execution', () => {
  let dataDir: string;
  let api: StepFunctionsApi;
  const start = () => startStepFunctionsApi({ backend: instantBackend(), dataDir });
  const sfn = () => new SFNClient({ region: 'us-east-1', endpoint: api.url, credentials: { accessKeyId: 'test', secretAccessKey: 'test' }, maxAttempts: 1 });
  const journalFile = () => path.join(dataDir, 'executions.journal.jsonl');

  beforeEach(async () => {
    dataDir = await fs.mkdtemp(path.join(os.tmpdir(), 'lamina-sfn-api-'));
    api = await start();
  });

  afterEach(async () => {
    await api.close();
    await fs.rm(dataDir, { recursive: true, force: true });
  });

  it('lists, describes and gives the history of executions of an earlier process', async () => {
    for (let i = 0; i < 5; i += 1) await sfn().send(new StartExecutionCommand({ stateMachineArn: STATE_MACHINE, name: `run-${i}`, input: `{"i":${i}}` }));
    await api.idle();
    await api.close();

    api = await start();
    const listed = await sfn().send(new ListExecutionsCommand({ stateMachineArn: STATE_MACHINE }));
    expect(listed.executions?.map((execution) => execution.name).sort()).toEqual(['run-0', 'run-1', 'run-2', 'run-3', 'run-4']);
    const executionArn = listed.executions!.find((execution) => execution.name === 'run-3')!.executionArn!;
    expect(await sfn().send(new DescribeExecutionCommand({ executionArn }))).toMatchObject({ status: 'SUCCEEDED', input: '{"i":3}', output: '{"name":"run-3"}' });
    const history = await sfn().send(new GetExecutionHistoryCommand({ executionArn }));
    expect(history.events?.map((event) => event.type)).toEqual(['ExecutionStarted']);
    await expect(sfn().send(new StartExecutionCommand({ stateMachineArn: STATE_MACHINE, name: 'run-3', input: '{"i":3}' }))).rejects.toMatchObject({ name: 'ExecutionAlreadyExists' });
  });

  it("writes each execution's end as one line of its own, not the whole index", async () => {
    for (let i = 0; i < 20; i += 1) await sfn().send(new StartExecutionCommand({ stateMachineArn: STATE_MACHINE, name: `many-${i}`, input: '{}' }));
    await api.idle();
    const lines = (await fs.readFile(journalFile(), 'utf8')).trim().split('\n').map((line) => JSON.parse(line));
    expect(lines).toHaveLength(20);
    expect(new Set(lines.map((line) => line.k)).size).toBe(20);
    expect(lines.every((line) => line.v.status === 'SUCCEEDED' && line.k === line.v.executionArn)).toBe(true);
  });

  it('loads an executions.json from before the journal, and refuses one that is not JSON, naming it', async () => {
    await sfn().send(new StartExecutionCommand({ stateMachineArn: STATE_MACHINE, name: 'old', input: '{}' }));
    await api.idle();
    await api.close();
    // The index as the stand-in wrote it before the journal: one object of every stopped execution.
    const entry = JSON.parse((await fs.readFile(journalFile(), 'utf8')).trim()).v;
    await fs.rm(journalFile());
    const indexFile = path.join(dataDir, 'executions.json');
    await fs.writeFile(indexFile, JSON.stringify({ [entry.executionArn]: entry }));
    api = await start();
    expect(await sfn().send(new DescribeExecutionCommand({ executionArn: entry.executionArn }))).toMatchObject({ name: 'old', status: 'SUCCEEDED' });
    await api.close();

    await fs.writeFile(indexFile, '{"arn:aws:states');
    await expect(start()).rejects.toThrow(`Step Functions stand-in state file ${indexFile} is not valid JSON`);
    await fs.rm(indexFile);
    api = await start();
  });
});
