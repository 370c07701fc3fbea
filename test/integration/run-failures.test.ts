import { MAX_CATALOG_TARGETS } from '../../functions/catalog/catalog';
import { MAX_RUN_TARGETS } from '../../functions/plan/run-limits';
import { startLocalPipeline, type LocalPipeline } from '../support/local-pipeline';

const REGIONS = ['us-east-1', 'eu-west-1'];
const catalog = (names: string[]) => `
settings:
  prefix: lamina
  regions: [${REGIONS.join(', ')}]
layers:
${names.map((name) => `  - name: ${name}\n    kind: bash-runtime\n`).join('')}`;

const boom = (message: string) => () => Object.assign(new Error(message), { name: 'InjectedFault' });

describe('every run ends with a summary saying what failed, and Expire runs (a Catch on every Task)', () => {
  let pipeline: LocalPipeline;
  beforeAll(async () => {
    pipeline = await startLocalPipeline(catalog(['bash']));
  });
  afterAll(() => pipeline?.close());

  it('a failing Report: its failure is recorded, the summary names it, Expire still runs', async () => {
    const { summary, outcomes, expire, execution } = await pipeline.run({}, { taskFaults: { Report: boom('report broke') } });
    expect(summary).toMatchObject({ failed: true, failedStep: 'Report' });
    expect(summary.error?.Cause).toMatch(/report broke/);
    expect(outcomes).toContainEqual(expect.objectContaining({ layerName: 'Report', status: 'failed', reason: 'report', detail: expect.stringMatching(/report broke/) }));
    // The layers themselves published; the run's counts come from their outcomes.
    expect(summary.counts.published).toBe(REGIONS.length);
    expect(expire).toMatchObject({ done: true, invocations: 1 });
    const states = execution.history.events.map((event) => `${event.type} ${event.details?.name ?? ''}`.trim());
    expect(states).toContain('TaskStateEntered RecordReportFailure');
    expect(states).toContain('TaskStateEntered Expire');
  });

  it('Report and its RecordFailure both failing: still a summary naming Report, and Expire runs', async () => {
    const { summary, outcomes, expire } = await pipeline.run({}, { taskFaults: { Report: boom('report broke'), RecordReportFailure: boom('table down') } });
    expect(summary).toMatchObject({ failed: true, failedStep: 'Report', error: { Error: 'InjectedFault' } });
    expect(outcomes.some((outcome) => outcome.layerName === 'Report')).toBe(false);
    expect(expire).toMatchObject({ done: true });
  });

  it("a failing RecordFailure inside a publish fails that publish's child execution, and the summary names the layer and region", async () => {
    await pipeline.writeCatalog(catalog(['bash', 'tools']));
    pipeline.services.emulator!.injectFault({ region: 'eu-west-1', operation: 'PublishLayerVersion', errorType: 'ServiceException', statusCode: 500 });
    try {
      const { summary, outcomes, executions } = await pipeline.run({}, { taskFaults: { RecordPublishFailure: boom('table down') } });
      expect(summary.failed).toBe(true);
      const tools = Object.fromEntries(outcomes.filter((outcome) => outcome.layerName === 'lamina-tools').map((outcome) => [outcome.region, outcome]));
      expect(tools['us-east-1']).toMatchObject({ status: 'published' });
      expect(tools['eu-west-1']).toMatchObject({ status: 'failed', reason: 'child-execution', detail: expect.stringMatching(/FailureNotRecorded/) });
      // The publish is a child execution of eu-west-1's map, itself a child of the Publishes map: only it failed.
      const publishOf = (execution: { input: unknown }) => execution.input as { layer?: { layerName: string }; region?: string };
      const failed = executions.filter((execution) => execution.status !== 'SUCCEEDED');
      expect(failed.map((execution) => [publishOf(execution).layer?.layerName, publishOf(execution).region, execution.status, execution.error])).toEqual([
        ['lamina-tools', 'eu-west-1', 'FAILED', 'lamina.FailureNotRecorded'],
      ]);
      const region = executions.find((execution) => execution.executionArn === failed[0].parentExecutionArn);
      expect(region).toMatchObject({ status: 'SUCCEEDED', input: expect.objectContaining({ region: 'eu-west-1' }) });
      expect(executions.find((execution) => execution.executionArn === region?.parentExecutionArn)).toBe(executions[0]);
    } finally {
      pipeline.services.emulator!.clearFaults();
    }
  });

  it('a failing PlanPublishes: recorded and named, nothing published, the layers counted failed, Expire runs', async () => {
    await pipeline.writeCatalog(catalog(['bash', 'fresh']));
    const before = (await pipeline.services.emulator!.snapshot()).length;
    const { summary, outcomes, expire, execution } = await pipeline.run({}, { taskFaults: { PlanPublishes: boom('planning publishes broke') } });
    expect(summary.failed).toBe(true);
    expect(outcomes).toContainEqual(expect.objectContaining({ layerName: 'PlanPublishes', status: 'failed', reason: 'publishes', detail: expect.stringMatching(/planning publishes broke/) }));
    // Built and sealed, never published: each of its layer × region is one failure, and Lambda got nothing.
    const fresh = outcomes.filter((outcome) => outcome.layerName === 'lamina-fresh');
    expect(fresh.map((outcome) => [outcome.region, outcome.status, outcome.reason])).toEqual(REGIONS.map((region) => [region, 'failed', 'no-outcome']).sort());
    expect((await pipeline.services.emulator!.snapshot()).length).toBe(before);
    expect(expire).toMatchObject({ done: true });
    const states = execution.history.events.map((event) => `${event.type} ${event.details?.name ?? ''}`.trim());
    expect(states).toContain('TaskStateEntered RecordPlanPublishesFailure');
    expect(states).not.toContain('MapStateEntered Publishes');
    // The next run publishes what this one could not.
    const rerun = await pipeline.run();
    expect(rerun.outcomes.filter((outcome) => outcome.layerName === 'lamina-fresh').map((outcome) => outcome.status)).toEqual(REGIONS.map(() => 'published'));
  });

  it('a failing Plan: recorded, named in the summary, nothing built, Expire runs', async () => {
    const { summary, outcomes, expire, executions } = await pipeline.run({}, { taskFaults: { Plan: boom('plan broke') } });
    expect(summary.failed).toBe(true);
    expect(outcomes).toEqual([expect.objectContaining({ layerName: 'Plan', status: 'failed', reason: 'plan', detail: expect.stringMatching(/plan broke/) })]);
    expect(executions).toHaveLength(1);
    expect(expire).toMatchObject({ done: true });
  });

  it('a catalog larger than a run takes is refused by Plan with the number and the limit, before anything is built', async () => {
    // Within the catalog's own bounds (entries), but each Python entry expands to 5 runtimes × 2 architectures.
    expect(MAX_CATALOG_TARGETS).toBeLessThanOrEqual(MAX_RUN_TARGETS);
    const entries = Math.floor(MAX_CATALOG_TARGETS / 10) + 1;
    const python = Array.from({ length: entries }, (_, index) =>
      `  - name: p${index}\n    kind: python\n    requirements: [requests]\n    runtimes: [python3.9, python3.10, python3.11, python3.12, python3.13]\n    architectures: [x86_64, arm64]\n`,
    ).join('');
    await pipeline.writeCatalog(`${catalog(['bash'])}${python}`);
    const before = (await pipeline.services.emulator!.snapshot()).length;
    const { summary, outcomes, executions } = await pipeline.run();
    expect(summary.failed).toBe(true);
    const [refusal] = outcomes;
    expect(outcomes).toHaveLength(1);
    expect(refusal).toMatchObject({ layerName: 'Plan', status: 'failed', reason: 'plan' });
    expect(refusal.detail).toContain(`${entries * 10 + 1} layers`);
    expect(refusal.detail).toContain(`limit of ${MAX_CATALOG_TARGETS}`);
    expect(executions).toHaveLength(1);
    expect((await pipeline.services.emulator!.snapshot()).length).toBe(before);
  }, 120_000);
});
