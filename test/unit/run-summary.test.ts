import { report } from '../../functions/report/report';
import { countOutcomes, outcomesPerRegion } from '../../functions/report/summary';
import type { RunOutcome } from '../../schema/table';

const REGIONS = ['eu-west-1', 'us-east-1'];

describe('run outcomes: exactly one per layer × region', () => {
  it('lets a layer-wide outcome stand for every region without one of its own, and fails a region nobody finished', () => {
    const outcomes: RunOutcome[] = [
      { layerName: 'a', status: 'unchanged' },
      { layerName: 'b', status: 'failed', reason: 'build', detail: 'boom' },
      { layerName: 'c', region: 'us-east-1', status: 'published', version: 2 },
      { layerName: 'd', region: 'eu-west-1', status: 'repaired', repairs: ['permissions'] },
      { layerName: 'd', status: 'failed', reason: 'build', detail: 'late' },
    ];
    const perRegion = outcomesPerRegion(outcomes, REGIONS);
    expect(perRegion.map((o) => `${o.layerName} ${o.region} ${o.status}${o.reason ? ` ${o.reason}` : ''}`)).toEqual([
      'a eu-west-1 unchanged',
      'a us-east-1 unchanged',
      'b eu-west-1 failed build',
      'b us-east-1 failed build',
      'c eu-west-1 failed no-outcome',
      'c us-east-1 published',
      'd eu-west-1 repaired',
      'd us-east-1 failed build',
    ]);
    const counts = countOutcomes(perRegion);
    expect(counts).toEqual({ published: 1, unchanged: 2, repaired: 1, failed: 4, skipped: 0 });
    expect(Object.values(counts).reduce((a, b) => a + b, 0)).toBe(4 * REGIONS.length);
  });

  it('records counts that add up, and a partial run never takes a region out of the listing', async () => {
    let recordedRegions = ['ap-southeast-2', 'eu-west-1', 'us-east-1'];
    const exported: string[][] = [];
    const runs: unknown[] = [];
    const summary = await report(
      { runId: 'r1', startedAt: '2026-01-01T00:00:00.000Z', manifestKey: 'runs/r1/plan.json', builds: null },
      {
        artifacts: {
          getText: async (key) => {
            expect(key).toBe('runs/r1/plan.json');
            return JSON.stringify({ runId: 'r1', regions: ['eu-west-1'], skippedRegions: [], buildCount: 0 });
          },
        },
        store: {
          putOutcome: async () => undefined,
          listOutcomes: async () => [{ layerName: 'a', status: 'unchanged' }],
          putRun: async (run) => void runs.push(run),
          getRegions: async () => recordedRegions,
          putRegions: async (regions) => void (recordedRegions = regions),
        },
        exportListing: async (regions) => void exported.push(regions),
      },
    );
    expect(summary).toMatchObject({ targets: 1, counts: { unchanged: 1 }, failed: false });
    expect(runs).toEqual([expect.objectContaining({ targets: 1, regions: ['eu-west-1'], counts: summary.counts })]);
    expect(recordedRegions).toEqual(['ap-southeast-2', 'eu-west-1', 'us-east-1']);
    expect(exported).toEqual([['ap-southeast-2', 'eu-west-1', 'us-east-1']]);
  });
});
