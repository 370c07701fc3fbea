import { INLINE_BUDGET, fitsInline, planPublishes, publishItemsKeyOf } from '../../functions/plan-publishes/plan-publishes';
import { INLINE_PAYLOAD_BYTES, MAX_INLINE_PUBLISHES } from '../../functions/plan/run-limits';
import { LAMBDA_REGIONS } from '../../functions/regions/lambda-regions';
import { failedPublishOutcomes, unfinishedBuildOutcomes } from '../../functions/report/run-records';
import { FAILURE_NOT_RECORDED, FAILURE_NOT_RECORDED_CAUSE, type BuiltArtifact, type InlinePublishPlan, type MapRunResult, type PublishEvent, type SealResult } from '../../functions/shared/pipeline-events';

/** An artifact store in memory: what the Map Runs' ResultWriters and PlanPublishes write, what they read. */
function memoryArtifacts(objects = new Map<string, string>()) {
  return {
    objects,
    getText: async (key: string) => {
      const text = objects.get(key);
      if (text === undefined) throw Object.assign(new Error(`NoSuchKey: ${key}`), { name: 'NoSuchKey' });
      return text;
    },
    putText: async (key: string, body: string) => void objects.set(key, body),
  };
}

/** A Map Run's results as a ResultWriter writes them: manifest.json naming SUCCEEDED_0.json and FAILED_0.json. */
function writeMapRun(
  artifacts: ReturnType<typeof memoryArtifacts>,
  id: string,
  children: { input: unknown; output?: unknown; error?: string; cause?: string }[],
): MapRunResult {
  const base = `runs/map-runs/${id}`;
  const files: Record<string, { Key: string; Size: number }[]> = { SUCCEEDED: [], FAILED: [], PENDING: [] };
  for (const status of ['SUCCEEDED', 'FAILED'] as const) {
    const entries = children
      .filter((child) => (status === 'SUCCEEDED') === (child.error === undefined))
      .map((child) => ({
        Input: JSON.stringify(child.input),
        Status: status,
        ...(status === 'SUCCEEDED' ? { Output: JSON.stringify(child.output) } : { Error: child.error, Cause: child.cause }),
      }));
    if (entries.length === 0) continue;
    const Key = `${base}/${status}_0.json`;
    artifacts.objects.set(Key, JSON.stringify(entries));
    files[status].push({ Key, Size: 0 });
  }
  artifacts.objects.set(`${base}/manifest.json`, JSON.stringify({ ResultFiles: files }));
  return { MapRunArn: `arn:aws:states:us-east-1:000000000000:mapRun:m/${id}:x`, ResultWriterDetails: { Bucket: 'b', Key: `${base}/manifest.json` } };
}

const layer = (layerName: string): BuiltArtifact =>
  ({ layerName, entry: layerName, kind: 'bash-runtime', runtimes: ['provided.al2023'], architectures: ['x86_64'], sha256: `sha-${layerName}` }) as BuiltArtifact;
const sealed = (layerName: string, regions: string[]): SealResult => ({ layer: layer(layerName), regions });

/** The sealed layers of a Builds map's results: zeta in two regions, alpha in one, and builds that publish nowhere. */
function someBuilds(artifacts: ReturnType<typeof memoryArtifacts>): MapRunResult {
  return writeMapRun(artifacts, 'builds', [
      { input: { item: { layerName: 'zeta' } }, output: sealed('zeta', ['us-east-1', 'eu-west-1']) },
      { input: { item: { layerName: 'alpha' } }, output: sealed('alpha', ['eu-west-1']) },
      // A build that failed and was recorded ends its child with the layer's name; a refused one has no regions.
      { input: { item: { layerName: 'broken' } }, output: 'broken' },
      { input: { item: { layerName: 'refused' } }, output: sealed('refused', []) },
      // A child that failed as a whole is Report's to name; it publishes nowhere.
      { input: { item: { layerName: 'lost' } }, error: 'lamina.FailureNotRecorded', cause: 'no record' },
  ]);
}

