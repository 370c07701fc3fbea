// The SDK's own retries off, so that every attempt the test counts is one the state machine made.
import '../support/single-sdk-attempt';
import { handleListingRequest } from '../../functions/listing/routes';
import { LayerStore } from '../../functions/store/layer-store';
import { startLocalPipeline, type LocalPipeline } from '../support/local-pipeline';
import { taskStates } from '../../statemachine/definition';

const FLAKY = 'ap-southeast-2';
const DENIED = 'eu-west-2';
const REGIONS = ['us-east-1', FLAKY, DENIED];
const LAYERS = ['lamina-bash', 'lamina-bash2'];

/**
 * Region health through the real local pipeline: a region whose Lambda fails with injected service errors in N
 * runs in a row is marked unhealthy and then tried once per run (one probe, no publishes) until it answers, when
 * every layer is backfilled there; a region that denies lamina is reported as such and never retried in a loop.
 */
/** Task state → handler: Publish runs as the Publish state on the distributed path, InlinePublish on the inline one. */
const HANDLERS = taskStates();

describe('region health', () => {
  let pipeline: LocalPipeline;
  const store = () => new LayerStore();
  const serviceFault = { region: FLAKY, errorType: 'ServiceException', statusCode: 500, message: 'Injected: the region is down' };
  const deniedFault = {
    region: DENIED,
    errorType: 'AccessDeniedException',
    statusCode: 403,
    message: 'User: arn:aws:sts::000000000000:assumed-role/publish is not authorized to perform: lambda:ListLayers',
  };
  /** The requests the emulator got in one region during `work`. */
  async function requestsDuring<T>(region: string, work: () => Promise<T>): Promise<{ result: T; operations: string[] }> {
    const before = pipeline.services.emulator!.requests().length;
    const result = await work();
    const operations = pipeline.services.emulator!.requests().slice(before).filter((r) => r.region === region).map((r) => r.operation);
    return { result, operations };
  }

  /** The settings each Publish got, by region, in the last run. */
  let publishSettings: { region: string; suspectRegions?: string[] }[] = [];

  beforeAll(async () => {
    pipeline = await startLocalPipeline(`
settings:
  regions: [${REGIONS.join(', ')}]
  unhealthyAfterRuns: 2
layers:
  - name: bash
    kind: bash-runtime
  - name: bash2
    kind: bash-runtime
`, {
      onTask: (state, input) => {
        const event = input as { region: string; settings: { suspectRegions?: string[] } };
        if (HANDLERS[state] === 'publish') publishSettings.push({ region: event.region, suspectRegions: event.settings.suspectRegions });
      },
    });
    pipeline.services.emulator!.injectFault(serviceFault);
    pipeline.services.emulator!.injectFault(deniedFault);
  }, 120_000);
  afterAll(() => pipeline?.close());

  it('counts a run of service failures; an access-denied region is reported as such at once, without retries', async () => {
    const { result, operations } = await requestsDuring(DENIED, () => pipeline.run());
    const { outcomes, summary } = result;
    const inRegion = (region: string) => outcomes.filter((o) => o.region === region);
    expect(inRegion('us-east-1').map((o) => o.status)).toEqual(['published', 'published']);
    expect(inRegion(FLAKY).map((o) => o.reason)).toEqual(['region-service-error', 'region-service-error']);
    expect(inRegion(DENIED).map((o) => o.reason)).toEqual(['region-permission-denied', 'region-permission-denied']);
    expect(inRegion(DENIED)[0].detail).toMatch(/AccessDeniedException: User: .* is not authorized/);
    // One attempt: a refusal is never retried, and nothing is published into a region that refuses lamina.
    expect(operations).toEqual(['ListLayers']);
    expect(summary.regionHealth).toEqual([expect.objectContaining({ region: DENIED, status: 'denied' })]);
    expect(await store().getRegionHealth(FLAKY)).toMatchObject({ status: 'healthy', failedRuns: 1 });
  });

  it(`after the N-th failed run the region is unhealthy; the denied region costs one probe a run`, async () => {
    const { result, operations } = await requestsDuring(DENIED, () => pipeline.run());
    expect(operations).toEqual(['ListLayers']);
    expect(result.outcomes.filter((o) => o.region === DENIED).map((o) => `${o.status} ${o.reason}`)).toEqual([
      'skipped region-denied',
      'skipped region-denied',
    ]);
    expect(await store().getRegionHealth(FLAKY)).toMatchObject({ status: 'unhealthy', failedRuns: 2, lastError: expect.stringMatching(/ServiceException/) });
    expect(result.summary.regionHealth?.map((h) => `${h.region} ${h.status}`)).toEqual([`${FLAKY} unhealthy`, `${DENIED} denied`]);
  });

  it('an unhealthy region is skipped quickly: one probe, no publish, and the listing says so', async () => {
    const { result, operations } = await requestsDuring(FLAKY, () => pipeline.run());
    expect(operations).toEqual(['ListLayers']);
    const flaky = result.outcomes.filter((o) => o.region === FLAKY);
    expect(flaky.map((o) => `${o.status} ${o.reason}`)).toEqual(['skipped region-unhealthy', 'skipped region-unhealthy']);
    expect(flaky[0].detail).toMatch(/unhealthy \(publishes failed for a service reason in 2 runs in a row.*this run's one try: ServiceException/);
    expect(await store().getRegionHealth(FLAKY)).toMatchObject({ status: 'unhealthy', failedRuns: 3 });

    const response = await handleListingRequest(
      { method: 'GET', path: '/v1/regions', query: new URLSearchParams('format=json'), headers: {} },
      { store: store(), readArtifact: async () => '' },
    );
    const listed = JSON.parse(response.body) as { items: { region: string; health: string; healthDetail?: string }[] };
    const health = Object.fromEntries(listed.items.map((item) => [item.region, item.health]));
    expect(health).toMatchObject({ 'us-east-1': 'healthy', [FLAKY]: 'unhealthy', [DENIED]: 'denied' });
  });

  it('when the region answers again, the next run backfills every layer there and marks it healthy', async () => {
    pipeline.services.emulator!.clearFaults();
    pipeline.services.emulator!.injectFault(deniedFault);
    publishSettings = [];
    const { result } = await requestsDuring(FLAKY, () => pipeline.run());
    expect(result.outcomes.filter((o) => o.region === FLAKY).map((o) => o.status)).toEqual(['published', 'published']);
    // Plan told every Publish which region is under suspicion (it answered Plan): each layer tried there once.
    expect(publishSettings.filter((p) => p.region === FLAKY)).toEqual([
      { region: FLAKY, suspectRegions: [FLAKY] },
      { region: FLAKY, suspectRegions: [FLAKY] },
    ]);
    const there = (await pipeline.services.emulator!.snapshot(FLAKY)).map((v) => v.layerName).sort();
    expect(there).toEqual(LAYERS);
    expect(await store().getRegionHealth(FLAKY)).toMatchObject({ status: 'healthy', failedRuns: 0 });
    expect(result.summary.regionHealth?.map((h) => h.region)).toEqual([DENIED]);
  });

  it('a denied region that is let in again is published to on the next run', async () => {
    pipeline.services.emulator!.clearFaults();
    publishSettings = [];
    const { outcomes, summary } = await pipeline.run();
    expect(outcomes.filter((o) => o.region === DENIED).map((o) => o.status)).toEqual(['published', 'published']);
    expect(publishSettings.filter((p) => p.region === DENIED).map((p) => p.suspectRegions)).toEqual([[DENIED], [DENIED]]);
    expect(summary.regionHealth).toEqual([]);
    expect((await pipeline.run()).summary.counts).toMatchObject({ published: 0, failed: 0, skipped: 0 });
  });

});
