import {
  DescribeExecutionCommand,
  GetExecutionHistoryCommand,
  ListExecutionsCommand,
  SFNClient,
  StartExecutionCommand,
  StopExecutionCommand,
} from '@aws-sdk/client-sfn';
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { lamina, ROOT } from '../support/cli';

const REGIONS = ['us-east-1', 'eu-west-1', 'ap-southeast-2'];
const CATALOG = `settings:
  prefix: demo
  regions: [${REGIONS.join(', ')}]
layers:
  - name: bash
    kind: bash-runtime
  - name: tools
    kind: bash-runtime
    description: Another Bash runtime layer
`;

/** `lamina serve` as a person starts it; resolves once it has printed its Step Functions endpoint and state machine. */
function serve(dir: string): Promise<{ child: ChildProcessWithoutNullStreams; endpoint: string; arn: string; output: () => string }> {
  const child = spawn(process.execPath, [path.join(ROOT, 'bin', 'lamina.cjs'), 'serve', '--port', '0', '--state', path.join(dir, 'served')], {
    cwd: dir,
    // Every layer-API call takes a second, as a slow region's would: a run publishes for at least 3 s, so the
    // execution that `lamina stop` aborts is still running when the stop arrives (without it, a run on a fast
    // machine could end before the stop's process started).
    env: { ...process.env, LAMINA_LOG_FORMAT: 'silent', LAMINA_EMULATOR_LATENCY_MS: '1000' },
  });
  let stdout = '';
  let stderr = '';
  child.stderr.on('data', (chunk) => (stderr += chunk));
  return new Promise((resolve, reject) => {
    child.on('exit', (code) => reject(new Error(`lamina serve exited ${code}: ${stderr}`)));
    child.stdout.on('data', (chunk) => {
      stdout += chunk;
      const endpoint = /^Step Functions API: (http:\/\/127\.0\.0\.1:\d+)$/m.exec(stdout)?.[1];
      const arn = /^State machine: (arn:aws:states:\S+)$/m.exec(stdout)?.[1];
      if (endpoint && arn) resolve({ child, endpoint, arn, output: () => stdout + stderr });
    });
  });
}