describe('PlanPublishes: each region gets the sealed layers to publish there', () => {
  it("over the inline budget: writes one array per region from the Builds map's succeeded children, and returns one small entry per region", async () => {
    const artifacts = memoryArtifacts();
    const builds = someBuilds(artifacts);
    const plan = await planPublishes({ runId: 'r1', builds }, { artifacts, inlineBudget: { ...INLINE_BUDGET, publishes: 2 } });
    expect(plan).toEqual({
      regions: [
        { region: 'eu-west-1', itemsKey: publishItemsKeyOf('r1', 'eu-west-1'), layers: 2 },
        { region: 'us-east-1', itemsKey: publishItemsKeyOf('r1', 'us-east-1'), layers: 1 },
      ],
    });
    expect(publishItemsKeyOf('r1', 'eu-west-1')).toBe('runs/r1/publishes/eu-west-1.json');
    // Each array holds exactly what Publish needs of each layer (the sealed descriptor), in name order.
    expect(JSON.parse(artifacts.objects.get('runs/r1/publishes/eu-west-1.json')!)).toEqual([layer('alpha'), layer('zeta')]);
    expect(JSON.parse(artifacts.objects.get('runs/r1/publishes/us-east-1.json')!)).toEqual([layer('zeta')]);
  });

  it('within the inline budget: returns the layers themselves, per region, and writes nothing', async () => {
    const artifacts = memoryArtifacts();
    const builds = someBuilds(artifacts);
    const before = artifacts.objects.size;
    const plan = await planPublishes({ runId: 'r1', builds }, { artifacts, inlineBudget: { ...INLINE_BUDGET, publishes: 3 } });
    // Each layer once; each region names its layers by position, in name order.
    expect(plan).toEqual({
      inline: {
        layers: [layer('alpha'), layer('zeta')],
        regions: [
          { region: 'eu-west-1', layers: [0, 1] },
          { region: 'us-east-1', layers: [1] },
        ],
      },
    });
    expect(artifacts.objects.size).toBe(before);
    // The budget as run-limits.ts has it takes a small run inline.
    expect(await planPublishes({ runId: 'r1', builds }, { artifacts })).toEqual(plan);
  });

  it('the budget: its publishes inline, one more distributed; its bytes (plan and worst results) inline, one more distributed', () => {
    // As many publishes as the budget, spread over every region.
    const plan = (publishes: number, descriptor = layer): InlinePublishPlan => {
      const perRegion = Math.ceil(publishes / LAMBDA_REGIONS.length);
      const layers = Array.from({ length: perRegion }, (_, n) => descriptor(`l${n}`));
      const regions = LAMBDA_REGIONS.map((region, index) => ({
        region,
        layers: layers.map((_, n) => n).slice(0, Math.floor(publishes / LAMBDA_REGIONS.length) + (index < publishes % LAMBDA_REGIONS.length ? 1 : 0)),
      }));
      return { inline: { layers, regions } };
    };
    const count = (entries: InlinePublishPlan) => entries.inline.regions.reduce((sum, entry) => sum + entry.layers.length, 0);
    expect(count(plan(MAX_INLINE_PUBLISHES))).toBe(MAX_INLINE_PUBLISHES);
    expect(fitsInline(plan(MAX_INLINE_PUBLISHES))).toBe(true);
    expect(fitsInline(plan(MAX_INLINE_PUBLISHES + 1))).toBe(false);
    expect(MAX_INLINE_PUBLISHES).toBe(299);
    // Bytes: the plan in the state, plus a marker per publish (every one an unrecorded failure, at its worst).
    const small = plan(10);
    const marker = (layerName: string, region: string) => JSON.stringify({ Error: FAILURE_NOT_RECORDED, Cause: FAILURE_NOT_RECORDED_CAUSE, layerName, region });
    const markers = small.inline.regions.reduce((sum, entry) => sum + entry.layers.reduce((n, index) => n + marker(small.inline.layers[index].layerName, entry.region).length + 1, 0), 0);
    const bytes = JSON.stringify(small).length + markers;
    expect(fitsInline(small, { publishes: MAX_INLINE_PUBLISHES, bytes })).toBe(true);
    expect(fitsInline(small, { publishes: MAX_INLINE_PUBLISHES, bytes: bytes - 1 })).toBe(false);
    // The demo's run (4 layers of about 1 KiB each in 34 regions) fits: each layer is in the state once.
    const demoSized = (name: string) => ({ ...layer(name), description: 'd'.repeat(200), licenseInfo: 'l'.repeat(100), verifications: Array(4).fill({ how: 'h'.repeat(150) }) }) as BuiltArtifact;
    expect(fitsInline(plan(4 * LAMBDA_REGIONS.length, demoSized))).toBe(true);
    // Many layers, each to a few regions, with the longest descriptions Lambda takes reach the bytes first.
    const big = (name: string) => ({ ...layer(name), description: 'd'.repeat(256), licenseInfo: 'l'.repeat(512), verifications: Array(2).fill({ how: 'h'.repeat(200) }) }) as BuiltArtifact;
    const many = Array.from({ length: 150 }, (_, n) => big(`layer-${n}`));
    const heavy: InlinePublishPlan = {
      inline: { layers: many, regions: LAMBDA_REGIONS.map((region, index) => ({ region, layers: many.map((_, n) => n).filter((n) => n % LAMBDA_REGIONS.length === index) })) },
    };
    expect(count(heavy)).toBeLessThanOrEqual(MAX_INLINE_PUBLISHES);
    expect(fitsInline(heavy, { publishes: MAX_INLINE_PUBLISHES, bytes: Number.MAX_SAFE_INTEGER })).toBe(true);
    expect(fitsInline(heavy)).toBe(false);
  });

  it('plans nothing when nothing was sealed, and writes nothing', async () => {
    const artifacts = memoryArtifacts();
    const builds = writeMapRun(artifacts, 'empty', []);
    const before = artifacts.objects.size;
    expect(await planPublishes({ runId: 'r2', builds }, { artifacts })).toEqual({ inline: { layers: [], regions: [] } });
    expect(artifacts.objects.size).toBe(before);
  });

  it('fails with the missing object named when the Map Run results cannot be read', async () => {
    const artifacts = memoryArtifacts();
    const builds: MapRunResult = { MapRunArn: 'arn', ResultWriterDetails: { Bucket: 'b', Key: 'runs/map-runs/gone/manifest.json' } };
    await expect(planPublishes({ runId: 'r3', builds }, { artifacts })).rejects.toThrow('runs/map-runs/gone/manifest.json');
  });
});

