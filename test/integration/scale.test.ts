import { LAMBDA_REGIONS } from '../../functions/regions/lambda-regions';
import { MAX_HISTORY_EVENTS } from '../../local/step-functions/history';
import { MAX_STATE_PAYLOAD_BYTES } from '../../local/step-functions/errors';
import { startLocalPipeline, type LocalPipeline } from '../support/local-pipeline';

const LAYERS = 120;

/**
 * 120 layers × 34 regions: 4,080 publishes, a catalog that failed on AWS before: with both Maps inline its builds'
 * events all went into one history, over 25,000. Now each build is a child execution with its own history.
 * (`npm run bench:scale` runs 1,000 layers.) It takes minutes on an idle machine and far longer on a loaded one, so
 * it runs with `npm run test:scale` (LAMINA_SCALE_TEST=1), not in every `npm test`.
 */
const scaleDescribe = process.env.LAMINA_SCALE_TEST === '1' ? describe : describe.skip;
if (process.env.LAMINA_SCALE_TEST !== '1') console.warn('scale test skipped: run it with npm run test:scale');
scaleDescribe('a catalog of 120 layers × 34 regions through the real state machine', () => {
  let pipeline: LocalPipeline;
  beforeAll(async () => {
    const entries = Array.from({ length: LAYERS }, (_, index) => `  - name: l${index}\n    kind: bash-runtime\n`).join('');
    pipeline = await startLocalPipeline(`settings:\n  prefix: s\n  regions: all\nlayers:\n${entries}`);
  });
  afterAll(() => pipeline?.close());

  it('publishes everything, every execution far below the history quota and every state far below 256 KB', async () => {
    const { summary, stats, executions } = await pipeline.run();
    expect(summary.failed).toBe(false);
    expect(summary.counts.published).toBe(LAYERS * LAMBDA_REGIONS.length);
    expect(LAMBDA_REGIONS).toHaveLength(34);
    // The pipeline's own, one per build, one per region (the Publishes map), one per publish (each region's map).
    expect(stats.executions).toBe(1 + LAYERS + LAMBDA_REGIONS.length + LAYERS * LAMBDA_REGIONS.length);
    expect(executions.filter((execution) => execution.status !== 'SUCCEEDED')).toEqual([]);
    expect(stats.maxExecutionEvents).toBeLessThan(MAX_HISTORY_EVENTS / 20);
    // In one history, as inline Maps kept them, these events would have been over the quota.
    const children = executions.slice(1).reduce((sum, execution) => sum + execution.history.count, 0);
    expect(children).toBeGreaterThan(MAX_HISTORY_EVENTS);
    // The parent's history does not grow with the catalog: Plan, the Builds map, PlanPublishes, the Publishes map,
    // Report, Expire. Nor does a region's: its map over the region's layers is one Map Run, whatever their number.
    expect(executions[0].history.count).toBeLessThan(60);
    const regions = executions.filter((execution) => execution.parentExecutionArn === executions[0].executionArn && execution.mapRunArn?.includes('/Publishes:'));
    expect(regions).toHaveLength(LAMBDA_REGIONS.length);
    for (const region of regions) expect(region.history.count).toBeLessThan(12);
    expect(stats.maxStatePayloadBytes).toBeLessThan(MAX_STATE_PAYLOAD_BYTES / 20);
  }, 1_500_000);

  it('a rerun publishes nothing', async () => {
    // Plan's audit may still send some layers through Build (reused) and Publish (nothing to publish).
    const { summary, stats } = await pipeline.run();
    expect(summary.failed).toBe(false);
    expect(summary.counts.published).toBe(0);
    expect(summary.counts.unchanged).toBe(LAYERS * LAMBDA_REGIONS.length);
    expect(stats.maxExecutionEvents).toBeLessThan(MAX_HISTORY_EVENTS / 20);
  }, 600_000);
});
