import { mkdir, writeFile } from 'node:fs/promises';
import * as path from 'node:path';
import { ArtifactStore } from '../../functions/aws/artifacts';
import { publishItemsKeyOf } from '../../functions/plan-publishes/plan-publishes';
import { MAX_INLINE_PUBLISHES } from '../../functions/plan/run-limits';
import type { PublishEvent } from '../../functions/shared/pipeline-events';
import type { LocalRunResult } from '../../local/runner';
import { taskStates } from '../../statemachine/definition';
import { startLocalPipeline, type LocalPipeline } from '../support/local-pipeline';

const REGIONS = ['us-east-1', 'eu-west-1', 'ap-south-1'];
const LAYERS = ['lamina-one', 'lamina-two'];
/** Two layers whose content each run changes, to three regions: 6 publishes a run. */
const CATALOG = `
settings:
  prefix: lamina
  regions: [${REGIONS.join(', ')}]
layers:
  - name: one
    kind: files
    sources: [{ folder: data, to: share }]
    architectures: [x86_64]
  - name: two
    kind: files
    sources: [{ folder: data, to: share }]
    architectures: [arm64]
`;
const PUBLISHES = LAYERS.length * REGIONS.length;
const HANDLERS = taskStates();

/** Which path the run's publishes took, from its executions and its history. */
function pathOf({ execution, executions }: LocalRunResult): { inline: boolean; regionChildren: number; publishChildren: number } {
  const states = execution.history.events.map((event) => `${event.type} ${event.details?.name ?? ''}`.trim());
  return {
    inline: states.includes('MapStateSucceeded InlinePublishes') && !states.includes('MapStateEntered Publishes'),
    regionChildren: executions.filter((child) => child.mapRunArn?.includes('/Publishes:')).length,
    publishChildren: executions.filter((child) => child.mapRunArn?.includes('/Region:')).length,
  };
}

describe('the publish path: inline within the budget, Distributed Maps over it (real state machine, local runner)', () => {
  let pipeline: LocalPipeline;
  let round = 0;
  /** The Publish inputs of the run at the budget (inline), to hold the distributed run's equal to them. */
  let inlineInputs: PublishEvent[] = [];
  /** A run with new content for both layers, the inline budget at `budget` publishes (run-limits.ts's when undefined). */
  async function runWithBudget(budget: number | undefined): Promise<LocalRunResult & { publishInputs: PublishEvent[] }> {
    await writeFile(path.join(pipeline.stateDir, 'data', 'content.txt'), `round ${++round}`);
    if (budget === undefined) delete process.env.LAMINA_INLINE_PUBLISHES;
    else process.env.LAMINA_INLINE_PUBLISHES = String(budget);
    const publishInputs: PublishEvent[] = [];
    const onTask = (state: string, input: unknown) => void (HANDLERS[state] === 'publish' && publishInputs.push(input as PublishEvent));
    try {
      return { ...(await pipeline.run({}, { onTask })), publishInputs };
    } finally {
      delete process.env.LAMINA_INLINE_PUBLISHES;
    }
  }
  const published = (result: LocalRunResult) =>
    result.outcomes.map((outcome) => `${outcome.layerName} ${outcome.region} ${outcome.status}`).sort();
  const allPublished = LAYERS.flatMap((layer) => REGIONS.map((region) => `${layer} ${region} published`)).sort();

  beforeAll(async () => {
    pipeline = await startLocalPipeline(CATALOG);
    await mkdir(path.join(pipeline.stateDir, 'data'), { recursive: true });
  });
  afterAll(() => pipeline?.close());

  it('a run as small as the demo takes the inline path with the budget run-limits.ts sets', async () => {
    expect(PUBLISHES).toBeLessThanOrEqual(MAX_INLINE_PUBLISHES);
    const result = await runWithBudget(undefined);
    expect(published(result)).toEqual(allPublished);
    expect(pathOf(result)).toEqual({ inline: true, regionChildren: 0, publishChildren: 0 });
  });

  it('at the budget: inline, no item file written, one execution for all of it', async () => {
    const result = await runWithBudget(PUBLISHES);
    expect(published(result)).toEqual(allPublished);
    expect(pathOf(result)).toEqual({ inline: true, regionChildren: 0, publishChildren: 0 });
    const store = ArtifactStore.fromEnvironment();
    await expect(store.getText(publishItemsKeyOf(result.summary.runId, 'eu-west-1'))).rejects.toThrow();
    inlineInputs = result.publishInputs;
  });

  it('one over the budget: the Distributed Maps, a child per region and per publish, each region reading its items from S3', async () => {
    const result = await runWithBudget(PUBLISHES - 1);
    expect(published(result)).toEqual(allPublished);
    expect(pathOf(result)).toEqual({ inline: false, regionChildren: REGIONS.length, publishChildren: PUBLISHES });
    const store = ArtifactStore.fromEnvironment();
    const items = JSON.parse(await store.getText(publishItemsKeyOf(result.summary.runId, 'eu-west-1'))) as { layerName: string }[];
    expect(items.map((item) => item.layerName)).toEqual(LAYERS);
    expect(result.executions.filter((child) => child.status !== 'SUCCEEDED')).toEqual([]);
    // Each Publish got the same input on both paths: the run, its settings, its region, the layer's descriptor
    // (this run's content differs from the inline run's, and so its digests).
    const shape = (inputs: PublishEvent[]) =>
      inputs.map((input) => ({ ...input, runId: typeof input.runId, layer: { ...input.layer, sha256: 'x', codeSha256: 'x', artifactKey: 'x', verifications: input.layer.verifications?.map((v) => ({ ...v, at: 'x' })) } }))
        .sort((a, b) => `${a.layer.layerName} ${a.region}`.localeCompare(`${b.layer.layerName} ${b.region}`));
    expect(result.publishInputs).toHaveLength(PUBLISHES);
    expect(shape(result.publishInputs)).toEqual(shape(inlineInputs));
    expect(Object.keys(result.publishInputs[0]).sort()).toEqual(['layer', 'region', 'runId', 'settings']);
  });
});