describe("Report's reading of the Publishes map's results", () => {
  const publishInput = (layerName: string, region: string): PublishEvent =>
    ({ runId: 'r1', region, settings: { prefix: 'lamina', visibility: 'public', expiryDays: 30 }, layer: layer(layerName) }) as PublishEvent;

  it("names a publish whose failure could not be recorded, and every unrecorded layer of a region whose child failed as a whole", async () => {
    const artifacts = memoryArtifacts();
    await artifacts.putText(publishItemsKeyOf('r1', 'ap-south-1'), JSON.stringify([layer('a'), layer('b')]));
    const euWest = writeMapRun(artifacts, 'eu-west-1', [
      { input: publishInput('a', 'eu-west-1'), output: 'a' },
      { input: publishInput('b', 'eu-west-1'), error: 'lamina.FailureNotRecorded', cause: 'Publish failed and RecordFailure could not record it' },
    ]);
    const publishes = writeMapRun(artifacts, 'publishes', [
      { input: { region: 'eu-west-1', itemsKey: publishItemsKeyOf('r1', 'eu-west-1') }, output: euWest },
      { input: { region: 'ap-south-1', itemsKey: publishItemsKeyOf('r1', 'ap-south-1') }, error: 'States.ItemReaderFailed', cause: 'could not read' },
    ]);
    // ap-south-1's map published `a` before it failed: what the steps recorded stands.
    const recorded = [{ layerName: 'a', region: 'ap-south-1', status: 'published' as const }];
    const outcomes = await failedPublishOutcomes(publishes, recorded, artifacts);
    expect(outcomes).toEqual([
      { layerName: 'b', region: 'eu-west-1', status: 'failed', reason: 'child-execution', detail: 'lamina.FailureNotRecorded: Publish failed and RecordFailure could not record it' },
      { layerName: 'b', region: 'ap-south-1', status: 'failed', reason: 'child-execution', detail: 'States.ItemReaderFailed: could not read' },
    ]);
  });

  it('fails every planned region of a layer no step recorded anything for (the run stopped between building and publishing)', async () => {
    const artifacts = memoryArtifacts();
    await artifacts.putText('runs/r1/builds.json', JSON.stringify([
      { layerName: 'done', targetKey: 't', inputHash: 'h', regions: ['eu-west-1', 'us-east-1'] },
      { layerName: 'sealed', targetKey: 't', inputHash: 'h', regions: ['eu-west-1', 'us-east-1'] },
    ]));
    const manifest = { runId: 'r1', regions: ['eu-west-1', 'us-east-1'], itemsKey: 'runs/r1/builds.json', skippedRegions: [], buildCount: 2 };
    const outcomes = await unfinishedBuildOutcomes(manifest, [{ layerName: 'done', region: 'eu-west-1', status: 'published' }], artifacts);
    expect(outcomes.map((outcome) => [outcome.layerName, outcome.region, outcome.status, outcome.reason])).toEqual([
      ['sealed', 'eu-west-1', 'failed', 'no-outcome'],
      ['sealed', 'us-east-1', 'failed', 'no-outcome'],
    ]);
    // Plan failed, or planned nothing: nothing to read.
    expect(await unfinishedBuildOutcomes(undefined, [], artifacts)).toEqual([]);
    expect(await unfinishedBuildOutcomes({ ...manifest, itemsKey: 'runs/none.json', buildCount: 0 }, [], artifacts)).toEqual([]);
  });

  it('names each publish the inline path marked unrecorded, as the distributed path names its failed child', async () => {
    const artifacts = memoryArtifacts();
    const marker = { Error: FAILURE_NOT_RECORDED, Cause: FAILURE_NOT_RECORDED_CAUSE, layerName: 'b', region: 'eu-west-1' } as const;
    const outcomes = await failedPublishOutcomes([['a', marker], ['a', 'b']], [], artifacts);
    expect(outcomes).toEqual([
      { layerName: 'b', region: 'eu-west-1', status: 'failed', reason: 'child-execution', detail: `${FAILURE_NOT_RECORDED}: ${FAILURE_NOT_RECORDED_CAUSE}` },
    ]);
    // The same publish on the distributed path: its child failed with the Fail state's Error and Cause.
    const euWest = writeMapRun(artifacts, 'eu-west-1', [{ input: publishInput('b', 'eu-west-1'), error: FAILURE_NOT_RECORDED, cause: FAILURE_NOT_RECORDED_CAUSE }]);
    const publishes = writeMapRun(artifacts, 'publishes', [{ input: { region: 'eu-west-1', itemsKey: publishItemsKeyOf('r1', 'eu-west-1') }, output: euWest }]);
    expect(await failedPublishOutcomes(publishes, [], artifacts)).toEqual(outcomes);
    expect(await failedPublishOutcomes([], [], artifacts)).toEqual([]);
  });

  it('reads nothing when the run never got to publishing', async () => {
    const artifacts = memoryArtifacts();
    expect(await failedPublishOutcomes(null, [], artifacts)).toEqual([]);
    expect(await failedPublishOutcomes(undefined, [], artifacts)).toEqual([]);
  });
});