/** A CloudFormation endpoint whose one stack has no lamina outputs (DescribeStacks, query protocol). */
async function foreignStack(): Promise<{ url: string; server: Server }> {
  const server = createServer((request, response) => {
    request.resume();
    request.on('end', () => {
      response.writeHead(200, { 'content-type': 'text/xml' });
      response.end(
        '<DescribeStacksResponse xmlns="http://cloudformation.amazonaws.com/doc/2010-05-15/"><DescribeStacksResult><Stacks><member>' +
          '<StackName>Other</StackName><StackId>arn:aws:cloudformation:us-east-1:123456789012:stack/Other/1</StackId><StackStatus>CREATE_COMPLETE</StackStatus>' +
          '<CreationTime>2026-01-01T00:00:00Z</CreationTime><Outputs><member><OutputKey>BucketName</OutputKey><OutputValue>b</OutputValue></member></Outputs>' +
          '</member></Stacks></DescribeStacksResult><ResponseMetadata><RequestId>1</RequestId></ResponseMetadata></DescribeStacksResponse>',
      );
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, server };
}

describe('lamina start, runs, status and stop against the embedded Step Functions API', () => {
  let dir: string;
  let served: Awaited<ReturnType<typeof serve>>;
  let sfn: SFNClient;
  const state = () => ['--state', path.join(dir, 'served')];
  let runId: string;

  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'lamina-start-'));
    await writeFile(path.join(dir, 'catalog.yaml'), CATALOG);
    // A new, empty state folder: serve's pipeline fills it.
    await mkdir(path.join(dir, 'served'));
    served = await serve(dir);
    sfn = new SFNClient({ region: 'us-east-1', endpoint: served.endpoint, credentials: { accessKeyId: 'x', secretAccessKey: 'y' }, maxAttempts: 1 });
  }, 120_000);

  afterAll(async () => {
    if (served) {
      const exited = new Promise((resolve) => served.child.once('exit', resolve));
      served.child.kill('SIGTERM');
      await exited;
    }
    sfn?.destroy();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('lamina start --wait runs the catalog to the same summary and exit code as lamina run', async () => {
    expect(served.arn).toBe('arn:aws:states:us-east-1:000000000000:stateMachine:lamina-pipeline');
    const started = await lamina(['start', '--wait', '--poll-ms', '200', ...state()], dir);
    expect({ code: started.code, stderr: started.stderr }).toEqual({ code: 0, stderr: expect.stringContaining('Started run ') });
    runId = /Started run (\S+) on lamina serve/.exec(started.stderr)![1];
    // Progress per layer and region as the outcomes are recorded.
    for (const region of REGIONS) expect(started.stderr).toContain(`demo-bash ${region}: published (version 1)`);
    const run = await lamina(['run', '--state', path.join(dir, 'run')], dir);
    expect(run.code).toBe(0);
    expect(started.stdout).toBe(run.stdout);
    expect(started.stdout).toContain(`demo-tools  ap-southeast-2  arn:aws:lambda:ap-southeast-2:000000000000:layer:demo-tools:1`);
  });

  it('lamina runs and lamina status show the run and its outcome', async () => {
    const runs = await lamina(['runs', ...state()], dir);
    expect(runs.code).toBe(0);
    expect(runs.stdout).toMatch(new RegExp(`^${runId}\\s+SUCCEEDED\\s+\\S+\\s+\\S+\\s+6 published, 0 failed \\(of 6\\)$`, 'm'));
    const status = await lamina(['status', runId, ...state()], dir);
    expect(status.code).toBe(0);
    expect(status.stdout).toContain(`Run ${runId}: SUCCEEDED`);
    expect(status.stdout).toContain('demo-bash   eu-west-1');
  });

  it("the SDK's own client gets AWS's shapes: executions, history, idempotent starts", async () => {
    const executionArn = `arn:aws:states:us-east-1:000000000000:execution:lamina-pipeline:${runId}`;
    const described = await sfn.send(new DescribeExecutionCommand({ executionArn }));
    expect(described).toMatchObject({ executionArn, name: runId, status: 'SUCCEEDED', stateMachineArn: served.arn, redriveStatus: 'NOT_REDRIVABLE' });
    expect(described.startDate).toBeInstanceOf(Date);
    expect(described.stopDate!.getTime()).toBeGreaterThanOrEqual(described.startDate!.getTime());
    expect(JSON.parse(described.output!).summary).toMatchObject({ runId, counts: { published: 6, failed: 0 } });
    expect(JSON.parse(described.input!)).toMatchObject({ runId, force: false });

    const listed = await sfn.send(new ListExecutionsCommand({ stateMachineArn: served.arn }));
    expect(listed.executions?.map((execution) => execution.name)).toEqual([runId]);
    const history = await sfn.send(new GetExecutionHistoryCommand({ executionArn, maxResults: 3 }));
    expect(history.events?.map((event) => event.type)).toEqual(['ExecutionStarted', 'TaskStateEntered', 'TaskScheduled']);
    expect(history.events?.[0].executionStartedEventDetails?.roleArn).toMatch(/^arn:aws:iam::000000000000:role\//);
    expect(history.events?.[1].stateEnteredEventDetails?.name).toBe('Plan');
    expect(history.nextToken).toEqual(expect.any(String));
    const last = await sfn.send(new GetExecutionHistoryCommand({ executionArn, reverseOrder: true, maxResults: 1 }));
    expect(last.events?.[0]).toMatchObject({ type: 'ExecutionSucceeded' });
    expect(last.events?.[0].id).toBeGreaterThan(10);

    // A closed execution's name cannot be used again, whatever the input.
    await expect(sfn.send(new StartExecutionCommand({ stateMachineArn: served.arn, name: runId, input: described.input }))).rejects.toMatchObject({
      name: 'ExecutionAlreadyExists',
      $metadata: { httpStatusCode: 400 },
    });
    await expect(sfn.send(new DescribeExecutionCommand({ executionArn: `${executionArn}-nope` }))).rejects.toMatchObject({ name: 'ExecutionDoesNotExist' });
    await expect(sfn.send(new DescribeExecutionCommand({ executionArn: 'arn:aws:lambda:us-east-1:1:function:x' }))).rejects.toMatchObject({ name: 'InvalidArn' });
    await expect(sfn.send(new ListExecutionsCommand({ stateMachineArn: served.arn.replace('lamina-pipeline', 'other') }))).rejects.toMatchObject({ name: 'StateMachineDoesNotExist' });
    await expect(sfn.send(new StartExecutionCommand({ stateMachineArn: served.arn, name: 'has space' }))).rejects.toMatchObject({ name: 'InvalidName' });
    await expect(sfn.send(new StartExecutionCommand({ stateMachineArn: served.arn, input: '{not json' }))).rejects.toMatchObject({ name: 'InvalidExecutionInput' });
    await expect(sfn.send(new GetExecutionHistoryCommand({ executionArn, nextToken: 'forged' }))).rejects.toMatchObject({ name: 'InvalidToken' });
  });

  it('a running execution: the same name and input again is the same execution, another input is refused, and lamina stop aborts it', async () => {
    const name = 'stop-me';
    const input = JSON.stringify({ force: true, runId: name });
    const first = await sfn.send(new StartExecutionCommand({ stateMachineArn: served.arn, name, input }));
    const again = await sfn.send(new StartExecutionCommand({ stateMachineArn: served.arn, name, input }));
    expect(again.executionArn).toBe(first.executionArn);
    expect(again.startDate).toEqual(first.startDate);
    await expect(sfn.send(new StartExecutionCommand({ stateMachineArn: served.arn, name, input: '{"force":false}' }))).rejects.toMatchObject({ name: 'ExecutionAlreadyExists' });
    const stopped = await lamina(['stop', name, ...state()], dir);
    expect(stopped).toMatchObject({ code: 0, stdout: `Run ${name}: ABORTED\n` });
    const described = await sfn.send(new DescribeExecutionCommand({ executionArn: first.executionArn }));
    expect(described).toMatchObject({ status: 'ABORTED', error: 'lamina.Stopped', cause: 'stopped with lamina stop' });
    const last = await sfn.send(new GetExecutionHistoryCommand({ executionArn: first.executionArn, reverseOrder: true, maxResults: 1 }));
    expect(last.events?.[0]).toMatchObject({ type: 'ExecutionAborted', executionAbortedEventDetails: { error: 'lamina.Stopped' } });
    // Stopping it again changes nothing.
    expect(await sfn.send(new StopExecutionCommand({ executionArn: first.executionArn }))).toMatchObject({ stopDate: described.stopDate });
    expect((await lamina(['runs', '--status', 'ABORTED', ...state()], dir)).stdout).toMatch(/^stop-me\s+ABORTED/m);
  });

  it('bad input: an unknown run, a bad region, a stack without lamina outputs: exit 2, clear message, nothing started', async () => {
    const before = (await sfn.send(new ListExecutionsCommand({ stateMachineArn: served.arn }))).executions!.length;
    const unknown = await lamina(['status', 'no-such-run', ...state()], dir);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain('lamina status: no run "no-such-run" on arn:aws:states:us-east-1:000000000000:stateMachine:lamina-pipeline');
    expect((await lamina(['stop', 'no-such-run', ...state()], dir)).code).toBe(2);
    const region = await lamina(['start', '--regions', 'mars-east-1', ...state()], dir);
    expect({ code: region.code, stderr: region.stderr }).toEqual({ code: 2, stderr: 'lamina start: --regions: "mars-east-1" is not a region where Lambda runs\n' });
    const stack = await foreignStack();
    try {
      const foreign = await lamina(['start', '--stack-name', 'Other', '--region', 'us-east-1', '--state', path.join(dir, 'nothing-served')], dir, {
        AWS_ENDPOINT_URL_CLOUDFORMATION: stack.url,
        AWS_ACCESS_KEY_ID: 'x',
        AWS_SECRET_ACCESS_KEY: 'y',
      });
      expect(foreign.code).toBe(2);
      expect(foreign.stderr).toContain('stack Other has no StateMachineArn output, so it is not a lamina stack');
    } finally {
      await new Promise((resolve) => stack.server.close(resolve));
    }
    expect((await sfn.send(new ListExecutionsCommand({ stateMachineArn: served.arn }))).executions).toHaveLength(before);
  });
});
