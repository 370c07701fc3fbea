import { MAX_CATALOG_TARGETS } from '../../functions/catalog/catalog';
import { INLINE_PUBLISH_WORST_EVENTS, INLINE_PUBLISHING_EVENTS, INLINE_REGION_EVENTS, MAX_RUN_TARGETS } from '../../functions/plan/run-limits';
import { FAILURE_NOT_RECORDED, FAILURE_NOT_RECORDED_CAUSE } from '../../functions/shared/pipeline-events';
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

  it("distributed path: a failing RecordFailure inside a publish fails that publish's child execution, and the summary names the layer and region", async () => {
    await pipeline.writeCatalog(catalog(['bash', 'tools']));
    pipeline.services.emulator!.injectFault({ region: 'eu-west-1', operation: 'PublishLayerVersion', errorType: 'ServiceException', statusCode: 500 });
    // Over the inline budget (lowered: the run has 2 publishes), so the plan goes to the Distributed Maps.
    process.env.LAMINA_INLINE_PUBLISHES = '1';
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
      expect(summary.failures).toContainEqual(expect.objectContaining({ layerName: 'lamina-tools', region: 'eu-west-1', reason: 'child-execution' }));
    } finally {
      delete process.env.LAMINA_INLINE_PUBLISHES;
      pipeline.services.emulator!.clearFaults();
    }
  });

  it('inline path: a publish whose failure could not be recorded ends in a marker, the summary names it, the other publishes go on', async () => {
    await pipeline.writeCatalog(catalog(['bash', 'inline1', 'inline2']));
    pipeline.services.emulator!.injectFault({ region: 'eu-west-1', operation: 'PublishLayerVersion', errorType: 'ServiceException', statusCode: 500 });
    try {
      const { summary, outcomes, executions, execution } = await pipeline.run({}, { taskFaults: { InlineRecordPublishFailure: boom('table down') } });
      expect(summary.failed).toBe(true);
      const byPlace = Object.fromEntries(outcomes.filter((outcome) => outcome.layerName.startsWith('lamina-inline')).map((outcome) => [`${outcome.layerName} ${outcome.region}`, outcome]));
      // eu-west-1 refuses every new version and nothing could record it: each is named as the distributed path names it.
      const unrecorded = { status: 'failed', reason: 'child-execution', detail: `${FAILURE_NOT_RECORDED}: ${FAILURE_NOT_RECORDED_CAUSE}` };
      expect(byPlace).toEqual({
        'lamina-inline1 eu-west-1': expect.objectContaining(unrecorded),
        'lamina-inline1 us-east-1': expect.objectContaining({ status: 'published' }),
        'lamina-inline2 eu-west-1': expect.objectContaining(unrecorded),
        'lamina-inline2 us-east-1': expect.objectContaining({ status: 'published' }),
      });
      expect(summary.failures).toEqual(expect.arrayContaining([
        expect.objectContaining({ layerName: 'lamina-inline1', region: 'eu-west-1', reason: 'child-execution' }),
        expect.objectContaining({ layerName: 'lamina-inline2', region: 'eu-west-1', reason: 'child-execution' }),
      ]));
      // All of it in the run's own execution: no child executions but the builds', the inline Map itself succeeded.
      expect(executions.filter((child) => child !== execution).every((child) => child.mapRunArn?.includes('/Builds:'))).toBe(true);
      expect(executions.every((child) => child.status === 'SUCCEEDED')).toBe(true);
      const states = execution.history.events.map((event) => `${event.type} ${event.details?.name ?? ''}`.trim());
      expect(states).toContain('MapStateSucceeded InlinePublishes');
      expect(states.filter((state) => state === 'PassStateEntered InlinePublishFailureNotRecorded')).toHaveLength(2);
      expect(states).not.toContain('MapStateEntered Publishes');
      // The next run publishes what this one could not.
      pipeline.services.emulator!.clearFaults();
      const rerun = await pipeline.run();
      expect(rerun.summary.failed).toBe(false);
      expect(rerun.outcomes.filter((outcome) => outcome.region === 'eu-west-1' && outcome.layerName.startsWith('lamina-inline')).map((outcome) => outcome.status)).toEqual(['published', 'published']);
    } finally {
      pipeline.services.emulator!.clearFaults();
    }
  });

  it("inline path: each publish at its worst adds the history events the inline budget counts (functions/plan/run-limits.ts)", async () => {
    await pipeline.writeCatalog(catalog(['bash', 'worst1', 'worst2']));
    // Every attempt of Publish fails with an error its Retry takes, then every attempt of its RecordFailure.
    const retried = (name: string) => () => Object.assign(new Error('again'), { name });
    const { execution, summary } = await pipeline.run({}, {
      taskFaults: { InlinePublish: retried('ServiceException'), InlineRecordPublishFailure: retried('Lambda.ServiceException') },
    });
    expect(summary.failed).toBe(true);
    const names = execution.history.events.map((event) => `${event.type} ${event.details?.name ?? ''}`.trim());
    // The events of the publishing states (the engine writes the library's Choice events as they come, so by name, not by place).
    const publishingStates = new Set(['PublishPath', 'InlinePublishes', 'InlineRegionPublishes', 'InlinePublish', 'InlineRecordPublishFailure', 'InlinePublishFailureNotRecorded']);
    const publishing = execution.history.events.filter((event) => publishingStates.has(event.details?.name ?? ''));
    const publishes = names.filter((name) => name === 'TaskStateEntered InlinePublish').length;
    expect(publishes).toBeGreaterThanOrEqual(2 * REGIONS.length);
    expect(names.filter((name) => name === 'MapIterationStarted InlinePublishes')).toHaveLength(REGIONS.length);
    // Publish: 1 + MaxAttempts 6 attempts; RecordPublishFailure: 1 + 3; then the marker.
    expect(names.filter((name) => name === 'TaskFailed InlinePublish')).toHaveLength(publishes * 7);
    expect(names.filter((name) => name === 'TaskFailed InlineRecordPublishFailure')).toHaveLength(publishes * 4);
    expect(names.filter((name) => name === 'PassStateExited InlinePublishFailureNotRecorded')).toHaveLength(publishes);
    expect(publishing).toHaveLength(INLINE_PUBLISHING_EVENTS + INLINE_REGION_EVENTS * REGIONS.length + INLINE_PUBLISH_WORST_EVENTS * publishes);
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
